/**
 * Spawn and stop N children under one supervisor, against the same count of plain XState
 * spawnChild/stopChild from a bare machine in the same run, and the latency of one crash→restart
 * cycle under one_for_one. Real clock; times from process.hrtime.bigint().
 *
 *   npx tsx bench/supervisorSpawn.ts [N=10000] [restarts=1000]
 */
import { createActor, enqueueActions, setup, type AnyActorRef } from 'xstate';
import { systemClock } from '../kernel/clock.js';
import {
  createRuntime,
  createSupervisor,
  SHUTDOWN_EVENT,
  type ChildSpec,
} from '../supervisors/index.js';

const N = Number(process.argv[2] ?? 10_000);
const RESTARTS = Number(process.argv[3] ?? 1000);

/** The smallest well-behaved worker: ends when asked to shut down, fails on `crash`. */
const worker = setup({
  types: { events: {} as { type: 'crash' } | { type: typeof SHUTDOWN_EVENT } },
}).createMachine({
  initial: 'running',
  states: {
    running: {
      on: {
        crash: {
          actions: () => {
            throw new Error('crash');
          },
        },
        [SHUTDOWN_EVENT]: 'done',
      },
    },
    done: { type: 'final' },
  },
});

/** A parent with no supervision: spawns n children with numeric ids on entry, stops them all on `stopAll`. */
const bare = setup({
  types: {
    input: {} as { n: number },
    context: {} as { n: number },
    events: {} as { type: 'stopAll' },
  },
  actors: { worker },
}).createMachine({
  context: ({ input }) => input,
  entry: enqueueActions(({ context, enqueue }) => {
    for (let i = 0; i < context.n; i++) enqueue.spawnChild('worker', { id: String(i) });
  }),
  on: {
    stopAll: {
      actions: enqueueActions(({ context, enqueue }) => {
        for (let i = context.n - 1; i >= 0; i--) enqueue.stopChild(String(i));
      }),
    },
  },
});

const runtime = createRuntime({ clock: systemClock });

function ms(start: bigint, end: bigint): number {
  return Number(end - start) / 1e6;
}

function line(what: string, n: number, t: number): string {
  return `${what} ${n} children: ${Math.round(t)} ms (${Number((n / (t / 1000)).toPrecision(3))}/s)`;
}

function expect(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench check failed: ${what}`);
}

function supervisorRun(n: number, shutdown?: ChildSpec['shutdown']) {
  const children: ChildSpec[] = Array.from({ length: n }, (_, i) => ({
    id: String(i),
    start: { logic: worker },
    shutdown,
  }));
  const t0 = process.hrtime.bigint();
  const sup = createSupervisor({ name: 'bench', children, runtime });
  sup.start();
  const t1 = process.hrtime.bigint();
  expect(Object.keys(sup.getSnapshot().children).length === n, 'supervisor spawned every child');
  sup.send({ type: SHUTDOWN_EVENT });
  const t2 = process.hrtime.bigint();
  expect(
    sup.getSnapshot().status === 'done' && Object.keys(sup.getSnapshot().children).length === 0,
    'supervisor stopped every child',
  );
  return { spawn: ms(t0, t1), stop: ms(t1, t2) };
}

function poolRun(n: number) {
  const sup = createSupervisor({
    name: 'pool',
    flags: { strategy: 'simple_one_for_one' },
    children: [{ id: 'w', start: { logic: worker } }],
    runtime,
  });
  sup.start();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sup.send({ type: 'supervisor.startChild' });
  const t1 = process.hrtime.bigint();
  expect(Object.keys(sup.getSnapshot().children).length === n, 'pool spawned every child');
  sup.send({ type: SHUTDOWN_EVENT });
  const t2 = process.hrtime.bigint();
  expect(sup.getSnapshot().status === 'done', 'pool stopped');
  return { spawn: ms(t0, t1), stop: ms(t1, t2) };
}

function bareRun(n: number) {
  const t0 = process.hrtime.bigint();
  const actor = createActor(bare, { input: { n } });
  actor.start();
  const t1 = process.hrtime.bigint();
  expect(
    Object.keys(actor.getSnapshot().children).length === n,
    'bare machine spawned every child',
  );
  actor.send({ type: 'stopAll' });
  const t2 = process.hrtime.bigint();
  expect(
    Object.keys(actor.getSnapshot().children).length === 0,
    'bare machine stopped every child',
  );
  actor.stop();
  return { spawn: ms(t0, t1), stop: ms(t1, t2) };
}

function restartRun(cycles: number): number {
  const sup = createSupervisor({
    name: 'restarts',
    flags: { strategy: 'one_for_one', intensity: 1_000_000_000 },
    children: [{ id: 'w', start: { logic: worker } }],
    runtime,
  });
  sup.start();
  const current = (): AnyActorRef => {
    const refId = sup.getSnapshot().context.core.snapshotChildren()[0]!.refId!;
    return (sup.getSnapshot().children as Record<string, AnyActorRef>)[refId]!;
  };
  let ref = current();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < cycles; i++) {
    ref.send({ type: 'crash' });
    const next = current();
    if (next === ref) throw new Error('bench check failed: child was not restarted');
    ref = next;
  }
  const t1 = process.hrtime.bigint();
  expect(
    sup.getSnapshot().context.core.snapshotChildren()[0]!.restarts === cycles,
    'every crash restarted',
  );
  sup.send({ type: SHUTDOWN_EVENT });
  return (ms(t0, t1) * 1000) / cycles;
}

// Warm up the JIT on a small run of each, so the first measurement is not the slow one.
supervisorRun(1000);
poolRun(1000);
bareRun(1000);
restartRun(100);

const b = bareRun(N);
const s = supervisorRun(N);
const k = supervisorRun(N, 'brutal_kill');
const p = poolRun(N);
const r = restartRun(RESTARTS);

console.log(line('supervisor spawn', N, s.spawn));
console.log(
  `${line('supervisor stop', N, s.stop)} [asks each child in reverse order and waits for it]`,
);
console.log(`${line('supervisor stop, brutal_kill', N, k.stop)} [like the bare stop: no asking]`);
console.log(line('supervisor startChild (simple_one_for_one)', N, p.spawn));
console.log(`${line('supervisor stop (simple_one_for_one)', N, p.stop)} [asks all at once]`);
console.log(line('bare XState spawnChild', N, b.spawn));
console.log(line('bare XState stopChild', N, b.stop));
console.log(`supervisor/bare spawn: ${(s.spawn / b.spawn).toFixed(1)}x`);
console.log(`supervisor/bare stop (graceful vs kill): ${(s.stop / b.stop).toFixed(1)}x`);
console.log(`supervisor/bare stop (brutal_kill vs kill): ${(k.stop / b.stop).toFixed(1)}x`);
console.log(
  `supervisor restart (one_for_one): ${RESTARTS} crash→restart cycles, ${Math.round(r)} µs/restart`,
);
