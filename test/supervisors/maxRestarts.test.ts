import { describe, expect, it } from 'vitest';
import {
  normalizeFlags,
  restartLimitReached,
  SupervisorShutdownError,
  type ChildSpec,
} from '../../supervisors/index.js';
import { testWorker } from '../helpers/testWorker.js';
import { startTree } from '../helpers/tree.js';

describe('restart limits (pure)', () => {
  it.each([
    // history within the period, total restarts, intensity, maxRestarts, limit reached
    [[1], 1, 1, Infinity, undefined],
    [[1, 2], 2, 1, Infinity, 'reached_max_restart_intensity'],
    [[9], 9, 1, Infinity, undefined],
    [[9], 3, 1, 3, undefined],
    [[9], 4, 1, 3, 'reached_max_restarts'],
    [[8, 9], 4, 1, 3, 'reached_max_restart_intensity'],
    [[1], 1, 5, 0, 'reached_max_restarts'],
  ] as const)(
    'history %j, total %i, intensity %i, maxRestarts %s: %s',
    (history, total, intensity, maxRestarts, reached) => {
      expect(restartLimitReached(history, total, { intensity, maxRestarts })).toBe(reached);
    },
  );

  it('should refuse a maxRestarts that is not a non-negative integer, and default to no bound', () => {
    expect(normalizeFlags({}).maxRestarts).toBe(Infinity);
    expect(() => normalizeFlags({ maxRestarts: -1 })).toThrow(
      'maxRestarts: must be a non-negative integer, got -1',
    );
    expect(() => normalizeFlags({ maxRestarts: 1.5 })).toThrow(
      'maxRestarts: must be a non-negative integer, got 1.5',
    );
  });
});

/** A worker that crashes every 6 s: each crash is past the default 5 s period from the last. */
function crashEverySixSeconds(maxRestarts: number | undefined, crashes: number) {
  const log: string[] = [];
  const spec: ChildSpec = {
    id: 'W',
    restart: 'permanent',
    start: { logic: testWorker, input: { name: 'W', log } },
  };
  const t = startTree({
    name: 'stage',
    flags: { intensity: 1, periodMs: 5000, ...(maxRestarts !== undefined && { maxRestarts }) },
    children: [spec],
  });
  for (let i = 0; i < crashes && t.child('W'); i++) {
    t.clock.advance(6000);
    t.child('W')!.send({ type: 'crash' });
  }
  return { t, starts: log.filter((l) => l === 'start:W').length };
}

describe('maxRestarts: a total bound on restarts, whatever their spacing', () => {
  it('should restart a worker that fails every 6 s forever under OTP intensity alone (1 in 5000 ms)', () => {
    const { t, starts } = crashEverySixSeconds(undefined, 50);
    expect(starts).toBe(51);
    expect(t.actor.getSnapshot().status).toBe('active');
    expect(t.errors).toEqual([]);
  });

  it('should restart it exactly maxRestarts times, then give up with reason reached_max_restarts', () => {
    const { t, starts } = crashEverySixSeconds(3, 50);
    expect(starts).toBe(4); // the first start and 3 restarts
    expect(t.actor.getSnapshot().status).toBe('error');
    expect(t.errors).toHaveLength(1);
    const err = t.errors[0] as SupervisorShutdownError;
    expect(err).toBeInstanceOf(SupervisorShutdownError);
    expect(err.reason).toBe('reached_max_restarts');
    expect(err.exit).toBe('shutdown');
    expect(
      t
        .decisions()
        .map((d) => [d.errorContext, d.reason])
        .slice(-2),
    ).toEqual([
      ['child_terminated', expect.any(String)],
      ['shutdown', 'reached_max_restarts'],
    ]);
  });
});

describe('maxRestarts in a mission file (stages[].supervision.maxRestarts)', () => {
  it('should end the stage after that many restarts even when the intensity would allow more', async () => {
    const { mission, runAndRead } = await import('../helpers/missions.js');
    const config = mission({
      providers: {
        broken: { kind: 'scripted', responses: [{ error: 'down', errorKind: 'server' }] },
      },
      agents: [{ id: 'x', provider: 'broken' }],
      stages: [
        {
          name: 's',
          prompt: 'p',
          agents: ['x'],
          supervision: { intensity: 100, periodMs: 10_000, maxRestarts: 2 },
        },
      ],
    });
    const { output, events } = await runAndRead(config);
    expect(output.error).toEqual({
      reason: 'reached_max_restarts',
      message:
        "stage 's' gave up: reached_max_restarts; last crash: agent/x: provider 'broken': http 500: down",
    });
    expect(events.filter((e) => e.type === 'agent.call')).toHaveLength(3);
  });
});
