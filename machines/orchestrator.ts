/**
 * A plan stage's orchestrator: plan (the GeniusLoop) → compile the plan into a task graph → run
 * the tasks under a supervisor while the monitor watches → adapt when tasks failed (the
 * GeniusLoop revises the plan with the failures; finished tasks are kept) → synthesize. Hard
 * limits (the SLA, budgets) stop the run without asking anyone; the reviewer, on each tick, may
 * say continue, revise or abort. An abort fails this actor with its reason (`aborted`,
 * `sla_exceeded`, `budget_exceeded`), which its supervisors pass up without a restart.
 */
import { assign, enqueueActions, fromPromise, sendTo, setup } from 'xstate';
import { log } from './logAction.js';
import { failingState, failWith } from './machineFailure.js';
import type { Blackboard } from '../actors/blackboard.js';
import type { Review } from '../actors/planning/masterPlan.js';
import { monitorLogic } from '../actors/monitor.js';
import { errorMessage, SystemError } from '../kernel/errors.js';
import { geniusLoopMachine, type GeniusLoopOutput } from './geniusLoop.js';
import {
  abortError,
  carryOver,
  compilePlan,
  limitStop,
  revisedPlan,
  failures,
  limitReached,
  recordRun,
  reviewVars,
  stopForReview,
  synthesisVars,
  type Ctx,
  type OrchestratorInput,
  type OrchestratorOutput,
} from './orchestratorContext.js';
import { planProgress } from './planProgress.js';
import { taskDagMachine, type TaskDagOutput } from './taskDag.js';

export {
  PlanAbortedError,
  type OrchestratorInput,
  type OrchestratorOutput,
  type PlanCarry,
} from './orchestratorContext.js';

const replansLeft = (c: Ctx) => c.replans < c.plan.maxReplans;

export const orchestratorMachine = setup({
  types: {
    input: {} as OrchestratorInput,
    context: {} as Ctx,
    events: {} as { type: 'monitor.tick' } | { type: 'maestro.shutdown' },
    output: {} as OrchestratorOutput,
  },
  actors: {
    genius: geniusLoopMachine,
    dag: taskDagMachine,
    monitor: monitorLogic,
    review: fromPromise<
      Review,
      { review: NonNullable<OrchestratorInput['review']>; vars: Record<string, string> }
    >(({ input }) => input.review(input.vars)),
    synthesis: fromPromise<
      string,
      { synthesize: OrchestratorInput['synthesize']; vars: Record<string, string> }
    >(({ input }) => input.synthesize(input.vars)),
    reflection: fromPromise<
      unknown,
      {
        blackboard: Blackboard;
        reflect: NonNullable<OrchestratorInput['reflect']>;
        planner: string;
      }
    >(({ input }) => input.blackboard.synthesize((board) => input.reflect(board), input.planner)),
    // How it fails (machineFailure.ts): a monitor left running would tick on, orphaned.
    failWith,
  },
  guards: {
    compiled: ({ context }) => context.graph !== undefined,
    canReplan: ({ context }) => replansLeft(context),
    aborting: ({ context }) => context.stopFor?.kind === 'abort',
    hasReviewer: ({ context }) => context.review !== undefined,
    limitReached: ({ context }) => limitReached(context) !== undefined,
  },
  actions: {
    compile: enqueueActions(({ context, enqueue }) => {
      const { changes, events } = compilePlan(context);
      enqueue.assign(changes);
      enqueue(log(context.runtime.events, events));
      if (changes.graph) enqueue(carryOver(context, { plan: context.plan0 }));
    }),
    checkLimits: enqueueActions(({ context, enqueue }) => {
      const { changes, events } = limitStop(context);
      enqueue.assign(changes);
      enqueue(log(context.runtime.events, events));
    }),
    keepError: assign({ error: ({ event }) => ('error' in event ? event.error : undefined) }),
    stopDag: sendTo('dag', ({ context }) => ({
      type: 'dag.stop' as const,
      reason: context.stopFor?.kind === 'abort' ? context.stopFor.reason : 'revise',
    })),
  },
}).createMachine({
  id: 'orchestrator',
  context: ({ input }) => ({
    ...input,
    plan0: input.resume?.plan,
    finished: { ...input.resume?.finished },
    failed: { ...input.resume?.failed },
    reflected: input.resume?.reflected,
    blocked: [],
    replans: input.resume?.replans ?? 0,
    startedAt: input.runtime.clock.now(),
    progress: planProgress(),
  }),
  initial: 'boot',
  on: { 'maestro.shutdown': '.stopped' },
  states: {
    // Resumed with a compiled plan: its finished tasks are not run again, nor is the plan made again.
    boot: {
      always: [
        { guard: ({ context }) => context.plan0 !== undefined, target: 'compiling' },
        { target: 'planning' },
      ],
    },
    planning: {
      invoke: {
        id: 'genius',
        src: 'genius',
        input: ({ context }) => ({
          goal: context.goal,
          context: context.blackboard.text(),
          approaches: context.plan.approaches,
          maxRevisions: context.plan.maxRevisions,
          runPhase: context.runPhase,
        }),
        onDone: {
          target: 'compiling',
          actions: assign({ plan0: ({ event }) => (event.output as GeniusLoopOutput).plan }),
        },
        onError: { target: '#orchestrator.failing', actions: 'keepError' },
      },
    },
    compiling: {
      entry: 'compile',
      always: [
        { guard: 'compiled', target: 'running' },
        // A plan that does not compile (a cycle, an unknown step) goes back for revision.
        { guard: 'canReplan', target: 'adapting' },
        {
          target: 'failing',
          actions: assign({
            error: ({ context }) =>
              new SystemError(
                `the plan does not compile and no replan is left: ${context.compileError}`,
              ),
          }),
        },
      ],
    },
    running: {
      entry: assign({
        stopFor: undefined,
        progress: ({ context }) => planProgress(context.graph!, context.finished),
      }),
      invoke: [
        {
          id: 'dag',
          src: 'dag',
          input: ({ context }) => ({
            path: context.path,
            graph: context.graph!,
            finished: context.finished,
            failed: context.failed,
            maxParallel: context.plan.maxParallel,
            runtime: {
              ...context.runtime,
              events: context.progress.sink(context.runtime.events, context.blackboard),
            },
            budget: context.budget,
            taskSpec: context.taskSpec,
            outputOf: context.outputOf,
          }),
          onDone: {
            target: 'ran',
            actions: enqueueActions(({ event, context, enqueue }) => {
              const changes = recordRun(context, event.output as TaskDagOutput);
              enqueue.assign(changes);
              enqueue(carryOver(context, { finished: changes.finished! }));
            }),
          },
          onError: { target: '#orchestrator.failing', actions: 'keepError' },
        },
        {
          id: 'monitor',
          src: 'monitor',
          input: ({ context }) => ({
            clock: context.runtime.clock,
            intervalMs: context.plan.monitor.intervalMs,
          }),
        },
      ],
      initial: 'watching',
      states: {
        watching: {
          on: {
            'monitor.tick': [
              { guard: 'limitReached', target: 'stopping', actions: 'checkLimits' },
              { guard: 'hasReviewer', target: 'reviewing' },
            ],
          },
        },
        reviewing: {
          invoke: {
            id: 'review',
            src: 'review',
            input: ({ context }) => ({ review: context.review!, vars: reviewVars(context) }),
            onDone: [
              {
                guard: ({ event }) => (event.output as Review).decision === 'continue',
                target: 'watching',
              },
              {
                target: 'stopping',
                actions: enqueueActions(({ context, event, enqueue }) => {
                  const { stopFor, events } = stopForReview(context, event.output as Review);
                  enqueue.assign({ stopFor });
                  enqueue(log(context.runtime.events, events));
                }),
              },
            ],
            // A reviewer that cannot answer does not stop the work: the hard limits still hold.
            onError: {
              target: 'watching',
              actions: ({ context, event }) =>
                log(context.runtime.events, [
                  {
                    type: 'monitor.review_failed',
                    path: context.path,
                    error: errorMessage(event.error),
                  },
                ])(),
            },
          },
          on: {
            'monitor.tick': { guard: 'limitReached', target: 'stopping', actions: 'checkLimits' },
          },
        },
        stopping: { entry: 'stopDag' },
        // Asked to stop: the graph's supervisor stops the tasks in reverse start order, each within
        // its shutdown timeout, and the orchestrator ends once the graph has.
        shuttingDown: { entry: sendTo('dag', { type: 'dag.stop' as const, reason: 'shutdown' }) },
      },
      on: {
        'maestro.shutdown': { target: '.shuttingDown', actions: assign({ shuttingDown: true }) },
      },
    },
    ran: {
      // Every way on from here calls a model: a limit reached since the last tick (the graph may
      // have stopped on a spent budget by itself) aborts the run first.
      entry: 'checkLimits',
      always: [
        { guard: ({ context }) => context.shuttingDown === true, target: 'stopped' },
        {
          guard: 'aborting',
          target: 'failing',
          actions: assign({ error: ({ context }) => abortError(context) }),
        },
        {
          guard: ({ context }) =>
            context.stopFor === undefined && Object.keys(context.failed).length === 0,
          target: 'synthesizing',
        },
        { guard: 'canReplan', target: 'adapting' },
        { target: 'synthesizing' },
      ],
    },
    adapting: {
      initial: 'reflecting',
      states: {
        // The planner reads the board first (the synthesis query); its answer joins the board,
        // which is the replan's context. A reflection that fails only leaves it out.
        reflecting: {
          always: {
            guard: ({ context }) => context.reflect === undefined || context.reflected === true,
            target: 'replanning',
          },
          invoke: {
            id: 'reflection',
            src: 'reflection',
            input: ({ context }) => ({
              blackboard: context.blackboard,
              reflect: context.reflect!,
              planner: context.plan.planner,
            }),
            onDone: 'replanning',
            onError: {
              target: 'replanning',
              actions: ({ context, event }) =>
                log(context.runtime.events, [
                  {
                    type: 'blackboard.synthesis_failed',
                    path: context.path,
                    error: errorMessage(event.error),
                  },
                ])(),
            },
          },
        },
        replanning: {
          invoke: {
            id: 'replan',
            src: 'genius',
            input: ({ context }) => ({
              goal: context.goal,
              context: context.blackboard.text(),
              approaches: context.plan.approaches,
              maxRevisions: context.plan.maxRevisions,
              runPhase: context.runPhase,
              replan: {
                plan: context.plan0!,
                finished: Object.entries(context.finished).map(([id, output]) => ({ id, output })),
                failed: failures(context),
              },
            }),
            onDone: {
              target: '#orchestrator.compiling',
              actions: enqueueActions(({ context, event, enqueue }) => {
                const { changes, events } = revisedPlan(
                  context,
                  (event.output as GeniusLoopOutput).plan,
                );
                enqueue(log(context.runtime.events, events));
                enqueue(carryOver(context, { replans: context.replans + 1 }));
                enqueue.assign(changes);
              }),
            },
            onError: { target: '#orchestrator.failing', actions: 'keepError' },
          },
        },
      },
    },
    synthesizing: {
      invoke: {
        id: 'synthesis',
        src: 'synthesis',
        input: ({ context }) => ({ synthesize: context.synthesize, vars: synthesisVars(context) }),
        onDone: {
          target: 'done',
          actions: assign({ result: ({ event }) => event.output as string }),
        },
        onError: { target: '#orchestrator.failing', actions: 'keepError' },
      },
    },
    failing: failingState<Ctx>((c) => c.error),
    done: { type: 'final' },
    stopped: { type: 'final' },
  },
  output: ({ context }) => ({
    agent: context.path.split('/').at(-1) ?? 'plan',
    text: context.result ?? '',
    plan: context.plan0!,
    finished: context.finished,
    failed: context.failed,
    blocked: context.blocked,
    replans: context.replans,
  }),
});
