import { describe, expect, it } from 'vitest';
import type { LooseEvent } from '../helpers/looseEvent.js';
import { recoverMission } from '../../log/missionRecovery.js';
import { ManualClock } from '../../kernel/clock.js';
import type { MissionMachineEvent } from '../../machines/mission.js';
import type { RunOptions } from '../../runner/runMission.js';
import { mission, runAndRead } from '../helpers/missions.js';

type Send = (event: MissionMachineEvent) => void;

/** plan (gated) → build, on scripted models; `build` answers after `buildMs` of the clock. */
function gated(budget: { wallTimeMs?: number }, buildMs = 0) {
  return mission({
    providers: {
      p: { kind: 'scripted', responses: ['the plan'] },
      b: { kind: 'scripted', responses: [{ text: 'built', delayMs: buildMs }] },
    },
    agents: [
      { id: 'architect', provider: 'p' },
      { id: 'engineer', provider: 'b' },
    ],
    stages: [
      { name: 'plan', prompt: 'plan it', agents: ['architect'], approval: true },
      { name: 'build', prompt: 'build it', agents: ['engineer'] },
    ],
    budget,
  });
}

/** Calls `atGate` outside the mission's own transition once the gate is asked, and `onEvent` for every event. */
function run(
  config: ReturnType<typeof gated>,
  atGate: (request: LooseEvent, send: Send) => void,
  options: Partial<RunOptions> = {},
) {
  let send: Send | undefined;
  return runAndRead(config, {
    ...options,
    onStart: (s) => (send = s),
    onEvent: (e) => {
      options.onEvent?.(e);
      if (e.type === 'approval.requested') queueMicrotask(() => atGate(e, send!));
    },
  });
}

const approve = (req: LooseEvent, send: Send) =>
  send({ type: 'gate.answered', id: req.id as string, decision: 'approve', by: 'alice' });

describe('a wall-time budget and an approval gate', () => {
  it('should not count the minute a person takes to answer against a 3 s wall-time budget', async () => {
    const clock = new ManualClock(0);
    const { output, events } = await run(
      gated({ wallTimeMs: 3000 }),
      (req, send) => {
        // The mission supervisor's wall-time timer fires (and re-arms) many times in this minute.
        clock.advance(60_000);
        approve(req, send);
      },
      { clock },
    );
    expect(output.status).toBe('succeeded');
    expect(output.result).toBe('built');
    expect(output.usage.wallTimeMs).toBe(0);
    expect(events.find((e) => e.type === 'approval.answered')).toMatchObject({
      ts: '1970-01-01T00:01:00.000Z',
      by: 'alice',
    });
    expect(
      events.filter(
        (e) =>
          e.type === 'approval.closed' ||
          (e.type === 'supervisor.decision' &&
            e.action === 'shutdown' &&
            e.errorContext !== 'auto_shutdown'),
      ),
    ).toEqual([]);
  });

  it('should still count the machine time after the gate, and fail budget_exceeded when it runs out', async () => {
    const clock = new ManualClock(0);
    const { output } = await run(
      gated({ wallTimeMs: 3000 }, 5000),
      (req, send) => {
        clock.advance(60_000);
        approve(req, send);
        // The build stage's call waits 5 s of the clock: the budget ends it at 3 s of machine time.
        setTimeout(() => clock.advance(5000), 20);
      },
      { clock },
    );
    expect(output.status).toBe('failed');
    expect(output.error).toEqual({
      reason: 'budget_exceeded',
      message: "budget_exceeded: wallTimeMs at 'mission/m1' (used 3000 of 3000)",
    });
  });
});

describe('a mission that ends while its gate is open', () => {
  it('should close the gate with approval.closed and the reason when stopped at it, and write no answer', async () => {
    const { output, events, eventLogFile } = await run(gated({}), (_req, send) =>
      send({ type: 'mission.stop', reason: 'changed my mind' }),
    );
    expect(output.error).toEqual({ reason: 'stopped', message: 'changed my mind' });
    const tail = events.filter((e) => e.type !== 'supervisor.decision').slice(-3);
    expect(tail.map((e) => e.type)).toEqual([
      'approval.requested',
      'approval.closed',
      'mission.finished',
    ]);
    expect(tail[1]).toEqual({
      seq: tail[1]!.seq,
      ts: tail[1]!.ts,
      mission: 'm1',
      type: 'approval.closed',
      id: 'm1/plan/1',
      reason: 'stopped',
      message: 'changed my mind',
    });
    expect(events.filter((e) => e.type === 'approval.answered')).toEqual([]);
    // The log says the gate is closed: nothing folded from it offers the approval.
    const r = recoverMission(eventLogFile, 'm1');
    expect(r.approvals).toEqual([
      expect.objectContaining({
        id: 'm1/plan/1',
        closed: { reason: 'stopped', message: 'changed my mind', at: tail[1]!.ts },
      }),
    ]);
    expect(r.approvals[0]!.answer).toBeUndefined();
  });

  it('should leave the gate open when the mission is suspended at it (it waits again on resume)', async () => {
    const suspend = new AbortController();
    const { output, events } = await run(gated({}), () => suspend.abort(), {
      suspend: suspend.signal,
    });
    expect(output.status).toBe('suspended');
    expect(events.filter((e) => e.type === 'approval.closed')).toEqual([]);
  });

  it('should not close an answered gate', async () => {
    const { events } = await run(gated({}), approve);
    expect(events.filter((e) => e.type === 'approval.closed')).toEqual([]);
  });
});
