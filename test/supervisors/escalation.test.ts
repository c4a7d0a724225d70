import type { AnyActorRef } from 'xstate';
import { describe, expect, it } from 'vitest';
import {
  supervisorMachine,
  SupervisorShutdownError,
  type ChildSpec,
  type StartContext,
  type SupervisorFlags,
  type SupervisorInput,
} from '../../supervisors/index.js';
import { testWorker } from '../helpers/testWorker.js';
import { startTree } from '../helpers/tree.js';

const worker = (name: string, log: string[]): ChildSpec => ({
  id: name,
  start: { logic: testWorker, input: { name, log } },
});

/** A child supervisor whose input is built from its start context, fresh on every (re)start. */
const childSupervisor = (
  id: string,
  flags: SupervisorFlags,
  children: (ctx: StartContext) => ChildSpec[],
): ChildSpec => ({
  id,
  type: 'supervisor',
  start: {
    logic: supervisorMachine,
    input: (ctx: StartContext): SupervisorInput => ({
      name: ctx.path,
      runtime: ctx.runtime,
      budget: ctx.budget,
      flags,
      children: children(ctx),
    }),
  },
});

describe('escalation', () => {
  it('should restart a child supervisor that exceeded its intensity, and fail when its own is exceeded: intensities multiply', () => {
    const log: string[] = [];
    const starts: number[] = [];
    const t = startTree({
      name: 'root',
      flags: { intensity: 1, periodMs: 5000 },
      children: [
        worker('A', log),
        childSupervisor('S', { intensity: 1, periodMs: 5000 }, (ctx) => {
          starts.push(ctx.restarts);
          return [worker('W', log)];
        }),
      ],
    });
    expect(log).toEqual(['start:A', 'start:W']);
    const sup = () => t.child('S')!;
    const w = () =>
      (sup().getSnapshot().children as Record<string, AnyActorRef>)[
        sup().getSnapshot().context.core.snapshotChildren()[0]!.refId!
      ]!;

    // 1st crash: S restarts W.
    log.length = 0;
    const s1 = sup();
    w().send({ type: 'crash' });
    expect(log).toEqual(['stop:W', 'start:W']);
    expect(sup()).toBe(s1);

    // 2nd crash within 5 s: S gives up; root restarts S, which starts a fresh W.
    t.clock.advance(1000);
    log.length = 0;
    w().send({ type: 'crash' });
    expect(log).toEqual(['stop:W', 'start:W']);
    expect(sup()).not.toBe(s1);
    expect(sup().getSnapshot().context.core.snapshotChildren()).toEqual([
      expect.objectContaining({ id: 'W', restarts: 0 }),
    ]);
    expect(starts).toEqual([0, 1]);
    expect(t.actor.getSnapshot().value).toBe('running');

    // 3rd crash: the new S restarts W on its own.
    t.clock.advance(1000);
    log.length = 0;
    w().send({ type: 'crash' });
    expect(log).toEqual(['stop:W', 'start:W']);

    // 4th crash: the new S gives up again; that is the root's second restart within 5 s, so the root fails.
    t.clock.advance(1000);
    log.length = 0;
    w().send({ type: 'crash' });
    expect(log).toEqual(['stop:W', 'stop:A']);
    expect(t.actor.getSnapshot().status).toBe('error');
    expect(t.errors).toHaveLength(1);
    const e = t.errors[0] as SupervisorShutdownError;
    expect(e).toBeInstanceOf(SupervisorShutdownError);
    expect(e.message).toBe(
      "supervisor 'root' shut down: reached_max_restart_intensity (child 'S': supervisor 'root/S' shut down: reached_max_restart_intensity (child 'W': W crashed))",
    );
    expect(e.cause).toBeInstanceOf(SupervisorShutdownError);

    expect(
      t
        .decisions()
        .map((d) => [
          d.supervisor,
          d.errorContext,
          d.reason,
          d.action,
          d.offender?.path,
          d.offender?.restarts,
        ]),
    ).toEqual([
      ['root/S', 'child_terminated', 'W crashed', 'restart', 'root/S/W', 0],
      ['root/S', 'child_terminated', 'W crashed', 'shutdown', 'root/S/W', 1],
      ['root/S', 'shutdown', 'reached_max_restart_intensity', 'shutdown', 'root/S/W', 1],
      [
        'root',
        'child_terminated',
        "supervisor 'root/S' shut down: reached_max_restart_intensity (child 'W': W crashed)",
        'restart',
        'root/S',
        0,
      ],
      ['root/S', 'child_terminated', 'W crashed', 'restart', 'root/S/W', 0],
      ['root/S', 'child_terminated', 'W crashed', 'shutdown', 'root/S/W', 1],
      ['root/S', 'shutdown', 'reached_max_restart_intensity', 'shutdown', 'root/S/W', 1],
      [
        'root',
        'child_terminated',
        "supervisor 'root/S' shut down: reached_max_restart_intensity (child 'W': W crashed)",
        'shutdown',
        'root/S',
        1,
      ],
      ['root', 'shutdown', 'reached_max_restart_intensity', 'shutdown', 'root/S', 1],
    ]);
  });

  it('should stop a child supervisor and its children, innermost last-started first, when the parent shuts down', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'root',
      children: [
        worker('A', log),
        childSupervisor('S', {}, () => [worker('W1', log), worker('W2', log)]),
        worker('B', log),
      ],
    });
    expect(log).toEqual(['start:A', 'start:W1', 'start:W2', 'start:B']);
    log.length = 0;
    t.actor.send({ type: 'maestro.shutdown' });
    expect(log).toEqual(['stop:B', 'stop:W2', 'stop:W1', 'stop:A']);
    expect(t.actor.getSnapshot().status).toBe('done');
  });
});
