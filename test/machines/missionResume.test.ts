import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { AgentActivityFold } from '../../log/agentActivity.js';
import type { LooseEvent } from '../helpers/looseEvent.js';
import { dirname } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import {
  recoverMission,
  type RecoveredApproval,
  type RecoveredMaker,
  type RecoveredMission,
} from '../../log/missionRecovery.js';
import { ManualClock } from '../../kernel/clock.js';
import { missionSchema, type ApprovalConfig, type MissionConfig } from '../../config/mission.js';
import type { MissionMachineEvent } from '../../machines/mission.js';
import { planResume } from '../../daemon/missionResume.js';
import { runMission, type RunOptions } from '../../runner/runMission.js';
import { mission, runAndRead, tempDir } from '../helpers/missions.js';

const logger = pino({ level: 'silent' });

/** A provider that answers `<tag>: <prompt>`, so what a stage was asked shows in its output. */
const echo = (tag: string) => ({
  kind: 'cli' as const,
  command: process.execPath,
  args: ['-e', `process.stdout.write(${JSON.stringify(tag)} + ": " + process.argv[1])`, '{prompt}'],
});

/** one → two → three, one provider each (a resumed run has fresh providers); two may be gated. */
function threeStages(approval?: Partial<ApprovalConfig> | true): MissionConfig {
  return mission({
    providers: { a: { kind: 'scripted', responses: ['alpha'] }, b: echo('b'), c: echo('c') },
    agents: [
      { id: 'first', provider: 'a' },
      { id: 'second', provider: 'b' },
      { id: 'third', provider: 'c' },
    ],
    stages: [
      { name: 'one', prompt: 'Start: {{input}}', agents: ['first'] },
      {
        name: 'two',
        prompt: 'Two: {{previous}}',
        agents: ['second'],
        ...(approval && { approval }),
      },
      { name: 'three', prompt: 'Three: {{previous}}', agents: ['third'] },
    ],
    input: 'go',
  });
}

const RESULT = 'c: Three: b: Two: alpha';
const FEEDBACK_HEADER =
  '\n\n---\nA reviewer rejected the previous answer to this stage, with this feedback:\n';

type Send = (event: MissionMachineEvent) => void;

/** Resumes mission m1 of `stateDir` as the daemon does: recover, validate the logged config, plan, run. */
async function resumeRun(stateDir: string, options: Partial<RunOptions> = {}) {
  const file = EventLog.pathFor(stateDir, 'm1');
  const recovered = recoverMission(file, 'm1');
  const config = missionSchema.parse(recovered.submitted!.config);
  const resume = planResume(recovered, config);
  const { output } = await runMission(config, {
    stateDir,
    logger,
    missionId: 'm1',
    input: recovered.submitted!.input,
    resume,
    keySalt: recovered.submitted!.keySalt,
    usedBefore: recovered.usage,
    ...options,
  });
  return { output, events: EventLog.read(file) as LooseEvent[], resume, recovered };
}

/** A fresh state dir whose m1 log is `events` up to and including the first that matches, then `torn`. */
function crashedAfter(events: LooseEvent[], match: (e: LooseEvent) => boolean, torn = ''): string {
  const n = events.findIndex(match);
  expect(n).toBeGreaterThanOrEqual(0);
  const stateDir = tempDir();
  const file = EventLog.pathFor(stateDir, 'm1');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    events
      .slice(0, n + 1)
      .map((e) => `${JSON.stringify(e)}\n`)
      .join('') + torn,
  );
  return stateDir;
}

const count = (events: LooseEvent[], type: string, by: (e: LooseEvent) => unknown) => {
  const m: Record<string, number> = {};
  for (const e of events) if (e.type === type) m[String(by(e))] = (m[String(by(e))] ?? 0) + 1;
  return m;
};
const callsPerStage = (events: LooseEvent[]) =>
  count(events, 'agent.call', (e) => String(e.path).split('/')[3]);
const finishedPerIndex = (events: LooseEvent[]) => count(events, 'stage.finished', (e) => e.index);
const types = (events: LooseEvent[]) =>
  events.map((e) => e.type).filter((t) => t !== 'supervisor.decision');

describe('resuming a mission from its event log', () => {
  it('should go on after a suspension without running a finished stage again, with the result and usage of an uninterrupted run', async () => {
    const straight = await runAndRead(threeStages());
    expect(straight.output.result).toBe(RESULT);

    const suspend = new AbortController();
    const first = await runAndRead(threeStages(), {
      suspend: suspend.signal,
      onEvent: (e) =>
        e.type === 'stage.finished' && e.index === 1 && queueMicrotask(() => suspend.abort()),
    });
    expect(first.output.status).toBe('suspended');
    expect(first.events.at(-1)!.type).toBe('mission.suspended');
    expect(first.events.filter((e) => e.type === 'mission.finished')).toEqual([]);

    const { output, events, resume } = await resumeRun(first.stateDir);
    expect(resume).toEqual({
      stages: [
        { name: 'one', output: 'alpha', answers: [] },
        { name: 'two', output: 'b: Two: alpha', answers: [] },
      ],
      attempt: 1,
      maker: new Map(),
      plans: new Map(),
      answers: new Map(),
    });
    expect(output.status).toBe('succeeded');
    expect(output.result).toBe(straight.output.result);
    expect(output.stages.map((s) => [s.name, s.output])).toEqual(
      straight.output.stages.map((s) => [s.name, s.output]),
    );
    // The budget goes on from what the suspension recorded (a call it broke off reserved its
    // sample), plus the one call of the resumed run; tokens come only from calls that answered.
    expect(first.events.at(-1)!.usage).toEqual(first.output.usage);
    expect(output.usage.samples).toBe(first.output.usage.samples + 1);
    expect(output.usage.tokens).toBe(straight.output.usage.tokens);
    // Over the whole log: each stage called its model once and finished once.
    expect(callsPerStage(events)).toEqual({ one: 1, two: 1, three: 1 });
    expect(finishedPerIndex(events)).toEqual({ 0: 1, 1: 1, 2: 1 });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const resumedAt = events.findIndex((e) => e.type === 'mission.resumed');
    expect(events[resumedAt]).toMatchObject({ stage: 2, attempt: 1, done: ['one', 'two'] });
    expect(types(events.slice(resumedAt))).toEqual([
      'mission.resumed',
      'stage.entered',
      'agent.call',
      'stage.finished',
      'mission.finished',
    ]);
    expect(events.filter((e) => e.type === 'mission.submitted')).toHaveLength(1);
  });

  it('should go on after a crash that tore the last line, from the last complete event', async () => {
    const straight = await runAndRead(threeStages());
    const after = straight.events.find((e) => e.type === 'stage.finished' && e.index === 1)!;
    const stateDir = crashedAfter(
      straight.events,
      (e) => e === after,
      '{"seq":99,"ts":"1970-01-01T00:00:00.000Z","mission":"m1","type":"stage.ent',
    );
    const { output, events } = await resumeRun(stateDir);
    expect(output.result).toBe(RESULT);
    expect(callsPerStage(events)).toEqual({ one: 1, two: 1, three: 1 });
    expect(finishedPerIndex(events)).toEqual({ 0: 1, 1: 1, 2: 1 });
    // The torn line is gone and numbering goes on from the last complete line.
    expect(readFileSync(EventLog.pathFor(stateDir, 'm1'), 'utf8')).not.toContain('"stage.ent"');
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.find((e) => e.type === 'mission.resumed')!.seq).toBe(after.seq + 1);
    // The budget went on from the last stage.finished: the whole run spent what a straight one did.
    expect({ tokens: output.usage.tokens, samples: output.usage.samples }).toEqual({
      tokens: straight.output.usage.tokens,
      samples: straight.output.usage.samples,
    });
  });

  it('should only finish a mission that crashed after its last stage finished', async () => {
    const straight = await runAndRead(threeStages());
    const stateDir = crashedAfter(
      straight.events,
      (e) => e.type === 'stage.finished' && e.index === 2,
    );
    const { output, events, resume } = await resumeRun(stateDir);
    expect(resume.stages.map((s) => s.name)).toEqual(['one', 'two', 'three']);
    expect(output).toMatchObject({ status: 'succeeded', result: RESULT });
    expect(types(events.slice(events.findIndex((e) => e.type === 'mission.resumed')))).toEqual([
      'mission.resumed',
      'mission.finished',
    ]);
    expect(output.usage.samples).toBe(3);
  });

  it('should wait for a pending approval after a resume, then take its answer', async () => {
    const suspend = new AbortController();
    const first = await runAndRead(threeStages(true), {
      suspend: suspend.signal,
      onEvent: (e) => e.type === 'approval.requested' && queueMicrotask(() => suspend.abort()),
    });
    expect(first.output.status).toBe('suspended');
    const file = first.eventLogFile;
    const waiting: string[][] = [];
    const { output, events, resume } = await resumeRun(first.stateDir, {
      onStart: (send: Send) =>
        setTimeout(() => {
          // Resumed, and nothing since: the mission waits for the person.
          waiting.push(types(EventLog.read(file) as LooseEvent[]).slice(-3));
          send({ type: 'gate.answered', id: 'm1/two/1', decision: 'approve', by: 'erin' });
        }, 30),
    });
    expect(resume.pending).toEqual({
      approval: {
        id: 'm1/two/1',
        stage: 'two',
        index: 1,
        attempt: 1,
        output: 'b: Two: alpha',
        requestedAt: expect.any(String),
        onTimeout: 'reject',
      },
      answers: 1,
    });
    expect(waiting).toEqual([['approval.requested', 'mission.suspended', 'mission.resumed']]);
    expect(output).toMatchObject({ status: 'succeeded', result: RESULT });
    expect(events.filter((e) => e.type === 'approval.requested')).toHaveLength(1);
    expect(
      events.filter((e) => e.type === 'approval.answered').map((e) => [e.id, e.decision, e.by]),
    ).toEqual([['m1/two/1', 'approve', 'erin']]);
    expect(callsPerStage(events)).toEqual({ one: 1, two: 1, three: 1 });
  });

  it("should keep a resumed approval's original timeout", async () => {
    const suspend = new AbortController();
    const first = await runAndRead(threeStages({ timeoutMs: 10_000, onTimeout: 'approve' }), {
      clock: new ManualClock(0),
      suspend: suspend.signal,
      onEvent: (e) => e.type === 'approval.requested' && queueMicrotask(() => suspend.abort()),
    });
    expect(first.output.status).toBe('suspended');
    // Back 4 s later: 6 s are left of the 10.
    const clock = new ManualClock(4000);
    const seen: number[] = [];
    const { output, events } = await resumeRun(first.stateDir, {
      clock,
      onStart: () =>
        queueMicrotask(() => {
          clock.advance(5999);
          seen.push(
            (EventLog.read(first.eventLogFile) as LooseEvent[]).filter(
              (e) => e.type === 'approval.answered',
            ).length,
          );
          clock.advance(1);
        }),
    });
    expect(seen).toEqual([0]);
    expect(output.result).toBe(RESULT);
    expect(
      events.filter((e) => e.type === 'approval.answered').map((e) => [e.decision, e.by, e.ts]),
    ).toEqual([['approve', 'timeout', '1970-01-01T00:00:10.000Z']]);
  });

  it("should take a resumed approval's default at once when its timeout passed while the mission was down", async () => {
    const suspend = new AbortController();
    const first = await runAndRead(threeStages({ timeoutMs: 10_000, onTimeout: 'approve' }), {
      clock: new ManualClock(0),
      suspend: suspend.signal,
      onEvent: (e) => e.type === 'approval.requested' && queueMicrotask(() => suspend.abort()),
    });
    const clock = new ManualClock(60_000);
    const { output, events } = await resumeRun(first.stateDir, {
      clock,
      onStart: () => queueMicrotask(() => clock.advance(0)),
    });
    expect(output.result).toBe(RESULT);
    expect(
      events.filter((e) => e.type === 'approval.answered').map((e) => [e.decision, e.by, e.ts]),
    ).toEqual([['approve', 'timeout', '1970-01-01T00:01:00.000Z']]);
  });

  it('should act on an answer found in the log without writing it again', async () => {
    const suspend = new AbortController();
    const first = await runAndRead(threeStages(true), {
      suspend: suspend.signal,
      onEvent: (e) => e.type === 'approval.requested' && queueMicrotask(() => suspend.abort()),
    });
    // The answer was written, then the daemon went down before the mission acted on it.
    const last = first.events.at(-1)!;
    appendFileSync(
      first.eventLogFile,
      `${JSON.stringify({ seq: last.seq + 1, ts: last.ts, mission: 'm1', type: 'approval.answered', id: 'm1/two/1', decision: 'reject', feedback: 'be brief', by: 'api' })}\n`,
    );
    let send: Send | undefined;
    const { output, events, resume } = await resumeRun(first.stateDir, {
      onStart: (s) => (send = s),
      onEvent: (e) =>
        e.type === 'approval.requested' &&
        queueMicrotask(() =>
          send!({ type: 'gate.answered', id: e.id as string, decision: 'approve' }),
        ),
    });
    expect(resume.pending?.approval.answer).toMatchObject({
      decision: 'reject',
      feedback: 'be brief',
      by: 'api',
    });
    const revised = `b: Two: alpha${FEEDBACK_HEADER}be brief`;
    expect(output.status).toBe('succeeded');
    expect(output.stages.map((s) => s.output)).toEqual(['alpha', revised, `c: Three: ${revised}`]);
    expect(
      events.filter((e) => e.type === 'approval.answered').map((e) => [e.id, e.decision]),
    ).toEqual([
      ['m1/two/1', 'reject'],
      ['m1/two/2', 'approve'],
    ]);
    expect(
      events.filter((e) => e.type === 'stage.entered').map((e) => [e.stage, e.attempt]),
    ).toEqual([
      ['one', 1],
      ['two', 1],
      ['two', 2],
      ['three', 1],
    ]);
    expect(callsPerStage(events)).toEqual({ one: 1, two: 1, 'two@2': 1, three: 1 });
  });

  it('should go on past an approval approved in the log without asking or answering again', async () => {
    const suspend = new AbortController();
    const first = await runAndRead(threeStages(true), {
      suspend: suspend.signal,
      onEvent: (e) => e.type === 'approval.requested' && queueMicrotask(() => suspend.abort()),
    });
    const last = first.events.at(-1)!;
    appendFileSync(
      first.eventLogFile,
      `${JSON.stringify({ seq: last.seq + 1, ts: last.ts, mission: 'm1', type: 'approval.answered', id: 'm1/two/1', decision: 'approve', by: 'api' })}\n`,
    );
    const { output, events, resume } = await resumeRun(first.stateDir);
    expect(resume.pending).toBeUndefined();
    expect(output.result).toBe(RESULT);
    expect(events.filter((e) => e.type.startsWith('approval.'))).toHaveLength(2);
    expect(events.find((e) => e.type === 'mission.resumed')).toMatchObject({
      stage: 2,
      done: ['one', 'two'],
    });
  });

  it('should resume a rejection that crashed before the revision ran as attempt 2, with the feedback', async () => {
    let send: Send | undefined;
    const answers = (e: LooseEvent) => {
      if (e.type !== 'approval.requested') return;
      const id = e.id as string;
      queueMicrotask(() =>
        send!(
          e.attempt === 1
            ? { type: 'gate.answered', id, decision: 'reject', feedback: 'shorter' }
            : { type: 'gate.answered', id, decision: 'approve' },
        ),
      );
    };
    const straight = await runAndRead(threeStages(true), {
      onStart: (s) => (send = s),
      onEvent: answers,
    });
    const revised = `b: Two: alpha${FEEDBACK_HEADER}shorter`;
    expect(straight.output.result).toBe(`c: Three: ${revised}`);
    const stateDir = crashedAfter(straight.events, (e) => e.type === 'approval.answered');
    const { output, events, resume } = await resumeRun(stateDir, {
      onStart: (s) => (send = s),
      onEvent: answers,
    });
    expect(resume).toMatchObject({
      attempt: 1,
      pending: {
        approval: { id: 'm1/two/1', answer: { decision: 'reject', feedback: 'shorter' } },
      },
    });
    expect(output.result).toBe(straight.output.result);
    expect(
      events.filter((e) => e.type === 'stage.entered').map((e) => [e.stage, e.attempt]),
    ).toEqual([
      ['one', 1],
      ['two', 1],
      ['two', 2],
      ['three', 1],
    ]);
    expect(
      events.filter((e) => e.type === 'approval.answered').map((e) => [e.id, e.decision]),
    ).toEqual([
      ['m1/two/1', 'reject'],
      ['m1/two/2', 'approve'],
    ]);
    expect(callsPerStage(events)).toEqual({ one: 1, two: 1, 'two@2': 1, three: 1 });
  });

  it('should keep the feedback when the crash came between a revision finishing and its approval being asked', async () => {
    let send: Send | undefined;
    const answers = (e: LooseEvent) => {
      if (e.type !== 'approval.requested') return;
      const id = e.id as string;
      queueMicrotask(() =>
        send!(
          e.attempt === 1
            ? { type: 'gate.answered', id, decision: 'reject', feedback: 'shorter' }
            : { type: 'gate.answered', id, decision: 'approve' },
        ),
      );
    };
    const straight = await runAndRead(threeStages(true), {
      onStart: (s) => (send = s),
      onEvent: answers,
    });
    const stateDir = crashedAfter(
      straight.events,
      (e) => e.type === 'stage.finished' && e.attempt === 2,
    );
    const { output, events, resume } = await resumeRun(stateDir, {
      onStart: (s) => (send = s),
      onEvent: answers,
    });
    expect(resume).toMatchObject({
      attempt: 2,
      feedback: 'shorter',
      unasked: { output: expect.stringContaining('shorter') },
    });
    expect(resume.pending).toBeUndefined();
    expect(output.result).toBe(straight.output.result);
    expect(events.filter((e) => e.type === 'approval.requested').map((e) => e.id)).toEqual([
      'm1/two/1',
      'm1/two/2',
    ]);
    // The revision is not run again: its logged output is what the approval asks about.
    expect(
      events.filter((e) => e.type === 'stage.finished' && e.index === 1).map((e) => e.attempt),
    ).toEqual([1, 2]);
    expect(callsPerStage(events)).toEqual({ one: 1, two: 1, 'two@2': 1, three: 1 });
  });

  it("should ask a stage's approval after a crash between its stage.finished and approval.requested, without running it again", async () => {
    let send: Send | undefined;
    const approve = (e: LooseEvent) =>
      e.type === 'approval.requested' &&
      queueMicrotask(() =>
        send!({ type: 'gate.answered', id: e.id as string, decision: 'approve' }),
      );
    const straight = await runAndRead(threeStages(true), {
      onStart: (s) => (send = s),
      onEvent: approve,
    });
    const stateDir = crashedAfter(
      straight.events,
      (e) => e.type === 'stage.finished' && e.index === 1,
    );
    const { output, events } = await resumeRun(stateDir, {
      onStart: (s) => (send = s),
      onEvent: approve,
    });
    expect(output).toMatchObject({ status: 'succeeded', result: RESULT });
    expect(
      events.filter((e) => e.type === 'approval.requested').map((e) => [e.id, e.output]),
    ).toEqual([['m1/two/1', 'b: Two: alpha']]);
    expect(finishedPerIndex(events)).toEqual({ 0: 1, 1: 1, 2: 1 });
    expect(callsPerStage(events)).toEqual({ one: 1, two: 1, three: 1 });
  });
});

describe('planResume', () => {
  const config = threeStages(true);
  const base = (): RecoveredMission => ({
    id: 'm1',
    file: 'f',
    corruptReasons: new Map(),
    answers: new Map(),
    agents: new AgentActivityFold(),
    stages: [],
    approvals: [],
    maker: new Map(),
    plans: new Map(),
    lines: 0,
    corrupt: [],
  });
  const done = (
    index: number,
    name: string,
    ...finished: { attempt: number; output: string; answers?: number }[]
  ) => ({
    index,
    name,
    finished: finished.map((f) => ({ answers: 1, ...f })),
  });
  const approval = (attempt: number, answer?: RecoveredApproval['answer']): RecoveredApproval => ({
    id: `m1/two/${attempt}`,
    stage: 'two',
    index: 1,
    attempt,
    output: `two v${attempt}`,
    requestedAt: '2026-01-01T00:00:00.000Z',
    onTimeout: 'reject',
    ...(answer && { answer }),
  });
  const at = '2026-01-01T00:01:00.000Z';
  const ONE = { name: 'one', output: 'one out', answers: [] };

  const cases: { name: string; r: Partial<RecoveredMission>; expected: object }[] = [
    { name: 'an empty log: start at the first stage', r: {}, expected: { stages: [], attempt: 1 } },
    {
      name: 'a stage finished: the next',
      r: { stages: [done(0, 'one', { attempt: 1, output: 'one out' })] },
      expected: { stages: [ONE], attempt: 1 },
    },
    {
      name: 'a gated stage finished, its approval not asked: ask it for the logged output, as that attempt',
      r: {
        stages: [
          done(0, 'one', { attempt: 1, output: 'one out' }),
          done(1, 'two', { attempt: 1, output: 'two v1' }),
        ],
      },
      expected: { stages: [ONE], attempt: 1, unasked: { output: 'two v1' } },
    },
    {
      name: 'asked, not answered: pending',
      r: {
        stages: [
          done(0, 'one', { attempt: 1, output: 'one out' }),
          done(1, 'two', { attempt: 1, output: 'two v1', answers: 1 }),
        ],
        approvals: [approval(1)],
      },
      expected: { stages: [ONE], attempt: 1, pending: { approval: approval(1), answers: 1 } },
    },
    {
      name: 'rejected: pending with its answer, at the rejected attempt',
      r: {
        stages: [
          done(0, 'one', { attempt: 1, output: 'one out' }),
          done(1, 'two', { attempt: 1, output: 'two v1' }),
        ],
        approvals: [approval(1, { decision: 'reject', feedback: 'no', at })],
      },
      expected: {
        stages: [ONE],
        attempt: 1,
        pending: { approval: approval(1, { decision: 'reject', feedback: 'no', at }), answers: 1 },
      },
    },
    {
      name: 'rejected, and the revision asked again: pending on the revision',
      r: {
        stages: [
          done(0, 'one', { attempt: 1, output: 'one out' }),
          done(1, 'two', { attempt: 1, output: 'two v1' }, { attempt: 2, output: 'two v2' }),
        ],
        approvals: [approval(1, { decision: 'reject', feedback: 'no', at }), approval(2)],
      },
      expected: { stages: [ONE], attempt: 2, pending: { approval: approval(2), answers: 1 } },
    },
    {
      name: 'rejected, and the revision finished before its approval was asked: ask it for the revision, keeping the feedback',
      r: {
        stages: [
          done(0, 'one', { attempt: 1, output: 'one out' }),
          done(1, 'two', { attempt: 1, output: 'two v1' }, { attempt: 2, output: 'two v2' }),
        ],
        approvals: [approval(1, { decision: 'reject', feedback: 'no', at })],
      },
      expected: { stages: [ONE], attempt: 2, feedback: 'no', unasked: { output: 'two v2' } },
    },
    {
      name: 'approved at the second attempt: that output, and the next stage',
      r: {
        stages: [
          done(0, 'one', { attempt: 1, output: 'one out' }),
          done(1, 'two', { attempt: 1, output: 'two v1' }, { attempt: 2, output: 'two v2' }),
        ],
        approvals: [
          approval(1, { decision: 'reject', feedback: 'no', at }),
          approval(2, { decision: 'approve', at }),
        ],
      },
      expected: { stages: [ONE, { name: 'two', output: 'two v2', answers: [] }], attempt: 1 },
    },
    {
      name: 'every stage finished: nothing left to run',
      r: {
        stages: [
          done(0, 'one', { attempt: 1, output: 'one out' }),
          done(1, 'two', { attempt: 1, output: 'two v1' }),
          done(2, 'three', { attempt: 1, output: 'three out' }),
        ],
        approvals: [approval(1, { decision: 'approve', at })],
      },
      expected: {
        stages: [
          ONE,
          { name: 'two', output: 'two v1', answers: [] },
          { name: 'three', output: 'three out', answers: [] },
        ],
        attempt: 1,
      },
    },
    {
      name: 'a stage that finished with no answer (the mission was failing): run it again',
      r: { stages: [done(0, 'one', { attempt: 1, output: '', answers: 0 })] },
      expected: { stages: [], attempt: 1 },
    },
  ];

  it.each(cases)('$name', ({ r, expected }) => {
    const plan = planResume({ ...base(), ...r }, config);
    const { maker, plans, answers, ...rest } = plan;
    expect(rest).toEqual(expected);
    expect(maker).toEqual(new Map());
    expect(plans).toEqual(new Map());
    expect(answers).toEqual(new Map());
  });

  it('should pass the MAKER progress on, whatever the stage', () => {
    const maker = new Map<string, RecoveredMaker>([
      [
        'mission/m1/stage/solve/maker/solver',
        { snapshot: { step: 20, state: {}, samples: 60, flagged: 0 }, tail: [] },
      ],
    ]);
    for (const r of cases.map((c) => c.r))
      expect(planResume({ ...base(), ...r, maker }, config).maker).toBe(maker);
  });
});
