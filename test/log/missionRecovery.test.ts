import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { AgentActivityFold } from '../../log/agentActivity.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { recoverMission } from '../../log/missionRecovery.js';
import { formatMove, hanoiSolution, hanoiTask } from '../../actors/tasks/index.js';
import type { MissionMachineEvent } from '../../machines/mission.js';
import { resumeProgress } from '../../machines/makerStageSpec.js';
import { mission, runAndRead, tempDir } from '../helpers/missions.js';

const TS = '2026-01-01T00:00:00.000Z';

/** Writes `events` as a log, numbered from 1, the way EventLog writes them. */
function logOf(events: Record<string, unknown>[], file = join(tempDir(), 'm.jsonl')): string {
  writeFileSync(
    file,
    events
      .map((e, i) => `${JSON.stringify({ seq: i + 1, ts: TS, mission: 'm', ...e })}\n`)
      .join(''),
  );
  return file;
}

const line = (e: Record<string, unknown>) => `${JSON.stringify({ ts: TS, mission: 'm', ...e })}\n`;

describe('recoverMission', () => {
  it("should fold a gated mission's log: submitted, each attempt of each stage, approvals with their first answer, the end", async () => {
    let send: ((e: MissionMachineEvent) => void) | undefined;
    const config = mission({
      providers: {
        a: { kind: 'scripted', responses: ['draft v1', 'draft v2'] },
        b: { kind: 'scripted', responses: ['done'] },
      },
      agents: [
        { id: 'w', provider: 'a' },
        { id: 'p', provider: 'b' },
      ],
      stages: [
        { name: 'draft', prompt: 'write', agents: ['w'], approval: { timeoutMs: 60_000 } },
        { name: 'publish', prompt: 'publish', agents: ['p'] },
      ],
      input: 'topic',
    });
    const { eventLogFile, events } = await runAndRead(config, {
      keySalt: 'salt-1',
      onStart: (s) => (send = s),
      onEvent: (e) =>
        e.type === 'approval.requested' &&
        queueMicrotask(() =>
          send!(
            e.attempt === 1
              ? {
                  type: 'gate.answered',
                  id: e.id as string,
                  decision: 'reject',
                  feedback: 'more',
                  by: 'ann',
                }
              : { type: 'gate.answered', id: e.id as string, decision: 'approve', by: 'ann' },
          ),
        ),
    });
    // A second answer, written later by someone else, changes nothing.
    appendFileSync(
      eventLogFile,
      line({
        seq: events.length + 1,
        type: 'approval.answered',
        id: 'm1/draft/1',
        decision: 'approve',
        by: 'late',
      }),
    );
    const r = recoverMission(eventLogFile, 'm1');
    expect(r.id).toBe('m1');
    expect(r.file).toBe(eventLogFile);
    expect(r.lines).toBe(events.length + 1);
    expect(r.submitted).toEqual({
      name: 'test',
      config: JSON.parse(JSON.stringify(config)),
      input: undefined,
      keySalt: 'salt-1',
      at: events[0]!.ts,
    });
    expect(r.stages).toEqual([
      {
        index: 0,
        name: 'draft',
        finished: [
          { attempt: 1, output: 'draft v1', answers: 1 },
          { attempt: 2, output: 'draft v2', answers: 1 },
        ],
      },
      { index: 1, name: 'publish', finished: [{ attempt: 1, output: 'done', answers: 1 }] },
    ]);
    const requested = events.filter((e) => e.type === 'approval.requested');
    const answered = events.filter((e) => e.type === 'approval.answered');
    expect(r.approvals).toEqual(
      [0, 1].map((i) => ({
        id: `m1/draft/${i + 1}`,
        stage: 'draft',
        index: 0,
        attempt: i + 1,
        output: `draft v${i + 1}`,
        requestedAt: requested[i]!.ts,
        timeoutAt: requested[i]!.timeoutAt,
        onTimeout: 'reject',
        answer:
          i === 0
            ? { decision: 'reject', feedback: 'more', by: 'ann', at: answered[0]!.ts }
            : { decision: 'approve', feedback: undefined, by: 'ann', at: answered[1]!.ts },
      })),
    );
    const finished = events.find((e) => e.type === 'mission.finished')!;
    expect(r.finished).toEqual({
      status: 'succeeded',
      result: 'done',
      error: undefined,
      usage: finished.usage,
      at: finished.ts,
    });
    expect(r.usage).toEqual(events.filter((e) => e.type === 'stage.finished').at(-1)!.usage);
    expect(r.maker).toEqual(new Map());
  });

  it('should read a log torn at its last line up to the last complete line', () => {
    const file = logOf([
      { type: 'mission.submitted', name: 'n', config: {}, keySalt: 's' },
      { type: 'stage.finished', stage: 'a', index: 0, attempt: 1, answers: 1, output: 'A' },
    ]);
    appendFileSync(
      file,
      '{"seq":3,"ts":"2026-01-01T00:00:00.000Z","mission":"m","type":"stage.finished","stage":"b","ind',
    );
    const r = recoverMission(file, 'm');
    expect(r.lines).toBe(2);
    expect(r.stages).toEqual([
      { index: 0, name: 'a', finished: [{ attempt: 1, output: 'A', answers: 1 }] },
    ]);
  });

  it('should not take a last line without its newline as written, even when it parses, as EventLog.open cuts it off', () => {
    const file = logOf([
      { type: 'mission.submitted', name: 'n', config: {} },
      {
        type: 'approval.requested',
        id: 'm/s/1',
        stage: 's',
        index: 0,
        attempt: 1,
        output: 'o',
        onTimeout: 'reject',
      },
    ]);
    appendFileSync(
      file,
      JSON.stringify({
        seq: 3,
        ts: TS,
        mission: 'm',
        type: 'approval.answered',
        id: 'm/s/1',
        decision: 'approve',
        by: 'x',
      }),
    );
    const before = recoverMission(file, 'm');
    expect(before.lines).toBe(2);
    expect(before.approvals[0]!.answer).toBeUndefined();
    // What the log holds once it is opened again is what recovery said.
    new EventLog(file, 'm').open().close();
    expect(recoverMission(file, 'm')).toEqual(before);
  });

  it('should keep the first request and the first answer of an approval, and ignore an answer to an unknown one', () => {
    const file = logOf([
      {
        type: 'approval.requested',
        id: 'm/s/1',
        stage: 's',
        index: 0,
        attempt: 1,
        output: 'first',
        onTimeout: 'approve',
        timeoutAt: '2026-01-01T01:00:00.000Z',
      },
      {
        type: 'approval.requested',
        id: 'm/s/1',
        stage: 's',
        index: 0,
        attempt: 1,
        output: 'again',
      },
      { type: 'approval.answered', id: 'm/nope/1', decision: 'approve' },
      { type: 'approval.answered', id: 'm/s/1', decision: 'reject', feedback: 'no', by: 'timeout' },
      { type: 'approval.answered', id: 'm/s/1', decision: 'approve', by: 'api' },
    ]);
    expect(recoverMission(file, 'm').approvals).toEqual([
      {
        id: 'm/s/1',
        stage: 's',
        index: 0,
        attempt: 1,
        output: 'first',
        requestedAt: TS,
        timeoutAt: '2026-01-01T01:00:00.000Z',
        onTimeout: 'approve',
        answer: { decision: 'reject', feedback: 'no', by: 'timeout', at: TS },
      },
    ]);
  });

  it("should take each MAKER path's last snapshot and only the votes after it, without repeats", () => {
    const P = 'mission/m/stage/s/maker/a';
    const Q = 'mission/m/stage/t/maker/b';
    const vote = (path: string, step: number, outcome = 'decided', samples = 2) => ({
      type: 'maker.vote',
      path,
      step,
      outcome,
      samples,
      ...(outcome === 'decided' && { answer: `a${step}` }),
    });
    const usage = { tokens: 10, costUsd: 0, samples: 7, wallTimeMs: 5 };
    const file = logOf([
      vote(P, 0),
      vote(P, 1),
      {
        type: 'maker.snapshot',
        path: P,
        step: 2,
        state: { n: 2 },
        previous: 'a1',
        samples: 4,
        flagged: 0,
        exhausted: 0,
      },
      vote(P, 1), // older than the snapshot: skipped
      vote(P, 2),
      vote(P, 3, 'exhausted', 5),
      vote(P, 3),
      vote(P, 3), // the same step decided twice: the second is skipped
      vote(Q, 0),
      {
        type: 'maker.snapshot',
        path: Q,
        step: 1,
        state: { m: 1 },
        previous: 'a0',
        samples: 3,
        flagged: 1,
        usage,
      },
      vote(Q, 1),
      vote(P, 4),
    ]);
    const r = recoverMission(file, 'm');
    // Votes written before the last snapshot (of any path) were compacted away in a live log: not read.
    expect(r.maker.get(P)).toEqual({
      snapshot: { step: 2, state: { n: 2 }, previous: 'a1', samples: 4, flagged: 0, exhausted: 0 },
      tail: [{ step: 4, outcome: 'decided', samples: 2, answer: 'a4', flagged: undefined }],
    });
    expect(r.maker.get(Q)).toEqual({
      snapshot: {
        step: 1,
        state: { m: 1 },
        previous: 'a0',
        samples: 3,
        flagged: 1,
        exhausted: undefined,
      },
      tail: [{ step: 1, outcome: 'decided', samples: 2, answer: 'a1', flagged: undefined }],
    });
    // The budget goes on from the snapshot's usage plus the samples voted after it.
    expect(r.usage).toEqual({ ...usage, samples: 7 + 2 + 2 });
  });

  it('should keep exhausted votes and skip repeated decisions after a single snapshot', () => {
    const P = 'p';
    const file = logOf([
      { type: 'maker.snapshot', path: P, step: 10, state: {}, samples: 30, flagged: 0 },
      { type: 'maker.vote', path: P, step: 9, outcome: 'decided', samples: 2, answer: 'old' },
      {
        type: 'maker.vote',
        path: P,
        step: 10,
        outcome: 'exhausted',
        samples: 5,
        flagged: { too_long: 2 },
      },
      { type: 'maker.vote', path: P, step: 10, outcome: 'decided', samples: 3, answer: 'x' },
      { type: 'maker.vote', path: P, step: 10, outcome: 'decided', samples: 3, answer: 'x' },
      { type: 'maker.vote', path: P, step: 11, outcome: 'decided', samples: 2, answer: 'y' },
    ]);
    const r = recoverMission(file, 'm');
    expect(r.maker.get(P)!.tail).toEqual([
      { step: 10, outcome: 'exhausted', samples: 5, answer: undefined, flagged: { too_long: 2 } },
      { step: 10, outcome: 'decided', samples: 3, answer: 'x', flagged: undefined },
      { step: 11, outcome: 'decided', samples: 2, answer: 'y', flagged: undefined },
    ]);
    // No usage was recorded with the snapshot (an older log): the votes' samples alone.
    expect(r.usage).toEqual({ tokens: 0, costUsd: 0, samples: 10, wallTimeMs: 0 });
  });

  it('should fold 100,000 votes after a snapshot into the state of a Hanoi run 101,000 steps in', () => {
    const disks = 17;
    const path = 'mission/m/stage/solve/maker/solver';
    const moves = hanoiSolution(disks);
    const initial = hanoiTask.initialState({ disks });
    let state = initial;
    let previous = '';
    for (let i = 0; i < 1000; i++) {
      previous = formatMove(moves.next().value!);
      state = hanoiTask.replay(state, previous);
    }
    const dir = tempDir();
    const file = EventLog.pathFor(dir, 'm');
    mkdirSync(join(dir, 'missions'));
    const usage = { tokens: 50_000, costUsd: 0.5, samples: 3000, wallTimeMs: 60_000 };
    const parts = [
      line({ seq: 1, type: 'mission.submitted', name: 'hanoi', config: {}, keySalt: 'k' }),
      line({ seq: 2, type: 'stage.entered', stage: 'solve', index: 0, attempt: 1 }),
      line({
        seq: 1002,
        type: 'maker.snapshot',
        path,
        step: 1000,
        state,
        previous,
        samples: 3000,
        flagged: 12,
        exhausted: 1,
        usage,
      }),
    ];
    let last = '';
    for (let step = 1000; step < 101_000; step++) {
      last = formatMove(moves.next().value!);
      parts.push(
        `{"seq":${step + 3},"ts":"${TS}","mission":"m","type":"maker.vote","path":"${path}","k":3,"step":${step},"outcome":"decided","samples":3,"margin":3,"answer":"${last}"}\n`,
      );
    }
    writeFileSync(file, parts.join(''));
    const started = performance.now();
    const r = recoverMission(file, 'm');
    const ms = performance.now() - started;
    expect(r.lines).toBe(100_003);
    const m = r.maker.get(path)!;
    expect(m.snapshot).toMatchObject({
      step: 1000,
      previous,
      samples: 3000,
      flagged: 12,
      exhausted: 1,
    });
    expect(m.tail).toHaveLength(100_000);
    expect(m.tail.every((v, i) => v.step === 1000 + i && v.outcome === 'decided')).toBe(true);
    expect(r.usage).toEqual({ ...usage, samples: 3000 + 300_000 });
    const p = resumeProgress(hanoiTask, initial, m);
    let expected = initial;
    let n = 0;
    for (const mv of hanoiSolution(disks)) {
      if (n++ === 101_000) break;
      expected = hanoiTask.replay(expected, formatMove(mv));
    }
    expect(p).toEqual({
      step: 101_000,
      state: expected,
      previous: last,
      samples: 303_000,
      flagged: 12,
      exhausted: 1,
    });
    // Generous for a shared machine; the fold is one pass and parses only what it needs.
    expect(ms).toBeLessThan(5000);
  });
});

describe('recoverMission: usage', () => {
  it('should ignore event types it does not need, even with an index, an output or a usage', () => {
    const r = recoverMission(
      logOf([
        { type: 'stage.entered', stage: 's', index: 0, attempt: 1 },
        { type: 'supervisor.decision', reason: 'normal', output: 'o' },
        { type: 'mission.resumed', stage: 0, attempt: 1, done: [] },
      ]),
      'm',
    );
    expect(r).toEqual({
      id: 'm',
      file: r.file,
      stages: [],
      approvals: [],
      maker: new Map(),
      plans: new Map(),
      lines: 3,
      corrupt: [],
      corruptReasons: new Map(),
      answers: new Map(),
      agents: new AgentActivityFold(),
    });
  });

  it('should take the usage a suspension recorded over the records before it, and add the votes after it', () => {
    const at = (samples: number) => ({ tokens: samples * 10, costUsd: 0, samples, wallTimeMs: 1 });
    const r = recoverMission(
      logOf([
        {
          type: 'stage.finished',
          stage: 's',
          index: 0,
          attempt: 1,
          answers: 1,
          output: 'o',
          usage: at(1),
        },
        {
          type: 'maker.snapshot',
          path: 'p',
          step: 5,
          state: {},
          samples: 10,
          flagged: 0,
          usage: at(11),
        },
        { type: 'maker.vote', path: 'p', step: 5, outcome: 'decided', samples: 2, answer: 'a' },
        { type: 'mission.suspended', usage: at(16) },
        { type: 'mission.resumed', stage: 1, attempt: 1, done: ['s'] },
        { type: 'maker.vote', path: 'p', step: 6, outcome: 'decided', samples: 3, answer: 'b' },
      ]),
      'm',
    );
    expect(r.usage).toEqual({ ...at(16), samples: 19 });
    expect(r.maker.get('p')!.tail.map((v) => v.step)).toEqual([5, 6]);
  });
});

describe('recoverMission: usage after the last usage record', () => {
  it('should count the agent calls logged after the last usage record: a sample each, and the tokens and cost of those that answered', () => {
    const dir = tempDir();
    const file = join(dir, 'u.jsonl');
    const line = (seq: number, e: Record<string, unknown>) =>
      `${JSON.stringify({ seq, ts: '2026-01-01T00:00:00.000Z', mission: 'u', ...e })}\n`;
    writeFileSync(
      file,
      line(1, { type: 'agent.call', ok: true, usage: { totalTokens: 999 }, costUsd: 9 }) +
        line(2, {
          type: 'stage.finished',
          stage: 'a',
          index: 0,
          attempt: 1,
          answers: 1,
          output: 'x',
          usage: { tokens: 100, costUsd: 0.5, samples: 2, wallTimeMs: 10 },
        }) +
        line(3, { type: 'agent.call', ok: true, usage: { totalTokens: 40 }, costUsd: 0.25 }) +
        line(4, { type: 'agent.call', ok: false, error: 'boom' }),
    );
    expect(recoverMission(file, 'u').usage).toEqual({
      tokens: 140,
      costUsd: 0.75,
      samples: 4,
      wallTimeMs: 10,
    });
  });
});

describe('recoverMission: a torn snapshot', () => {
  it('should keep the votes after the last complete snapshot when the newest snapshot is the torn last line', () => {
    const file = logOf([
      { type: 'maker.snapshot', path: 'p', step: 2, state: { s: 2 }, samples: 6, flagged: 0 },
      { type: 'maker.vote', path: 'p', step: 2, outcome: 'decided', samples: 3, answer: 'x' },
      { type: 'maker.vote', path: 'p', step: 3, outcome: 'decided', samples: 3, answer: 'y' },
    ]);
    appendFileSync(
      file,
      line({
        seq: 4,
        type: 'maker.snapshot',
        path: 'p',
        step: 4,
        state: { s: 4 },
        samples: 12,
      }).slice(0, -1),
    );
    const r = recoverMission(file, 'm');
    expect(r.maker.get('p')).toEqual({
      snapshot: { step: 2, state: { s: 2 }, samples: 6, flagged: 0 },
      tail: [
        expect.objectContaining({ step: 2, answer: 'x' }),
        expect.objectContaining({ step: 3, answer: 'y' }),
      ],
    });
    expect(r.lines).toBe(3);
  });
});

describe('recoverMission: corrupt lines', () => {
  it('should skip a corrupt middle line, keep its number, and fold the rest', () => {
    const file = logOf([
      { type: 'mission.submitted', config: {}, input: 'i' },
      { type: 'stage.finished', stage: 'a', index: 0, attempt: 1, answers: 1, output: 'A' },
      { type: 'stage.finished', stage: 'b', index: 1, attempt: 1, answers: 1, output: 'B' },
    ]);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.splice(
      1,
      0,
      'garbage, not an event',
      '{"seq":9,"ts":"x","mission":"m","type":"stage.finished","out',
    );
    writeFileSync(file, lines.join('\n'));
    const r = recoverMission(file, 'm');
    expect(r.corrupt).toEqual([2, 3]);
    expect(r.stages.map((s) => [s.name, s.finished.map((f) => f.output)])).toEqual([
      ['a', ['A']],
      ['b', ['B']],
    ]);
    expect(r.lines).toBe(5);
  });
});
