import { describe, expect, it } from 'vitest';
import { createActor, setup } from 'xstate';
import { formatTelemetry, hardLimit, monitorLogic, type Telemetry } from '../../actors/monitor.js';
import { ManualClock, type Clock } from '../../kernel/clock.js';

function telemetry(over: Partial<Telemetry> = {}): Telemetry {
  return {
    elapsedMs: 12_500,
    slaMs: 60_000,
    tasks: { total: 10, finished: 3, failed: 1, running: 2, blocked: 4 },
    restarts: 2,
    usage: { tokens: 1200, costUsd: 0.1 + 0.2, samples: 14, wallTimeMs: 12_500 },
    limits: { tokens: 5000, samples: 100, wallTimeMs: 600_000 },
    ...over,
  };
}

describe('monitor: hard limits', () => {
  it.each([
    ['nothing reached', {}, undefined],
    ['no SLA and no limits', { slaMs: undefined, limits: {} }, undefined],
    [
      'the SLA',
      { elapsedMs: 60_000 },
      { reason: 'sla_exceeded', message: 'sla_exceeded: ran 60000 ms, SLA 60000 ms' },
    ],
    [
      'the SLA before a budget',
      { elapsedMs: 61_000, limits: { tokens: 1000 } },
      { reason: 'sla_exceeded', message: 'sla_exceeded: ran 61000 ms, SLA 60000 ms' },
    ],
    [
      'tokens',
      { limits: { tokens: 1200 } },
      { reason: 'budget_exceeded', message: 'budget_exceeded: tokens (used 1200 of 1200)' },
    ],
    [
      'costUsd',
      { limits: { costUsd: 0.3 } },
      { reason: 'budget_exceeded', message: 'budget_exceeded: costUsd (used 0.3 of 0.3)' },
    ],
    [
      'samples',
      { limits: { samples: 10 } },
      { reason: 'budget_exceeded', message: 'budget_exceeded: samples (used 14 of 10)' },
    ],
    [
      'wallTimeMs',
      { limits: { wallTimeMs: 12_000 } },
      { reason: 'budget_exceeded', message: 'budget_exceeded: wallTimeMs (used 12500 of 12000)' },
    ],
    [
      'one short of each',
      {
        elapsedMs: 59_999,
        limits: { tokens: 1201, costUsd: 0.31, samples: 15, wallTimeMs: 12_501 },
      },
      undefined,
    ],
  ] as const)('should report %s', (_name, over, expected) => {
    expect(hardLimit(telemetry(over as Partial<Telemetry>))).toEqual(expected);
  });
});

describe('monitor: telemetry text', () => {
  it('should show time, tasks, restarts and every budget with its limit', () => {
    expect(formatTelemetry(telemetry())).toBe(
      [
        'elapsed: 12500 ms of 60000 ms SLA',
        'tasks: 10 total, 3 finished, 1 failed, 2 running, 4 blocked',
        'restarts: 2',
        'tokens: 1200 of 5000',
        'costUsd: 0.3 (no limit)',
        'samples: 14 of 100',
        'wallTimeMs: 12500 of 600000',
      ].join('\n'),
    );
    expect(formatTelemetry(telemetry({ slaMs: undefined })).split('\n')[0]).toBe(
      'elapsed: 12500 ms (no SLA)',
    );
  });
});

function watcher(clock: Clock, ticks: number[]) {
  return setup({ actors: { monitor: monitorLogic } }).createMachine({
    initial: 'watching',
    states: {
      watching: {
        invoke: { src: 'monitor', input: { clock, intervalMs: 1000 } },
        on: { 'monitor.tick': { actions: () => ticks.push(clock.now()) }, stop: 'idle' },
      },
      idle: {},
    },
  });
}

describe('monitor: ticks (fromCallback)', () => {
  it('should tick its parent exactly at each interval and stop ticking when stopped', () => {
    const clock = new ManualClock(5000);
    const ticks: number[] = [];
    const actor = createActor(watcher(clock, ticks)).start();
    clock.advance(999);
    expect(ticks).toEqual([]);
    clock.advance(1);
    expect(ticks).toEqual([6000]);
    clock.advance(2500);
    expect(ticks).toEqual([6000, 7000, 8000]);
    actor.send({ type: 'stop' });
    expect(clock.pending).toBe(0);
    clock.advance(5000);
    expect(ticks).toEqual([6000, 7000, 8000]);
    actor.stop();
  });

  it('should clear its timer when its parent stops', () => {
    const clock = new ManualClock();
    const ticks: number[] = [];
    const actor = createActor(watcher(clock, ticks)).start();
    clock.advance(1000);
    actor.stop();
    expect(clock.pending).toBe(0);
    clock.advance(3000);
    expect(ticks).toEqual([1000]);
  });

  it('should skip the ticks a late timer missed rather than send them in a burst', () => {
    let now = 0;
    const timers: { fn: () => void; ms: number }[] = [];
    const clock: Clock = {
      now: () => now,
      setTimeout: (fn, ms) => timers.push({ fn, ms }),
      clearTimeout: () => {},
    };
    const ticks: number[] = [];
    const actor = createActor(watcher(clock, ticks)).start();
    expect(timers.map((t) => t.ms)).toEqual([1000]);
    now = 3500;
    timers[0]!.fn();
    expect(ticks).toEqual([3500]);
    expect(timers.map((t) => t.ms)).toEqual([1000, 500]);
    actor.stop();
  });
});
