import { describe, expect, it } from 'vitest';
import {
  countChildren,
  deleteChild,
  exitKindOf,
  getChildSpec,
  NonRetryableError,
  restartChild,
  ShutdownExit,
  shutdownOutput,
  startChild,
  SupervisorShutdownError,
  terminateChild,
  whichChildren,
  type ChildSpec,
  type SupervisorRef,
} from '../../supervisors/index.js';
import { testWorker } from '../helpers/testWorker.js';
import { startTree } from '../helpers/tree.js';

const worker = (name: string, log: string[], extra: Partial<ChildSpec> = {}): ChildSpec => ({
  id: name,
  start: { logic: testWorker, input: { name, log } },
  ...extra,
});

describe("OTP's supervisor calls as functions", () => {
  it('should answer start_child with the new child and its session id, and which_children with every child', async () => {
    const log: string[] = [];
    const t = startTree({ name: 'sup', children: [worker('A', log)] });
    const sup = t.actor as unknown as SupervisorRef;
    const r = await startChild(sup, worker('B', log, { type: 'worker' }));
    expect(r).toEqual({ ok: true, id: 'B', pid: t.sessionOf('B') });
    expect(r.ok && r.pid).toMatch(/^x:\d+$/);
    expect(whichChildren(sup)).toEqual([
      { id: 'A', pid: t.sessionOf('A'), type: 'worker' },
      { id: 'B', pid: t.sessionOf('B'), type: 'worker' },
    ]);
    expect(getChildSpec(sup, 'B')).toMatchObject({
      ok: true,
      spec: { id: 'B', restart: 'permanent', shutdown: 5000, type: 'worker', significant: false },
    });
    expect(getChildSpec(sup, 'Z')).toEqual({ ok: false, error: 'not_found' });
  });

  it('should terminate a child (kept, not running), restart it as a new actor, and delete it only when stopped', async () => {
    const log: string[] = [];
    const t = startTree({ name: 'sup', children: [worker('A', log), worker('B', log)] });
    const sup = t.actor as unknown as SupervisorRef;
    const first = t.sessionOf('B');
    expect(await deleteChild(sup, 'B')).toEqual({ ok: false, error: 'running' });
    expect(await terminateChild(sup, 'B')).toEqual({ ok: true });
    expect(whichChildren(sup)[1]).toEqual({ id: 'B', pid: undefined, type: 'worker' });
    expect(countChildren(sup)).toEqual({ specs: 2, active: 1, supervisors: 0, workers: 2 });
    const again = await restartChild(sup, 'B');
    expect(again.ok && again.pid).not.toBe(first);
    expect(await restartChild(sup, 'B')).toEqual({ ok: false, error: 'running' });
    expect(await terminateChild(sup, 'B')).toEqual({ ok: true });
    expect(await deleteChild(sup, 'B')).toEqual({ ok: true });
    expect(await restartChild(sup, 'B')).toEqual({ ok: false, error: 'not_found' });
    expect(log).toEqual(['start:A', 'start:B', 'stop:B', 'start:B', 'stop:B']);
  });

  it('should answer noproc once the supervisor has stopped', async () => {
    const t = startTree({ name: 'sup', children: [worker('A', [])] });
    t.actor.send({ type: 'maestro.shutdown' });
    expect(await terminateChild(t.actor as unknown as SupervisorRef, 'A')).toEqual({
      ok: false,
      error: 'noproc',
    });
  });

  it('should tell a restart_child whose start function throws, and keep the spec', async () => {
    let fail = false;
    const t = startTree({
      name: 'sup',
      children: [
        {
          id: 'A',
          start: {
            logic: testWorker,
            input: () => {
              if (fail) throw new Error('no model');
              return { name: 'A', log: [] };
            },
          },
        },
      ],
    });
    const sup = t.actor as unknown as SupervisorRef;
    await terminateChild(sup, 'A');
    fail = true;
    expect(await restartChild(sup, 'A')).toEqual({ ok: false, error: 'no model' });
    expect(countChildren(sup).specs).toBe(1);
    expect(t.actor.getSnapshot().status).toBe('active');
  });
});

describe('exitKindOf', () => {
  const table: [string, boolean, unknown, string][] = [
    ['a finished child', true, 'done', 'normal'],
    ['an output that says shutdown', true, shutdownOutput(), 'shutdown'],
    ['an output that says {shutdown, Term}', true, shutdownOutput({ why: 'done' }), 'shutdown'],
    ['a ShutdownExit thrown', false, new ShutdownExit(), 'shutdown'],
    [
      'a supervisor that reached its intensity',
      false,
      new SupervisorShutdownError('s', 'reached_max_restart_intensity', 'a', new Error('x'), {
        exit: 'shutdown',
      }),
      'shutdown',
    ],
    [
      'a supervisor that failed to start a child',
      false,
      new SupervisorShutdownError('s', 'failed_to_start_child', 'a', new Error('x')),
      'error',
    ],
    [
      'a non-retryable failure',
      false,
      new NonRetryableError('http_401', new Error('bad key')),
      'non_retryable',
    ],
    ['a crash', false, new Error('boom'), 'error'],
  ];
  it.each(table)('should classify %s', (_name, done, payload, expected) => {
    expect(exitKindOf(done, payload)).toBe(expected);
  });

  it('should word a {shutdown, Term} exit as OTP prints it', () => {
    expect(new ShutdownExit('finished').message).toBe('{shutdown, "finished"}');
    expect(new ShutdownExit().message).toBe('shutdown');
  });
});

describe('a call to a supervisor that is killed before it answers', () => {
  it('should answer noproc instead of waiting forever', async () => {
    const t = startTree({
      name: 'sup',
      children: [
        {
          id: 'A',
          shutdown: 1000,
          start: { logic: testWorker, input: { name: 'A', log: [], ignoreShutdown: true } },
        },
      ],
    });
    // A ignores its shutdown: the terminate waits for the kill timer, which nobody moves here.
    let answered: unknown;
    const answer = terminateChild(t.actor as unknown as SupervisorRef, 'A').then(
      (r) => (answered = r),
    );
    await new Promise((r) => setImmediate(r));
    expect(answered).toBeUndefined();
    t.actor.stop();
    await answer;
    expect(answered).toEqual({ ok: false, error: 'noproc' });
  });
});
