import { describe, expect, it } from 'vitest';
import type { ChildSpec } from '../../supervisors/index.js';
import { testWorker } from '../helpers/testWorker.js';
import { startTree } from '../helpers/tree.js';

const worker = (name: string, log: string[], extra: Partial<ChildSpec> = {}): ChildSpec => ({
  id: name,
  start: { logic: testWorker, input: { name, log } },
  ...extra,
});

describe('restart backoff', () => {
  it('should restart successive crashes after 3, 6, 12, 24, 30 and 30 s on the clock', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { intensity: 100, periodMs: 1000 },
      children: [
        worker('B', log),
        worker('A', log, { backoff: { minMs: 3000, maxMs: 30000, randomFactor: 0 } }),
      ],
    });
    const b = t.child('B');
    const waited: number[] = [];
    for (const expected of [3000, 6000, 12000, 24000, 30000, 30000]) {
      log.length = 0;
      const crashedAt = t.clock.now();
      t.child('A')!.send({ type: 'crash' });
      expect(log).toEqual(['stop:A']);
      expect(t.actor.getSnapshot().value).toBe('restarting');
      t.clock.advance(expected - 1);
      expect(t.child('A')).toBeUndefined();
      expect(log).toEqual(['stop:A']);
      t.clock.advance(1);
      expect(t.child('A')!.getSnapshot().status).toBe('active');
      expect(log).toEqual(['stop:A', 'start:A']);
      expect(t.actor.getSnapshot().value).toBe('running');
      waited.push(t.clock.now() - crashedAt);
    }
    expect(waited).toEqual([3000, 6000, 12000, 24000, 30000, 30000]);
    expect(t.decisions().map((d) => d.delayMs)).toEqual(waited);
    expect(t.decisions().map((d) => d.offender?.restarts)).toEqual([0, 1, 2, 3, 4, 5]);
    // The sibling ran on throughout.
    expect(t.child('B')).toBe(b);
  });

  it('should start from minMs again after the child ran quietly for resetAfterMs (default maxMs)', () => {
    const t = startTree({
      name: 'sup',
      flags: { intensity: 100 },
      children: [worker('A', [], { backoff: { minMs: 3000, maxMs: 30000 } })],
    });
    t.child('A')!.send({ type: 'crash' });
    t.clock.advance(3000);
    t.child('A')!.send({ type: 'crash' });
    t.clock.advance(6000);
    t.clock.advance(29_999);
    t.child('A')!.send({ type: 'crash' }); // ran 29.999 s: attempt 2
    t.clock.advance(12000);
    t.clock.advance(30_000);
    t.child('A')!.send({ type: 'crash' }); // ran 30 s: back to attempt 0
    t.clock.advance(3000);
    expect(t.decisions().map((d) => d.delayMs)).toEqual([3000, 6000, 12000, 3000]);
    expect(t.child('A')).toBeDefined();
  });

  it('should add the jitter from the runtime random source', () => {
    // startTree seeds random() with 0.5: 3000 * (1 + 0.5 * 0.5) = 3750.
    const t = startTree({
      name: 'sup',
      flags: { intensity: 100 },
      children: [worker('A', [], { backoff: { minMs: 3000, maxMs: 30000, randomFactor: 0.5 } })],
    });
    t.child('A')!.send({ type: 'crash' });
    t.clock.advance(3749);
    expect(t.child('A')).toBeUndefined();
    t.clock.advance(1);
    expect(t.child('A')).toBeDefined();
    expect(t.decisions()[0]!.delayMs).toBe(3750);
  });

  it('should cancel a pending restart when the supervisor shuts down', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { intensity: 100 },
      children: [worker('B', log), worker('A', log, { backoff: { minMs: 3000, maxMs: 30000 } })],
    });
    t.child('A')!.send({ type: 'crash' });
    log.length = 0;
    t.actor.send({ type: 'maestro.shutdown' });
    expect(log).toEqual(['stop:B']);
    expect(t.actor.getSnapshot().status).toBe('done');
    t.clock.advance(60_000);
    expect(log).toEqual(['stop:B']);
    expect(t.clock.pending).toBe(0);
  });

  it("should not hold up a sibling's restart while one child waits out its backoff", () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { intensity: 10, periodMs: 60_000 },
      children: [worker('A', log, { backoff: { minMs: 30_000, maxMs: 30_000 } }), worker('B', log)],
    });
    log.length = 0;
    t.child('A')!.send({ type: 'crash' });
    t.child('B')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:A', 'stop:B', 'start:B']);
    expect(t.child('A')).toBeUndefined();
    expect(t.actor.getSnapshot().value).toBe('restarting');
    t.clock.advance(30_000);
    expect(log).toEqual(['stop:A', 'stop:B', 'start:B', 'start:A']);
    expect(t.actor.getSnapshot().value).toBe('running');
  });

  it('should drop a restart still waiting out its backoff when the supervisor shuts down', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { intensity: 10 },
      children: [worker('A', log, { backoff: { minMs: 5000, maxMs: 5000 } })],
    });
    t.child('A')!.send({ type: 'crash' });
    t.actor.send({ type: 'maestro.shutdown' });
    expect(t.actor.getSnapshot().status).toBe('done');
    t.clock.advance(10_000);
    expect(log).toEqual(['start:A', 'stop:A']);
    expect(t.clock.pending).toBe(0);
  });

  it('should count a significant child waiting out its backoff as alive, so all_significant does not end the supervisor early', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { intensity: 10, autoShutdown: 'all_significant' },
      children: [
        worker('A', log, {
          restart: 'transient',
          significant: true,
          backoff: { minMs: 1000, maxMs: 1000 },
        }),
        worker('B', log, { restart: 'transient', significant: true }),
      ],
    });
    t.child('A')!.send({ type: 'crash' });
    t.child('B')!.send({ type: 'finish' });
    expect(t.actor.getSnapshot().status).toBe('active');
    t.clock.advance(1000);
    expect(log).toEqual(['start:A', 'start:B', 'stop:A', 'stop:B', 'start:A']);
    t.child('A')!.send({ type: 'finish' });
    expect(t.actor.getSnapshot().output).toMatchObject({
      reason: 'auto_shutdown',
      results: { A: 'A done', B: 'B done' },
    });
  });
});
