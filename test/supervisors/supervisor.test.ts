import { createActor, setup, type AnyActorRef } from 'xstate';
import { describe, expect, it } from 'vitest';
import { testWorker, type TestWorkerInput } from '../helpers/testWorker.js';
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
    const a = startTree({
      name: 'sup',
      flags: { intensity: 1, periodMs: 5000 },
      children: [worker('A', log)],
    });
    a.child('A')!.send({ type: 'crash' });
    expect(a.actor.getSnapshot().status).toBe('active');
    a.clock.advance(4000);
    a.child('A')!.send({ type: 'crash' });
    expect(a.actor.getSnapshot().status).toBe('error');
    expect(String(a.errors[0])).toContain(
      "supervisor 'sup' shut down: reached_max_restart_intensity (child 'A': A crashed)",
    );

    const b = startTree({
      name: 'sup',
      flags: { intensity: 1, periodMs: 5000 },
      children: [worker('A', [])],
    });
    b.child('A')!.send({ type: 'crash' });
    b.clock.advance(6000);
    b.child('A')!.send({ type: 'crash' });
    expect(b.actor.getSnapshot().status).toBe('active');
    expect(b.actor.getSnapshot().value).toBe('running');
  });

  it('should, under rest_for_one, stop C then restart B then C while A runs on', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { strategy: 'rest_for_one' },
      children: ['A', 'B', 'C'].map((n) => worker(n, log)),
    });
    const a = t.child('A');
    log.length = 0;
    t.child('B')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:B', 'stop:C', 'start:B', 'start:C']);
    expect(t.child('A')).toBe(a);
    const d = t.decisions()[0]!;
    expect(d).toMatchObject({
      supervisor: 'sup',
      errorContext: 'child_terminated',
      reason: 'B crashed',
      action: 'restart',
      group: ['B', 'C'],
    });
    expect(d.offender).toMatchObject({ id: 'B', path: 'sup/B', restart: 'permanent' });
  });

  it('should report every decision with supervisor, errorContext, reason, offender (id and path) and action', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'mission/m1',
      flags: { intensity: 1 },
      children: [worker('A', log), worker('B', log, { restart: 'transient' })],
    });
    const a0 = t.sessionOf('A');
    const b0 = t.sessionOf('B');
    t.clock.advance(250);
    t.child('B')!.send({ type: 'crash' });
    const b1 = t.sessionOf('B');
    expect(b1).not.toBe(b0);
    t.clock.advance(250);
    t.child('B')!.send({ type: 'finish' });
    t.clock.advance(250);
    t.child('A')!.send({ type: 'crash' });
    expect(t.decisions()).toEqual([
      {
        type: 'supervisor.decision',
        at: 250,
        supervisor: 'mission/m1',
        errorContext: 'child_terminated',
        reason: 'B crashed',
        offender: {
          id: 'B',
          path: 'mission/m1/B',
          pid: b0,
          restart: 'transient',
          shutdown: 5000,
          significant: false,
          type: 'worker',
          restarts: 0,
        },
        action: 'restart',
        exit: 'error',
        group: ['B'],
        delayMs: 0,
      },
      {
        type: 'supervisor.decision',
        at: 500,
        supervisor: 'mission/m1',
        errorContext: 'child_terminated',
        reason: 'normal',
        offender: {
          id: 'B',
          path: 'mission/m1/B',
          pid: b1,
          restart: 'transient',
          shutdown: 5000,
          significant: false,
          type: 'worker',
          restarts: 1,
        },
        action: 'no_restart',
        exit: 'normal',
      },
      // OTP's two reports: the crash that made the supervisor give up, then the giving up.
      {
        type: 'supervisor.decision',
        at: 750,
        supervisor: 'mission/m1',
        errorContext: 'child_terminated',
        reason: 'A crashed',
        offender: {
          id: 'A',
          path: 'mission/m1/A',
          pid: a0,
          restart: 'permanent',
          shutdown: 5000,
          significant: false,
          type: 'worker',
          restarts: 0,
        },
        action: 'shutdown',
        exit: 'error',
      },
      {
        type: 'supervisor.decision',
        at: 750,
        supervisor: 'mission/m1',
        errorContext: 'shutdown',
        reason: 'reached_max_restart_intensity',
        offender: {
          id: 'A',
          path: 'mission/m1/A',
          pid: a0,
          restart: 'permanent',
          shutdown: 5000,
          significant: false,
          type: 'worker',
          restarts: 0,
        },
        action: 'shutdown',
      },
    ]);
  });

  it("should stop a crashed machine child's own invoked children, which XState leaves running", () => {
    // A machine that invokes a testWorker (which itself invokes a callback) and can crash.
    const outer = setup({
      types: {
        input: {} as TestWorkerInput,
        context: {} as TestWorkerInput,
        events: {} as { type: 'crash' },
      },
      actors: { testWorker },
    }).createMachine({
      context: ({ input }) => input,
      invoke: {
        src: 'testWorker',
        input: ({ context }) => ({ name: `${context.name}.inner`, log: context.log }),
      },
      on: {
        crash: {
          actions: () => {
            throw new Error('outer crashed');
          },
        },
      },
    });

    // Bare XState: the failed machine's invoked child runs on.
    const bareLog: string[] = [];
    const bare = createActor(outer, { input: { name: 'O', log: bareLog } });
    bare.subscribe({ error: () => {} });
    bare.start();
    bare.send({ type: 'crash' });
    expect(bare.getSnapshot().status).toBe('error');
    expect(bareLog).toEqual(['start:O.inner']);
    const orphan = Object.values(bare.getSnapshot().children)[0] as AnyActorRef;
    expect(orphan.getSnapshot().status).toBe('active');

    // Supervised: the supervisor reaps them before it restarts the child.
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      children: [{ id: 'O', start: { logic: outer, input: { name: 'O', log } } }],
    });
    const first = t.child('O')!;
    const inner = Object.values(first.getSnapshot().children)[0] as AnyActorRef;
    log.length = 0;
    first.send({ type: 'crash' });
    expect(log).toEqual(['stop:O.inner', 'start:O.inner']);
    expect(inner.getSnapshot().status).toBe('stopped');
    expect(t.child('O')).not.toBe(first);
    expect(t.decisions()).toEqual([
      expect.objectContaining({ reason: 'outer crashed', action: 'restart' }),
    ]);
  });

  it('should stop the invoked children of a temporary child that crashed and is not restarted', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      children: [worker('A', log), worker('T', log, { restart: 'temporary' })],
    });
    log.length = 0;
    t.child('T')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:T']);
  });
});

describe('supervisor lifecycle facts (for the inspector)', () => {
  it('should report each child start with its stable path and a new session on restart', async () => {
    const { createRuntime, createSupervisor } = await import('../../supervisors/index.js');
    const { ManualClock } = await import('../../kernel/clock.js');
    const facts: { path: string; sessionId: string; restarts: number }[] = [];
    const clock = new ManualClock();
    const runtime = createRuntime({ clock, observe: (f) => facts.push(f) });
    const sup = createSupervisor({
      name: 'sup',
      runtime,
      flags: { intensity: 5 },
      children: [worker('A', [])],
    });
    sup.start();
    const refId = sup.getSnapshot().context.core.snapshotChildren()[0]!.refId!;
    await Promise.resolve();
    (sup.getSnapshot().children as Record<string, { send(e: unknown): void }>)[refId]!.send({
      type: 'crash',
    });
    await Promise.resolve();
    expect(facts.map((f) => [f.path, f.restarts])).toEqual([
      ['sup/A', 0],
      ['sup/A', 1],
    ]);
    expect(facts[0]!.sessionId).not.toBe(facts[1]!.sessionId);
  });
});
