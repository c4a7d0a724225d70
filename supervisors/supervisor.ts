/**
 * The supervisor actor: an XState machine that feeds its children's exits, its timers and its
 * requests to `SupervisorCore` and applies the effects it returns. Its state value shows the
 * phase (starting, running, restarting, shuttingDown, stopped, failed) to the inspector.
 * On giving up it stops its children and then fails, so its parent sees
 * `xstate.error.actor.<id>` and decides in turn.
 */
import {
  createActor,
  enqueueActions,
  setup,
  type AnyActorLogic,
  type AnyActorRef,
  type EventObject,
  type InspectionEvent,
  type Observer,
} from 'xstate';
import { BudgetNode } from './budget.js';
import type { CallResult, Reply, StartResult } from './childCalls.js';
import {
  normalizeChildSpec,
  normalizeFlags,
  validateChildren,
  type ChildSpec,
  type SupervisorFlags,
} from './childSpec.js';
import { parseChildExit, SHUTDOWN_EVENT, stopOrphans } from './childExit.js';
import type { ExitKind } from './decisions.js';
import { reportDecision } from './reportDecision.js';
import type { SupervisionRuntime } from './runtime.js';
import type { Effect, Phase, SupervisorOutput } from './effects.js';
import { SupervisorCore } from './supervisorCore.js';

export interface SupervisorInput {
  /** The supervisor's stable path, e.g. `mission/m1/stage/2`. */
  name: string;
  flags?: SupervisorFlags;
  children: ChildSpec[];
  runtime: SupervisionRuntime;
  /** This subtree's budget node; a root without limits when absent. */
  budget?: BudgetNode;
  /** Send `supervisor.child.exited` to the parent for each child that ends by itself. */
  notifyParent?: boolean;
}

/** Told to the parent (with notifyParent) when a child ends by itself. */
export interface ChildExitedEvent {
  type: 'supervisor.child.exited';
  supervisor: string;
  childId: string;
  exit: ExitKind;
  output?: unknown;
  error?: string;
  /** The error's `reason`, when it has one (`reached_max_restart_intensity`, `budget_exceeded`, ...). */
  reason?: string;
  /** For a child supervisor that gave up: the child whose crash made it, and that crash. */
  offender?: string;
  lastCrash?: string;
  /** It was never running: its start function threw (it is not restarted, nothing else will come). */
  startFailed?: true;
}

/**
 * OTP's supervisor calls as events; `reply`, when given, is called with the answer once the work
 * is done (a terminate waits for the child to stop). `supervisorCalls.ts` wraps them in promises.
 */
export type SupervisorEvent =
  | { type: typeof SHUTDOWN_EVENT }
  | { type: 'supervisor.startChild'; spec?: ChildSpec; input?: unknown; reply?: Reply<StartResult> }
  | { type: 'supervisor.terminateChild'; id: string; reply?: Reply<CallResult> }
  | { type: 'supervisor.restartChild'; id: string; reply?: Reply<StartResult> }
  | { type: 'supervisor.deleteChild'; id: string; reply?: Reply<CallResult> }
  | { type: 'supervisor.timer'; key: string }
  | { type: 'supervisor.phase'; phase: Phase };

export interface SupervisorContext {
  core: SupervisorCore;
  self: { getSnapshot(): { children: Record<string, AnyActorRef | undefined> } };
  input: SupervisorInput;
  output?: SupervisorOutput;
  failure?: Error;
}

/** The part of XState's action enqueuer that applying effects needs (its full generic type is not nameable here). */
interface Enqueue {
  (fn: () => void): void;
  spawnChild(logic: AnyActorLogic, options: { id: string; input: unknown }): void;
  stopChild(id: string): void;
  sendTo(target: string, event: EventObject): void;
  raise(event: SupervisorEvent, options?: { delay?: number; id?: string }): void;
  cancel(id: string): void;
  sendParent(event: EventObject): void;
}

function apply(effects: Effect[], ctx: SupervisorContext, anyEnqueue: unknown) {
  const enqueue = anyEnqueue as Enqueue;
  for (const e of effects) {
    switch (e.type) {
      case 'spawn': {
        enqueue.spawnChild(e.logic, { id: e.refId, input: e.input });
        const observe = ctx.input.runtime.observe;
        if (observe) {
          // The new child is in the snapshot once this macrostep is committed, not before.
          enqueue(() =>
            queueMicrotask(() => {
              const sessionId = ctx.self.getSnapshot().children[e.refId]?.sessionId;
              if (sessionId)
                observe({
                  type: 'child.started',
                  path: e.path,
                  parent: ctx.input.name,
                  sessionId,
                  kind: e.kind,
                  restarts: e.restarts,
                  logic: e.logic,
                });
            }),
          );
        }
        break;
      }
      case 'kill':
        enqueue(() => stopOrphans(ctx.self.getSnapshot().children[e.refId]));
        enqueue.stopChild(e.refId);
        break;
      case 'askShutdown':
        enqueue.sendTo(e.refId, { type: SHUTDOWN_EVENT });
        break;
      case 'timer':
        enqueue.raise(
          { type: 'supervisor.timer', key: e.key },
          { delay: e.delayMs, id: `${ctx.input.name}#${e.key}` },
        );
        break;
      case 'cancel':
        enqueue.cancel(`${ctx.input.name}#${e.key}`);
        break;
      case 'report': {
        // Read now: the child is still among ours until the stop enqueued before this runs.
        const pid =
          e.refId === undefined ? undefined : ctx.self.getSnapshot().children[e.refId]?.sessionId;
        const record =
          pid && e.record.offender
            ? { ...e.record, offender: { ...e.record.offender, pid } }
            : e.record;
        enqueue(() => reportDecision(ctx.input.runtime, record));
        break;
      }
      case 'reply': {
        const { reply, result, refId } = e;
        // A started child is in the snapshot once this macrostep is committed: answer after it.
        enqueue(() =>
          queueMicrotask(() => {
            const pid =
              refId === undefined ? undefined : ctx.self.getSnapshot().children[refId]?.sessionId;
            (reply as Reply<CallResult | StartResult>)(pid ? { ...result, pid } : result);
          }),
        );
        break;
      }
      case 'childExited':
        if (ctx.input.notifyParent) {
          const { type: _t, ...rest } = e;
          enqueue.sendParent({
            type: 'supervisor.child.exited',
            supervisor: ctx.input.name,
            ...rest,
          } satisfies ChildExitedEvent as EventObject);
        }
        break;
      case 'phase':
        enqueue.raise({ type: 'supervisor.phase', phase: e.phase });
        break;
      case 'finish':
        ctx.output = e.output;
        break;
      case 'fail':
        ctx.failure = e.error;
        break;
    }
  }
}

const isPhase =
  (phase: Phase) =>
  ({ event }: { event: { type: string; phase?: Phase } }) =>
    event.phase === phase;

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    input: {} as SupervisorInput,
    events: {} as SupervisorEvent,
    output: {} as SupervisorOutput,
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input, self }) => {
    const flags = normalizeFlags(input.flags);
    const budget = input.budget ?? BudgetNode.root(input.name, {}, input.runtime.clock);
    return { core: new SupervisorCore(input.name, flags, budget, input.runtime), input, self };
  },
  entry: enqueueActions(({ context, enqueue }) => {
    const flags = normalizeFlags(context.input.flags);
    const specs = context.input.children.map((c, i) => normalizeChildSpec(c, `children[${i}]`));
    validateChildren(flags, specs);
    apply(context.core.init(specs), context, enqueue);
  }),
  initial: 'starting',
  on: {
    [SHUTDOWN_EVENT]: {
      actions: enqueueActions(({ context, enqueue }) =>
        apply(context.core.shutdown(), context, enqueue),
      ),
    },
    'supervisor.startChild': {
      actions: enqueueActions(({ context, event, enqueue }) =>
        apply(context.core.startChild(event.spec, event.input, event.reply), context, enqueue),
      ),
    },
    'supervisor.terminateChild': {
      actions: enqueueActions(({ context, event, enqueue }) =>
        apply(context.core.terminateChild(event.id, event.reply), context, enqueue),
      ),
    },
    'supervisor.restartChild': {
      actions: enqueueActions(({ context, event, enqueue }) =>
        apply(context.core.restartChild(event.id, event.reply), context, enqueue),
      ),
    },
    'supervisor.deleteChild': {
      actions: enqueueActions(({ context, event, enqueue }) =>
        apply(context.core.deleteChild(event.id, event.reply), context, enqueue),
      ),
    },
    'supervisor.timer': {
      actions: enqueueActions(({ context, event, enqueue }) =>
        apply(context.core.timer(event.key), context, enqueue),
      ),
    },
    'supervisor.phase': [
      { guard: isPhase('running'), target: '.running' },
      { guard: isPhase('restarting'), target: '.restarting' },
      { guard: isPhase('shuttingDown'), target: '.shuttingDown' },
      { guard: isPhase('stopped'), target: '.stopped' },
      { guard: isPhase('failed'), target: '.failed' },
    ],
    '*': {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const exit = parseChildExit(event as { type: string });
        if (exit)
          apply(context.core.childExited(exit.refId, exit.done, exit.payload), context, enqueue);
      }),
    },
  },
  states: {
    starting: {},
    running: {},
    restarting: {},
    shuttingDown: {},
    stopped: { type: 'final' },
    failed: {
      entry: ({ context }) => {
        throw context.failure;
      },
    },
  },
  output: ({ context }) => context.output ?? { reason: 'shutdown', results: {} },
});

export interface StartOptions {
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

/** Create (not start) a root supervisor whose timers follow the runtime's clock. */
export function createSupervisor(input: SupervisorInput, options: StartOptions = {}) {
  return createActor(supervisorMachine, {
    input,
    clock: input.runtime.clock,
    inspect: options.inspect,
  });
}
