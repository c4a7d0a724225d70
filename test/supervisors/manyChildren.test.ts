import { describe, expect, it } from 'vitest';
import type { ChildSpec } from '../../supervisors/index.js';
import { testWorker } from '../helpers/testWorker.js';
import { startTree } from '../helpers/tree.js';

const N = 10_000;

/** start:<i> / stop:<i> log lines for 0..N-1, as counts per kind and a set of names. */
function tally(log: string[]) {
  const started = new Set<string>();
  const stopped = new Set<string>();
  for (const line of log) {
    if (line.startsWith('start:')) started.add(line.slice(6));
    else if (line.startsWith('stop:')) stopped.add(line.slice(5));
  }
  return { started: started.size, stopped: stopped.size, lines: log.length };
}

describe('10,000 children under one supervisor', () => {
  it('should start 10,000 children with startChild (simple_one_for_one) and stop them all on shutdown', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'pool',
      flags: { strategy: 'simple_one_for_one' },
      children: [{ id: 'w', start: { logic: testWorker } }],
    });
    for (let i = 0; i < N; i++)
      t.actor.send({ type: 'supervisor.startChild', input: { name: String(i), log } });
    expect(tally(log)).toEqual({ started: N, stopped: 0, lines: N });
    expect(Object.keys(t.actor.getSnapshot().children)).toHaveLength(N);
    expect(t.running()[N - 1]).toBe(String(N - 1));

    t.actor.send({ type: 'maestro.shutdown' });
    expect(tally(log)).toEqual({ started: N, stopped: N, lines: 2 * N });
    expect(log[N]).toBe(`stop:${N - 1}`);
    expect(log[2 * N - 1]).toBe('stop:0');
    expect(t.actor.getSnapshot().status).toBe('done');
    expect(Object.keys(t.actor.getSnapshot().children)).toHaveLength(0);
    expect(t.clock.pending).toBe(0);
  });

  it('should start a static list of 10,000 specs with numeric-string ids in order and stop them in reverse', () => {
    const log: string[] = [];
    const children: ChildSpec[] = Array.from({ length: N }, (_, i) => ({
      id: String(i),
      start: { logic: testWorker, input: { name: String(i), log } },
    }));
    const t = startTree({ name: 'sup', children });
    expect(tally(log)).toEqual({ started: N, stopped: 0, lines: N });
    expect(log[0]).toBe('start:0');
    expect(log[N - 1]).toBe(`start:${N - 1}`);
    expect(t.actor.getSnapshot().value).toBe('running');

    t.actor.send({ type: 'maestro.shutdown' });
    expect(tally(log)).toEqual({ started: N, stopped: N, lines: 2 * N });
    expect(log[N]).toBe(`stop:${N - 1}`);
    expect(log[2 * N - 1]).toBe('stop:0');
    expect(t.actor.getSnapshot().status).toBe('done');
    expect(Object.keys(t.actor.getSnapshot().children)).toHaveLength(0);
    expect(t.clock.pending).toBe(0);
  });
});
