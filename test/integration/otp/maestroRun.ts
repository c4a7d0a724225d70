/**
 * Runs a differential scenario on Maestro's supervisor, on a manual clock, and returns the same
 * trace lines the Erlang driver prints: `start`, `stop`, `asked`, `fail`, supervisor reports (the
 * ones OTP writes: not Maestro's routine records of a normal end or a refused call), call
 * answers, and the supervisor's fate.
 */
import { setup, type AnyActorRef } from 'xstate';
import { ManualClock } from '../../../kernel/clock.js';
import {
  countChildren,
  createRuntime,
  createSupervisor,
  deleteChild,
  exitKindOf,
  restartChild,
  ShutdownExit,
  shutdownOutput,
  startChild,
  supervisorMachine,
  terminateChild,
  type CallResult,
  type ChildSpec,
  type DecisionRecord,
  type StartContext,
  type StartResult,
  type SupervisionRuntime,
  type SupervisorInput,
  type SupervisorRef,
} from '../../../supervisors/index.js';
import type { DiffChild, DiffScenario, DiffStep, DiffSupervisor, ExitReason } from './scenarios.js';

interface Harness {
  log: string[];
  workers: Map<string, AnyActorRef>;
  starts: Map<string, number>;
  /** Paths of simple_one_for_one supervisors: their offenders are reported as `*` on both sides. */
  dynamic: Set<string>;
}

interface DiffWorkerInput {
  path: string;
  onShutdown: NonNullable<DiffChild['on_shutdown']>;
  h: Harness;
}

type DiffWorkerEvent = { type: 'diff.exit'; reason: ExitReason } | { type: 'maestro.shutdown' };

const diffWorker = setup({
  types: {
    input: {} as DiffWorkerInput,
    context: {} as DiffWorkerInput,
    events: {} as DiffWorkerEvent,
  },
}).createMachine({
  context: ({ input }) => input,
  entry: ({ context, self }) => context.h.workers.set(context.path, self),
  initial: 'running',
  states: {
    running: {
      on: {
        'diff.exit': [
          { guard: ({ event }) => event.reason === 'normal', target: 'done' },
          { guard: ({ event }) => typeof event.reason === 'object', target: 'shut' },
          {
            actions: ({ event }) => {
              throw event.reason === 'shutdown' ? new ShutdownExit() : new Error('crashed');
            },
          },
        ],
        'maestro.shutdown': [
          {
            guard: ({ context }) => context.onShutdown === 'stop',
            target: 'done',
            actions: ({ context }) => context.h.log.push(`stop ${context.path}`),
          },
          {
            guard: ({ context }) => context.onShutdown === 'hang',
            actions: ({ context }) => context.h.log.push(`asked ${context.path}`),
          },
          {
            actions: ({ context }) => {
              context.h.log.push(`stop ${context.path}`);
              throw new Error('crashed_on_shutdown');
            },
          },
        ],
      },
    },
    done: { type: 'final' },
    // `{shutdown, Term}` as an output: the other form a child can say shutdown in.
    shut: { type: 'final' },
  },
  output: ({ context, self }) =>
    self.getSnapshot().value === 'shut' ? shutdownOutput('term') : `${context.path} done`,
});

function workerInput(h: Harness, path: string, child: DiffChild) {
  return (): DiffWorkerInput => {
    const n = (h.starts.get(path) ?? 0) + 1;
    h.starts.set(path, n);
    if (child.fail_starts?.includes(n)) {
      h.log.push(`fail ${path}`);
      throw new Error('start_failed');
    }
    // OTP's start_link returns once the child is up; Maestro's start function returns the child's
    // input and XState runs the actor when the batch is committed (a documented difference): the
    // trace says `start` when the start function succeeds, on both sides.
    h.log.push(`start ${path}`);
    return { path, onShutdown: child.on_shutdown ?? 'stop', h };
  };
}

function childSpec(h: Harness, supPath: string, c: DiffChild): ChildSpec {
  const path = `${supPath}/${c.id}`;
  const common = {
    id: c.id,
    restart: c.restart,
    shutdown: c.shutdown,
    significant: c.significant,
    type: c.type,
  };
  if (c.type === 'supervisor') {
    return {
      ...common,
      start: {
        logic: supervisorMachine,
        input: (ctx: StartContext): SupervisorInput =>
          supervisorInput(h, path, c.sup!, ctx.runtime, ctx),
      },
    };
  }
  return { ...common, start: { logic: diffWorker, input: workerInput(h, path, c) } };
}

function supervisorInput(
  h: Harness,
  path: string,
  sup: DiffSupervisor,
  runtime: SupervisionRuntime,
  ctx?: StartContext,
): SupervisorInput {
  if (sup.flags.strategy === 'simple_one_for_one') h.dynamic.add(path);
  return {
    name: path,
    runtime,
    ...(ctx && { budget: ctx.budget }),
    flags: sup.flags as SupervisorInput['flags'],
    children: sup.children.map((c) => childSpec(h, path, c)),
  };
}

/** The reports OTP writes: Maestro also records routine ends and refused calls, which OTP only returns. */
function reportLine(h: Harness, d: DecisionRecord): string | undefined {
  if (
    !['child_terminated', 'shutdown', 'start_error', 'shutdown_error'].includes(d.errorContext) ||
    d.action === 'reject'
  )
    return undefined;
  if (
    d.errorContext === 'child_terminated' &&
    (d.action === 'no_restart' || d.action === 'remove') &&
    (d.exit === 'normal' || d.exit === 'shutdown')
  )
    return undefined;
  return `report ${d.supervisor} ${d.errorContext} ${h.dynamic.has(d.supervisor) ? '*' : (d.offender?.id ?? '-')}`;
}

function resolveSupervisor(root: SupervisorRef, path: string): SupervisorRef {
  let sup = root;
  for (const id of path.split('/').slice(1)) {
    const c = sup
      .getSnapshot()
      .context.core.snapshotChildren()
      .find((x) => x.id === id);
    sup = (sup.getSnapshot().children as Record<string, SupervisorRef>)[c!.refId!]!;
  }
  return sup;
}

function answer(r: CallResult | StartResult): string {
  return r.ok ? 'ok' : `error:${r.error.replace(/:.*$/, '')}`;
}

/** Waits for a call's answer, moving the clock on as OTP's blocking call would wait out a shutdown timeout. */
async function settle<T>(p: Promise<T>, clock: ManualClock): Promise<T> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setImmediate(r));
    if (done) break;
    clock.advance(50);
  }
  return p;
}

async function runStep(
  h: Harness,
  root: SupervisorRef,
  clock: ManualClock,
  step: DiffStep,
): Promise<void> {
  if ('exit' in step) h.workers.get(step.exit)!.send({ type: 'diff.exit', reason: step.reason });
  else if ('wait' in step) clock.advance(step.wait);
  else if ('shutdown' in step) {
    root.send({ type: 'maestro.shutdown' });
    for (let i = 0; i < 100 && root.getSnapshot().status === 'active'; i++) clock.advance(50);
  } else {
    const sup = resolveSupervisor(root, step.sup);
    const id = 'id' in step ? (step.id ?? '') : '';
    let result: string;
    if (step.call === 'count_children') {
      const c = countChildren(sup);
      result = `specs=${c.specs},active=${c.active},supervisors=${c.supervisors},workers=${c.workers}`;
    } else if (step.call === 'start_child') {
      const spec =
        'name' in step
          ? { input: workerInput(h, `${step.sup}/${step.name}`, {} as DiffChild) }
          : childSpec(h, step.sup, step.child);
      result = answer(await settle(startChild(sup, spec), clock));
    } else {
      const call = {
        terminate_child: terminateChild,
        restart_child: restartChild,
        delete_child: deleteChild,
      }[step.call];
      result = answer(await settle(call(sup, id), clock));
    }
    h.log.push(['call', step.call, step.sup, 'name' in step ? '' : id, '->', result].join(' '));
  }
  await new Promise((r) => setImmediate(r));
}

function fate(root: SupervisorRef): string {
  const snap = root.getSnapshot();
  if (snap.status === 'active') return 'running';
  // OTP's supervisor exits `shutdown` when asked to stop and on auto_shutdown alike.
  if (snap.status === 'done') return 'shutdown';
  const err = snap.error as { reason?: unknown };
  if (err?.reason === 'failed_to_start_child') return 'failed_to_start';
  return exitKindOf(false, err) === 'shutdown' ? 'shutdown' : 'error';
}

export async function runOnMaestro(s: DiffScenario): Promise<string[]> {
  const h: Harness = { log: [], workers: new Map(), starts: new Map(), dynamic: new Set() };
  const clock = new ManualClock();
  const runtime = createRuntime({
    clock,
    random: () => 0.5,
    events: {
      append: (e) =>
        void (
          e.type === 'supervisor.decision' &&
          h.log.push(
            ...[reportLine(h, e as unknown as DecisionRecord)].filter((l): l is string => !!l),
          )
        ),
    },
  });
  const root = createSupervisor(supervisorInput(h, 'root', s.sup, runtime)) as SupervisorRef;
  root.subscribe({ error: () => {} });
  root.start();
  await new Promise((r) => setImmediate(r));
  if (root.getSnapshot().status === 'active')
    for (const step of s.steps) await runStep(h, root, clock, step);
  return [...h.log, `fate ${fate(root)}`];
}
