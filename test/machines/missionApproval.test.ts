import { describe, expect, it } from 'vitest';
import type { LooseEvent } from '../helpers/looseEvent.js';
import { ManualClock } from '../../kernel/clock.js';
import { parseConfigText } from '../../config/loader.js';
import { missionSchema, type ApprovalConfig } from '../../config/mission.js';
import type { MissionMachineEvent } from '../../machines/mission.js';
import type { RunOptions } from '../../runner/runMission.js';
import { mission, runAndRead } from '../helpers/missions.js';

/** A provider that answers `<tag>: <prompt>`, so what a stage was asked shows in its output. */
const echo = (tag: string) => ({
  kind: 'cli' as const,
  command: process.execPath,
  args: ['-e', `process.stdout.write(${JSON.stringify(tag)} + ": " + process.argv[1])`, '{prompt}'],
});

/** draft (gated) → publish; each stage's output is its prompt, echoed. */
function gatedMission(approval: Partial<ApprovalConfig> | true) {
  return mission({
    providers: { a: echo('draft'), b: echo('pub') },
    agents: [
      { id: 'writer', provider: 'a' },
      { id: 'publisher', provider: 'b' },
    ],
    stages: [
      { name: 'draft', prompt: 'Write about {{input}}', agents: ['writer'], approval },
      { name: 'publish', prompt: 'Publish: {{previous}}', agents: ['publisher'] },
    ],
    input: 'trees',
  });
}

type Send = (event: MissionMachineEvent) => void;

/**
 * Runs a mission and calls `onRequest` (after the request is in the log, outside the mission's
 * own transition) for each approval it asks, with a way to answer.
 */
function runAnswering(
  config: ReturnType<typeof gatedMission>,
  onRequest: (request: LooseEvent, send: Send) => void,
  options: Partial<RunOptions> = {},
) {
  let send: Send | undefined;
  return runAndRead(config, {
    ...options,
    onStart: (s) => (send = s),
    onEvent: (e) => {
      options.onEvent?.(e);
      if (e.type === 'approval.requested') queueMicrotask(() => onRequest(e, send!));
    },
  });
}

const types = (events: LooseEvent[]) =>
  events.map((e) => e.type).filter((t) => t !== 'supervisor.decision');
const answered = (events: LooseEvent[]) => events.filter((e) => e.type === 'approval.answered');
const FEEDBACK_HEADER =
  '\n\n---\nA reviewer rejected the previous answer to this stage, with this feedback:\n';

describe('approval gate (runMission)', () => {
  it('should wait for an approval, then feed the approved output to the next stage and succeed', async () => {
    const { output, events } = await runAnswering(gatedMission(true), (req, send) =>
      send({ type: 'gate.answered', id: req.id as string, decision: 'approve', by: 'alice' }),
    );
    expect(output.status).toBe('succeeded');
    expect(output.result).toBe('pub: Publish: draft: Write about trees');
    expect(output.stages.map((s) => [s.name, s.output])).toEqual([
      ['draft', 'draft: Write about trees'],
      ['publish', 'pub: Publish: draft: Write about trees'],
    ]);
    expect(types(events)).toEqual([
      'mission.submitted',
      'mission.started',
      'stage.entered',
      'agent.call',
      'stage.finished',
      'approval.requested',
      'approval.answered',
      'stage.entered',
      'agent.call',
      'stage.finished',
      'mission.finished',
    ]);
    const requested = events.find((e) => e.type === 'approval.requested')!;
    // `approval: true` has no timeout: the request says when it was asked, and nothing about a timeout.
    expect(requested).toEqual({
      seq: requested.seq,
      ts: requested.ts,
      mission: 'm1',
      type: 'approval.requested',
      id: 'm1/draft/1',
      stage: 'draft',
      index: 0,
      attempt: 1,
      output: 'draft: Write about trees',
      requestedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      onTimeout: 'reject',
    });
    // Asked when it was logged (the clock may tick a millisecond between the two).
    expect(
      Math.abs(Date.parse(requested.requestedAt as string) - Date.parse(requested.ts)),
    ).toBeLessThanOrEqual(50);
    expect(answered(events)).toMatchObject([
      { id: 'm1/draft/1', decision: 'approve', by: 'alice' },
    ]);
    expect(answered(events)[0]).not.toHaveProperty('feedback');
  });

  it('should run a rejected stage again as attempt 2 with the feedback in its prompt, then go on once approved', async () => {
    const { output, events } = await runAnswering(gatedMission({ maxRevisions: 2 }), (req, send) =>
      send(
        req.attempt === 1
          ? {
              type: 'gate.answered',
              id: req.id as string,
              decision: 'reject',
              feedback: 'mention oaks',
              by: 'bob',
            }
          : { type: 'gate.answered', id: req.id as string, decision: 'approve', by: 'bob' },
      ),
    );
    const revised = `draft: Write about trees${FEEDBACK_HEADER}mention oaks`;
    expect(output.status).toBe('succeeded');
    expect(output.stages.map((s) => s.output)).toEqual([revised, `pub: Publish: ${revised}`]);
    expect(types(events)).toEqual([
      'mission.submitted',
      'mission.started',
      'stage.entered',
      'agent.call',
      'stage.finished',
      'approval.requested',
      'approval.answered',
      'stage.entered',
      'agent.call',
      'stage.finished',
      'approval.requested',
      'approval.answered',
      'stage.entered',
      'agent.call',
      'stage.finished',
      'mission.finished',
    ]);
    expect(
      events.filter((e) => e.type === 'stage.entered').map((e) => [e.stage, e.attempt]),
    ).toEqual([
      ['draft', 1],
      ['draft', 2],
      ['publish', 1],
    ]);
    expect(
      events.filter((e) => e.type === 'stage.finished').map((e) => [e.stage, e.attempt, e.output]),
    ).toEqual([
      ['draft', 1, 'draft: Write about trees'],
      ['draft', 2, revised],
      ['publish', 1, `pub: Publish: ${revised}`],
    ]);
    // The revision is a new child of the mission supervisor, with its own id and path.
    const stageExits = events
      .filter((e) => e.type === 'supervisor.decision' && e.supervisor === 'mission/m1')
      .map((e) => e.offender as { id: string; path: string });
    expect(stageExits.map((o) => [o.id, o.path])).toEqual([
      ['stage/draft', 'mission/m1/stage/draft'],
      ['stage/draft@2', 'mission/m1/stage/draft@2'],
      ['stage/publish', 'mission/m1/stage/publish'],
    ]);
    expect(events.filter((e) => e.type === 'agent.call').map((e) => e.path)).toEqual([
      'mission/m1/stage/draft/agent/writer',
      'mission/m1/stage/draft@2/agent/writer',
      'mission/m1/stage/publish/agent/publisher',
    ]);
    expect(answered(events).map((e) => [e.id, e.decision, e.feedback, e.by])).toEqual([
      ['m1/draft/1', 'reject', 'mention oaks', 'bob'],
      ['m1/draft/2', 'approve', undefined, 'bob'],
    ]);
  });

  it('should say so in the prompt when a stage was rejected without feedback', async () => {
    const { output } = await runAnswering(gatedMission({ maxRevisions: 1 }), (req, send) =>
      send({
        type: 'gate.answered',
        id: req.id as string,
        decision: req.attempt === 1 ? 'reject' : 'approve',
      }),
    );
    expect(output.stages[0]!.output).toBe(
      `draft: Write about trees${FEEDBACK_HEADER}rejected without feedback`,
    );
  });

  it('should fail with reason rejected once the rejections pass maxRevisions, without running the next stage', async () => {
    const { output, events } = await runAnswering(gatedMission({ maxRevisions: 1 }), (req, send) =>
      send({
        type: 'gate.answered',
        id: req.id as string,
        decision: 'reject',
        feedback: `still wrong (${req.attempt})`,
      }),
    );
    expect(output.status).toBe('failed');
    expect(output.error).toEqual({
      reason: 'rejected',
      message: "stage 'draft' rejected after 2 attempt(s): still wrong (2)",
    });
    expect(output.stages).toEqual([]);
    expect(output.result).toBeUndefined();
    expect(
      events.filter((e) => e.type === 'stage.entered').map((e) => [e.stage, e.attempt]),
    ).toEqual([
      ['draft', 1],
      ['draft', 2],
    ]);
    // The answer is logged (by `api` when the sender does not say who) before the mission fails.
    expect(answered(events).map((e) => [e.id, e.decision, e.by])).toEqual([
      ['m1/draft/1', 'reject', 'api'],
      ['m1/draft/2', 'reject', 'api'],
    ]);
    expect(events.at(-1)).toMatchObject({
      type: 'mission.finished',
      status: 'failed',
      error: output.error,
    });
  });

  it('should fail at the first rejection with maxRevisions 0, and say so without feedback', async () => {
    const { output, events } = await runAnswering(gatedMission({ maxRevisions: 0 }), (req, send) =>
      send({ type: 'gate.answered', id: req.id as string, decision: 'reject' }),
    );
    expect(output.error).toEqual({
      reason: 'rejected',
      message: "stage 'draft' rejected after 1 attempt(s)",
    });
    expect(events.filter((e) => e.type === 'stage.entered')).toHaveLength(1);
  });

  it('should ignore an answer for another approval id, and a second answer to the same one', async () => {
    const seen: string[][] = [];
    const all: LooseEvent[] = [];
    const read = () => answered(all).map((e) => String(e.id));
    const { output, events } = await runAnswering(
      gatedMission(true),
      (req, send) => {
        send({
          type: 'gate.answered',
          id: 'm1/draft/2',
          decision: 'reject',
          feedback: 'wrong attempt',
        });
        send({
          type: 'gate.answered',
          id: 'other/draft/1',
          decision: 'reject',
          feedback: 'wrong mission',
        });
        send({ type: 'gate.answered', id: 'other/draft/1', decision: 'approve' });
        seen.push(read());
        send({ type: 'gate.answered', id: req.id as string, decision: 'approve' });
        send({
          type: 'gate.answered',
          id: req.id as string,
          decision: 'reject',
          feedback: 'too late',
        });
        seen.push(read());
      },
      { onEvent: (e) => all.push(e) },
    );
    // Nothing was written for the wrong ids; the first answer to the right one stands.
    expect(seen).toEqual([[], ['m1/draft/1']]);
    expect(output.status).toBe('succeeded');
    expect(answered(events).map((e) => [e.id, e.decision])).toEqual([['m1/draft/1', 'approve']]);
    expect(events.filter((e) => e.type === 'stage.entered').map((e) => e.stage)).toEqual([
      'draft',
      'publish',
    ]);
  });

  it('should fail with stopped when asked to stop while waiting, writing no answer', async () => {
    const { output, events } = await runAnswering(gatedMission(true), (_req, send) =>
      send({ type: 'mission.stop', reason: 'changed my mind' }),
    );
    expect(output.status).toBe('failed');
    expect(output.error).toEqual({ reason: 'stopped', message: 'changed my mind' });
    expect(answered(events)).toEqual([]);
    // The gate closes with the mission: nobody may answer it any more.
    expect(types(events).slice(-3)).toEqual([
      'approval.requested',
      'approval.closed',
      'mission.finished',
    ]);
    expect(events.at(-1)).toMatchObject({
      type: 'mission.finished',
      status: 'failed',
      error: { reason: 'stopped', message: 'changed my mind' },
    });
  });

  it('should fail with stopped when the run signal aborts while waiting', async () => {
    const stop = new AbortController();
    const { output } = await runAnswering(gatedMission(true), () => stop.abort(), {
      signal: stop.signal,
    });
    expect(output.error).toEqual({ reason: 'stopped', message: 'interrupted' });
  });

  it('should end suspended when suspended while waiting: mission.suspended last, no mission.finished, no answer', async () => {
    const suspend = new AbortController();
    const { output, events } = await runAnswering(gatedMission(true), () => suspend.abort(), {
      suspend: suspend.signal,
    });
    expect(output.status).toBe('suspended');
    expect(output.error).toBeUndefined();
    expect(output.result).toBeUndefined();
    expect(output.stages).toEqual([]);
    expect(types(events).slice(-2)).toEqual(['approval.requested', 'mission.suspended']);
    expect(
      events.filter((e) => e.type === 'mission.finished' || e.type === 'approval.answered'),
    ).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'mission.suspended', usage: { samples: 1 } });
  });
});

describe('approval timeouts (injected clock)', () => {
  it('should approve on timeout with onTimeout approve, not a millisecond before', async () => {
    const clock = new ManualClock(0);
    const before: number[] = [];
    const all: LooseEvent[] = [];
    const { output, events } = await runAnswering(
      gatedMission({ timeoutMs: 1000, onTimeout: 'approve' }),
      () => {
        clock.advance(999);
        before.push(answered(all).length);
        clock.advance(1);
      },
      { clock, onEvent: (e) => all.push(e) },
    );
    expect(before).toEqual([0]);
    expect(output.status).toBe('succeeded');
    expect(output.result).toBe('pub: Publish: draft: Write about trees');
    expect(events.find((e) => e.type === 'approval.requested')).toMatchObject({
      requestedAt: '1970-01-01T00:00:00.000Z',
      timeoutAt: '1970-01-01T00:00:01.000Z',
      onTimeout: 'approve',
    });
    expect(answered(events)).toEqual([
      {
        seq: expect.any(Number),
        ts: '1970-01-01T00:00:01.000Z',
        mission: 'm1',
        type: 'approval.answered',
        id: 'm1/draft/1',
        decision: 'approve',
        feedback: 'no answer within the approval timeout (1970-01-01T00:00:01.000Z)',
        by: 'timeout',
      },
    ]);
  });

  it('should reject on timeout by default and fail with rejected (timed out) when no revision is left', async () => {
    const clock = new ManualClock(0);
    const { output, events } = await runAnswering(
      gatedMission({ timeoutMs: 5000, maxRevisions: 0 }),
      () => clock.advance(5000),
      { clock },
    );
    expect(output.status).toBe('failed');
    expect(output.error).toEqual({
      reason: 'rejected',
      message:
        "stage 'draft' rejected (timed out) after 1 attempt(s): no answer within the approval timeout (1970-01-01T00:00:05.000Z)",
    });
    expect(answered(events).map((e) => [e.decision, e.by])).toEqual([['reject', 'timeout']]);
    expect(events.filter((e) => e.type === 'stage.entered').map((e) => e.stage)).toEqual(['draft']);
  });

  it('should fail at once on a timeout rejection, even with revisions left: nobody watched, and there is no feedback', async () => {
    const clock = new ManualClock(0);
    const { output, events } = await runAnswering(
      gatedMission({ timeoutMs: 5000, onTimeout: 'reject', maxRevisions: 2 }),
      () => clock.advance(5000),
      { clock },
    );
    expect(output.status).toBe('failed');
    expect(output.error).toEqual({
      reason: 'rejected',
      message:
        "stage 'draft' rejected (timed out) after 1 attempt(s): no answer within the approval timeout (1970-01-01T00:00:05.000Z)",
    });
    expect(events.filter((e) => e.type === 'stage.entered').map((e) => e.attempt)).toEqual([1]);
    expect(answered(events).map((e) => [e.id, e.decision, e.by])).toEqual([
      ['m1/draft/1', 'reject', 'timeout'],
    ]);
  });

  it('should give the approval of a revision its own fresh timeout', async () => {
    const clock = new ManualClock(0);
    const { output, events } = await runAnswering(
      gatedMission({ timeoutMs: 5000, onTimeout: 'approve', maxRevisions: 1 }),
      (req, send) =>
        req.attempt === 1
          ? (clock.advance(1000),
            send({
              type: 'gate.answered',
              id: req.id as string,
              decision: 'reject',
              feedback: 'again',
              by: 'carol',
            }))
          : clock.advance(5000),
      { clock },
    );
    expect(output.status).toBe('succeeded');
    expect(
      events.filter((e) => e.type === 'approval.requested').map((e) => [e.id, e.timeoutAt]),
    ).toEqual([
      ['m1/draft/1', '1970-01-01T00:00:05.000Z'],
      ['m1/draft/2', '1970-01-01T00:00:06.000Z'],
    ]);
    expect(answered(events).map((e) => [e.id, e.decision, e.by])).toEqual([
      ['m1/draft/1', 'reject', 'carol'],
      ['m1/draft/2', 'approve', 'timeout'],
    ]);
  });

  it('should wait out a timeout longer than setTimeout can take, in steps', async () => {
    const clock = new ManualClock(0);
    const days30 = 30 * 24 * 3600 * 1000;
    const maxDelay = 2 ** 31 - 1;
    const all: LooseEvent[] = [];
    const seen: number[] = [];
    const { output, events } = await runAnswering(
      gatedMission({ timeoutMs: days30, onTimeout: 'approve' }),
      () => {
        clock.advance(maxDelay);
        seen.push(answered(all).length, clock.pending > 0 ? 1 : 0);
        clock.advance(days30 - maxDelay - 1);
        seen.push(answered(all).length);
        clock.advance(1);
      },
      { clock, onEvent: (e) => all.push(e) },
    );
    // Still waiting (with a timer set again) after the first step and a millisecond before the end.
    expect(seen).toEqual([0, 1, 0]);
    expect(output.status).toBe('succeeded');
    expect(answered(events).map((e) => [e.by, e.ts])).toEqual([
      ['timeout', new Date(days30).toISOString()],
    ]);
  });

  it("should take a person's answer before the timeout and never fire the timeout afterwards", async () => {
    const clock = new ManualClock(0);
    const { output, events } = await runAnswering(
      gatedMission({ timeoutMs: 1000, onTimeout: 'reject', maxRevisions: 0 }),
      (req, send) => {
        clock.advance(500);
        send({ type: 'gate.answered', id: req.id as string, decision: 'approve', by: 'dave' });
        clock.advance(10_000);
      },
      { clock },
    );
    expect(output.status).toBe('succeeded');
    expect(answered(events).map((e) => [e.decision, e.by, e.ts])).toEqual([
      ['approve', 'dave', '1970-01-01T00:00:00.500Z'],
    ]);
  });
});

describe('approval config', () => {
  it('should take true as the defaults: no timeout, reject on timeout, 2 revisions', () => {
    expect(gatedMission(true).stages[0]!.approval).toEqual({
      onTimeout: 'reject',
      maxRevisions: 2,
    });
    expect(gatedMission({ timeoutMs: 10 }).stages[0]!.approval).toEqual({
      timeoutMs: 10,
      onTimeout: 'reject',
      maxRevisions: 2,
    });
    expect(gatedMission(true).stages[1]!.approval).toBeUndefined();
  });

  it('should refuse a timeout that is not a positive integer, a negative maxRevisions and an unknown key, naming the field', () => {
    const file = (approval: string) => `name: t
providers: { a: { kind: scripted, responses: [x] } }
agents: [{ id: w, provider: a }]
stages:
  - name: s
    prompt: p
    agents: [w]
    approval: ${approval}
`;
    const parse = (approval: string) => () =>
      parseConfigText(file(approval), 'm.yaml', missionSchema, { env: {} });
    expect(parse('{ timeoutMs: 0 }')).toThrow(
      'm.yaml:8 stages[0].approval.timeoutMs: expected more than 0',
    );
    expect(parse('{ maxRevisions: -1 }')).toThrow(
      'm.yaml:8 stages[0].approval.maxRevisions: expected at least 0',
    );
    expect(parse('{ timeout: 5 }')).toThrow('m.yaml:8 stages[0].approval.timeout: unknown key');
    expect(
      parse('{ timeoutMs: 60000, onTimeout: approve, maxRevisions: 0 }')().stages[0]!.approval,
    ).toEqual({ timeoutMs: 60_000, onTimeout: 'approve', maxRevisions: 0 });
  });
});
