import { describe, expect, it } from 'vitest';
import type { ChildSpec } from '../../supervisors/index.js';
import { testWorker } from '../helpers/testWorker.js';
import { startTree } from '../helpers/tree.js';

const worker = (name: string, log: string[], extra: Partial<ChildSpec> = {}): ChildSpec => ({
  id: name,
  start: { logic: testWorker, input: { name, log } },
  ...extra,
});

describe('restart strategies', () => {
  it('should, under one_for_one, restart only the crashed child', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { strategy: 'one_for_one' },
      children: ['A', 'B', 'C'].map((n) => worker(n, log)),
    });
    const [a, b, c] = ['A', 'B', 'C'].map(t.child);
    log.length = 0;
    t.child('B')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:B', 'start:B']);
    expect(t.child('A')).toBe(a);
    expect(t.child('C')).toBe(c);
    expect(t.child('B')).not.toBe(b);
    expect(t.child('B')!.getSnapshot().status).toBe('active');
    expect(t.decisions()).toEqual([
      expect.objectContaining({
        supervisor: 'sup',
        errorContext: 'child_terminated',
        reason: 'B crashed',
        action: 'restart',
        group: ['B'],
      }),
    ]);
    expect(t.children().map((c) => [c.id, c.restarts])).toEqual([
      ['A', 0],
      ['B', 1],
      ['C', 0],
    ]);
    expect(t.actor.getSnapshot().value).toBe('running');
  });

  it('should, under one_for_all, stop the others in reverse order and start all in order', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { strategy: 'one_for_all' },
      children: ['A', 'B', 'C', 'D'].map((n) => worker(n, log)),
    });
    const before = ['A', 'B', 'C', 'D'].map(t.child);
    log.length = 0;
    t.child('B')!.send({ type: 'crash' });
    expect(log).toEqual([
      'stop:B',
      'stop:D',
      'stop:C',
      'stop:A',
      'start:A',
      'start:B',
      'start:C',
      'start:D',
    ]);
    ['A', 'B', 'C', 'D'].forEach((id, i) => {
      expect(t.child(id)).not.toBe(before[i]);
    });
    expect(t.decisions()).toEqual([
      expect.objectContaining({
        errorContext: 'child_terminated',
        reason: 'B crashed',
        action: 'restart',
        group: ['A', 'B', 'C', 'D'],
      }),
    ]);
    // Only the offender's restart count goes up: the siblings were stopped, not crashed.
    expect(t.children().map((c) => [c.id, c.restarts])).toEqual([
      ['A', 0],
      ['B', 1],
      ['C', 0],
      ['D', 0],
    ]);
    expect(t.actor.getSnapshot().value).toBe('running');
  });

  it('should, under one_for_all, stop a temporary sibling and not restart it but remove it', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { strategy: 'one_for_all' },
      children: [worker('A', log), worker('T', log, { restart: 'temporary' }), worker('C', log)],
    });
    log.length = 0;
    t.child('C')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:C', 'stop:T', 'stop:A', 'start:A', 'start:C']);
    expect(t.children().map((c) => c.id)).toEqual(['A', 'C']);
    expect(t.running()).toEqual(['A', 'C']);
    expect(t.decisions().map((d) => [d.action, d.offender?.id])).toEqual([['restart', 'C']]);
    expect(t.decisions()[0]!.group).toEqual(['A', 'T', 'C']);

    // It stays gone: a shutdown now stops only A and C.
    log.length = 0;
    t.actor.send({ type: 'maestro.shutdown' });
    expect(log).toEqual(['stop:C', 'stop:A']);
  });

  it('should, under rest_for_one, restart everything when the first child crashes and only the last when the last does', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { strategy: 'rest_for_one', intensity: 5 },
      children: ['A', 'B', 'C'].map((n) => worker(n, log)),
    });
    log.length = 0;
    t.child('A')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:A', 'stop:C', 'stop:B', 'start:A', 'start:B', 'start:C']);
    log.length = 0;
    t.child('C')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:C', 'start:C']);
    expect(t.decisions().map((d) => d.group)).toEqual([['A', 'B', 'C'], ['C']]);
  });

  it('should, under rest_for_one, stop a temporary child after the offender and not restart it', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { strategy: 'rest_for_one' },
      children: [worker('A', log), worker('B', log), worker('T', log, { restart: 'temporary' })],
    });
    log.length = 0;
    t.child('B')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:B', 'stop:T', 'start:B']);
    expect(t.children().map((c) => c.id)).toEqual(['A', 'B']);
  });
});
