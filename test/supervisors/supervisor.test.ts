import { describe, expect, it } from 'vitest';
import { testWorker } from '../helpers/testWorker.js';
import { startTree } from '../helpers/tree.js';
import type { ChildSpec } from '../../supervisors/index.js';

const worker = (name: string, log: string[], extra: Partial<ChildSpec> = {}): ChildSpec => ({
  id: name,
  start: { logic: testWorker, input: { name, log } },
  ...extra,
});

describe('supervisor actor', () => {
  it('should start children in order and stop them in reverse', () => {
    const log: string[] = [];
    const t = startTree({ name: 'sup', children: ['A', 'B', 'C'].map((n) => worker(n, log)) });
    expect(log).toEqual(['start:A', 'start:B', 'start:C']);
    expect(t.actor.getSnapshot().value).toBe('running');
    t.actor.send({ type: 'maestro.shutdown' });
    expect(log.slice(3)).toEqual(['stop:C', 'stop:B', 'stop:A']);
    expect(t.actor.getSnapshot().status).toBe('done');
    expect(t.actor.getSnapshot().output?.reason).toBe('shutdown');
  });

  it('should shut down on a second crash within the period and not on one 6 s later (intensity 1 per 5 s)', () => {
    const log: string[] = [];
    const a = startTree({ name: 'sup', flags: { intensity: 1, periodMs: 5000 }, children: [worker('A', log)] });
    a.child('A')!.send({ type: 'crash' });
    expect(a.actor.getSnapshot().status).toBe('active');
    a.clock.advance(4000);
    a.child('A')!.send({ type: 'crash' });
    expect(a.actor.getSnapshot().status).toBe('error');
    expect(String(a.errors[0])).toContain("supervisor 'sup' shut down: reached_max_restart_intensity (child 'A': A crashed)");

    const b = startTree({ name: 'sup', flags: { intensity: 1, periodMs: 5000 }, children: [worker('A', [])] });
    b.child('A')!.send({ type: 'crash' });
    b.clock.advance(6000);
    b.child('A')!.send({ type: 'crash' });
    expect(b.actor.getSnapshot().status).toBe('active');
    expect(b.actor.getSnapshot().value).toBe('running');
  });

  it('should, under rest_for_one, stop C then restart B then C while A runs on', () => {
    const log: string[] = [];
    const t = startTree({ name: 'sup', flags: { strategy: 'rest_for_one' }, children: ['A', 'B', 'C'].map((n) => worker(n, log)) });
    const a = t.child('A');
    log.length = 0;
    t.child('B')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:B', 'stop:C', 'start:B', 'start:C']);
    expect(t.child('A')).toBe(a);
    const d = t.decisions()[0]!;
    expect(d).toMatchObject({ supervisor: 'sup', errorContext: 'child_terminated', reason: 'B crashed', action: 'restart', group: ['B', 'C'] });
    expect(d.offender).toMatchObject({ id: 'B', path: 'sup/B', restart: 'permanent' });
  });
});
