import { describe, expect, it } from 'vitest';
import { testWorker } from '../helpers/testWorker.js';
import { startTree } from '../helpers/tree.js';

describe('supervisor.startChild with a full spec (start_child)', () => {
  it('should add and start a child after the static ones, and stop it first on shutdown', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      children: [{ id: 'A', start: { logic: testWorker, input: { name: 'A', log } } }],
    });
    t.actor.send({
      type: 'supervisor.startChild',
      spec: { id: 'B', start: { logic: testWorker, input: { name: 'B', log } } },
    });
    expect(log).toEqual(['start:A', 'start:B']);
    t.actor.send({ type: 'maestro.shutdown' });
    expect(log).toEqual(['start:A', 'start:B', 'stop:B', 'stop:A']);
  });

  it('should refuse a duplicate id or a bad spec with a report, and run on', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      children: [{ id: 'A', start: { logic: testWorker, input: { name: 'A', log } } }],
    });
    t.actor.send({
      type: 'supervisor.startChild',
      spec: { id: 'A', start: { logic: testWorker, input: { name: 'A2', log } } },
    });
    t.actor.send({
      type: 'supervisor.startChild',
      spec: { id: 'C', start: { logic: testWorker }, shutdown: -1 },
    });
    expect(t.actor.getSnapshot().status).toBe('active');
    expect(log).toEqual(['start:A']);
    expect(t.decisions().map((d) => [d.errorContext, d.action, d.reason])).toEqual([
      ['start_error', 'reject', "already_started: 'A'"],
      [
        'start_error',
        'reject',
        "child 'C'.shutdown: must be 'brutal_kill', 'infinity' or a timeout in ms >= 0, got -1",
      ],
    ]);
  });
});
