/**
 * A plan stage's orchestrator: plan (the GeniusLoop) → compile the plan into a task graph → run
 * the tasks under a supervisor while the monitor watches → adapt when tasks failed (the
 * GeniusLoop revises the plan with the failures; finished tasks are kept) → synthesize. Hard
 * limits (the SLA, budgets) stop the run without asking anyone; the reviewer, on each tick, may
 * say continue, revise or abort. An abort fails this actor with its reason (`aborted`,
 * `sla_exceeded`, `budget_exceeded`), which its supervisors pass up without a restart.
 */
import { assign, fromPromise, sendTo, setup } from 'xstate';
import type { Blackboard } from '../actors/blackboard.js';
import type { MasterPlan, Review } from '../actors/masterPlan.js';
import { hardLimit, monitorLogic, type Telemetry } from '../actors/monitor.js';
import { compileTaskGraph, type GraphTask, type TaskGraph } from '../actors/taskGraph.js';
import { errorMessage, SystemError } from '../config/errors.js';
import type { AgentConfig } from '../config/mission.js';
import type { PlanConfig } from '../config/plan.js';
import type { BudgetNode, ChildSpec, SupervisionRuntime } from '../supervisors/index.js';
import { geniusLoopMachine, type GeniusLoopOutput, type PhaseRunner } from './geniusLoop.js';
import { planProgress, type PlanProgress } from './planProgress.js';
import { taskDagMachine, type TaskDagOutput } from './taskDag.js';

export interface OrchestratorInput {
  path: string;
  goal: string;
  plan: PlanConfig;
  agents: readonly AgentConfig[];
  /** The planner's GeniusLoop phase calls. */
  runPhase: PhaseRunner;
  /** The reviewer's verdict on the telemetry, when the monitor has a reviewer. */
  review?: (vars: Record<string, string>) => Promise<Review>;
  /** The final synthesis (plain text). */
  synthesize: (vars: Record<string, string>) => Promise<string>;
  blackboard: Blackboard;
  /** A task as a child spec (a small supervisor running its agent). */
  taskSpec: (task: GraphTask, inputs: { id: string; output: string }[]) => ChildSpec;
  /** A task child's output as text. */
  outputOf: (childOutput: unknown) => string;
  runtime: SupervisionRuntime;
  budget: BudgetNode;
  /** From the log of a resumed mission: go on from the last compiled plan, with the tasks that finished. */
  resume?: { plan?: MasterPlan; finished: Record<string, string>; replans: number };
}

export interface OrchestratorOutput {
  agent: string;
  text: string;
  plan: MasterPlan;
  finished: Record<string, string>;
  failed: Record<string, string>;
  blocked: string[];
  replans: number;
}

/** The run was stopped by the monitor: the SLA passed, or the reviewer said abort. */
export class PlanAbortedError extends SystemError {
  override name = 'PlanAbortedError';
  constructor(
    readonly reason: 'aborted' | 'sla_exceeded' | 'budget_exceeded',
    message: string,
  ) {
    super(message);
  }
}

interface Ctx extends OrchestratorInput {
  plan0?: MasterPlan;
  graph?: TaskGraph;
  compileError?: string;
  finished: Record<string, string>;
  failed: Record<string, string>;
  blocked: string[];
  replans: number;
  /** The final synthesis. */
  result?: string;
  startedAt: number;
  progress: PlanProgress;
  /** Set when the run must end: the monitor's abort, or a revise the reviewer asked for. */
  stopFor?: { kind: 'abort'; reason: PlanAbortedError['reason']; message: string } | { kind: 'revise'; reason: string };
}

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
    review: fromPromise<Review, { review: NonNullable<OrchestratorInput['review']>; vars: Record<string, string> }>(({ input }) => input.review(input.vars)),
    synthesis: fromPromise<string, { synthesize: OrchestratorInput['synthesize']; vars: Record<string, string> }>(({ input }) => input.synthesize(input.vars)),
  },
  guards: {
    compiled: ({ context }) => context.graph !== undefined,
    canReplan: ({ context }) => replansLeft(context),
    aborting: ({ context }) => context.stopFor?.kind === 'abort',
    needsAdapting: ({ context }) => context.stopFor?.kind === 'revise' || Object.keys(context.failed).length > 0,
    hasReviewer: ({ context }) => context.review !== undefined,
  },
  actions: {
    compile: assign(({ context }) => {
      try {
        const graph = compileTaskGraph(context.plan0!, context.agents, { finished: new Set(Object.keys(context.finished)) });
        context.runtime.events.append({
          type: 'plan.compiled',
          path: context.path,
          tasks: graph.tasks.map((t) => ({ id: t.id, agent: t.agent, dependsOn: t.dependsOn })),
          levels: graph.levels,
          // The plan itself: what a resumed mission goes on from.
          plan: context.plan0!,
        });
        return { graph, compileError: undefined };
      } catch (err) {
        context.runtime.events.append({ type: 'plan.rejected', path: context.path, error: errorMessage(err) });
        return { graph: undefined, compileError: errorMessage(err) };
      }
    }),
    checkLimits: assign(({ context }) => {
      const hit = hardLimit(telemetry(context));
      if (!hit) return {};
      context.runtime.events.append({ type: 'monitor.abort', path: context.path, reason: hit.reason, message: hit.message, by: 'limit' });
      return { stopFor: { kind: 'abort' as const, reason: hit.reason, message: hit.message } };
    }),
    stopDag: sendTo('dag', ({ context }) => ({ type: 'dag.stop' as const, reason: context.stopFor?.kind === 'abort' ? context.stopFor.reason : 'revise' })),
  },
}).createMachine({
  id: 'orchestrator',
  context: ({ input }) => ({
    ...input,
    plan0: input.resume?.plan,
    finished: { ...input.resume?.finished },
    failed: {},
    blocked: [],
    replans: input.resume?.replans ?? 0,
    startedAt: input.runtime.clock.now(),
    progress: planProgress(),
  }),
  initial: 'boot',
  on: { 'maestro.shutdown': '.stopped' },
  states: {
    // Resumed with a compiled plan: its finished tasks are not run again, nor is the plan made again.
    boot: { always: [{ guard: ({ context }) => context.plan0 !== undefined, target: 'compiling' }, { target: 'planning' }] },
    planning: {
      invoke: {
        src: 'genius',
        input: ({ context }) => ({ goal: context.goal, context: context.blackboard.text(), approaches: context.plan.approaches, maxRevisions: context.plan.maxRevisions, runPhase: context.runPhase }),
        onDone: { target: 'compiling', actions: assign({ plan0: ({ event }) => (event.output as GeniusLoopOutput).plan }) },
        onError: { actions: ({ event }) => rethrow(event.error) },
      },
    },
    compiling: {
      entry: 'compile',
      always: [
        { guard: 'compiled', target: 'running' },
        // A plan that does not compile (a cycle, an unknown step) goes back for revision.
        { guard: 'canReplan', target: 'adapting' },
        { actions: ({ context }) => rethrow(new SystemError(`the plan does not compile and no replan is left: ${context.compileError}`)) },
      ],
    },
    running: {
      entry: assign({ stopFor: undefined, progress: ({ context }) => planProgress(context.graph!, context.finished) }),
      invoke: [
        {
          id: 'dag',
          src: 'dag',
          input: ({ context }) => ({
            path: context.path,
            graph: context.graph!,
            finished: context.finished,
            maxParallel: context.plan.maxParallel,
            runtime: { ...context.runtime, events: context.progress.sink(context.runtime.events, context.blackboard) },
            budget: context.budget,
            taskSpec: context.taskSpec,
            outputOf: context.outputOf,
          }),
          onDone: { target: 'ran', actions: assign(({ event, context }) => recordRun(context, event.output as TaskDagOutput)) },
          onError: { actions: ({ event }) => rethrow(event.error) },
        },
        { id: 'monitor', src: 'monitor', input: ({ context }) => ({ clock: context.runtime.clock, intervalMs: context.plan.monitor.intervalMs }) },
      ],
      initial: 'watching',
      states: {
        watching: {
          on: {
            'monitor.tick': [
              { guard: ({ context }) => hardLimit(telemetry(context)) !== undefined, target: 'stopping', actions: 'checkLimits' },
              { guard: 'hasReviewer', target: 'reviewing' },
            ],
          },
        },
        reviewing: {
          invoke: {
            src: 'review',
            input: ({ context }) => ({ review: context.review!, vars: reviewVars(context) }),
            onDone: [
              { guard: ({ event }) => (event.output as Review).decision === 'continue', target: 'watching' },
              { target: 'stopping', actions: assign(({ context, event }) => ({ stopFor: stopForReview(context, event.output as Review) })) },
            ],
            // A reviewer that cannot answer does not stop the work: the hard limits still hold.
            onError: { target: 'watching', actions: ({ context, event }) => context.runtime.events.append({ type: 'monitor.review_failed', path: context.path, error: errorMessage(event.error) }) },
          },
          on: { 'monitor.tick': { guard: ({ context }) => hardLimit(telemetry(context)) !== undefined, target: 'stopping', actions: 'checkLimits' } },
        },
        stopping: { entry: 'stopDag' },
      },
    },
    ran: {
      always: [
        { guard: 'aborting', actions: ({ context }) => rethrow(abortError(context)) },
        { guard: ({ context }) => context.stopFor === undefined && Object.keys(context.failed).length === 0, target: 'synthesizing' },
        { guard: 'canReplan', target: 'adapting' },
        { target: 'synthesizing' },
      ],
    },
    adapting: {
      invoke: {
        src: 'genius',
        input: ({ context }) => ({
          goal: context.goal,
          context: context.blackboard.text(),
          approaches: context.plan.approaches,
          maxRevisions: context.plan.maxRevisions,
          runPhase: context.runPhase,
          replan: { plan: context.plan0!, finished: Object.entries(context.finished).map(([id, output]) => ({ id, output })), failed: failures(context) },
        }),
        onDone: {
          target: 'compiling',
          actions: assign(({ context, event }) => {
            context.runtime.events.append({ type: 'plan.revised', path: context.path, replan: context.replans + 1, failed: Object.keys(context.failed) });
            return { plan0: (event.output as GeniusLoopOutput).plan, replans: context.replans + 1, failed: {}, blocked: [], compileError: undefined, stopFor: undefined };
          }),
        },
        onError: { actions: ({ event }) => rethrow(event.error) },
      },
    },
    synthesizing: {
      invoke: {
        src: 'synthesis',
        input: ({ context }) => ({ synthesize: context.synthesize, vars: synthesisVars(context) }),
        onDone: { target: 'done', actions: assign({ result: ({ event }) => event.output as string }) },
        onError: { actions: ({ event }) => rethrow(event.error) },
      },
    },
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

function rethrow(err: unknown): never {
  throw err;
}

function telemetry(c: Ctx): Telemetry {
  return {
    elapsedMs: c.runtime.clock.now() - c.startedAt,
    ...(c.plan.monitor.slaMs !== undefined && { slaMs: c.plan.monitor.slaMs }),
    tasks: c.progress.counts(),
    restarts: c.progress.restarts,
    usage: c.budget.usage(),
    limits: c.budget.limits,
  };
}

function recordRun(c: Ctx, out: TaskDagOutput): Partial<Ctx> {
  return { finished: { ...c.finished, ...out.finished }, failed: out.failed, blocked: out.blocked };
}

function failures(c: Ctx): { id: string; error: string }[] {
  const out = Object.entries(c.failed).map(([id, error]) => ({ id, error }));
  for (const id of c.blocked) out.push({ id, error: 'not run: a task it depends on failed' });
  if (c.stopFor?.kind === 'revise') out.push({ id: '(reviewer)', error: c.stopFor.reason });
  if (c.compileError) out.push({ id: '(plan)', error: c.compileError });
  return out;
}

function stopForReview(c: Ctx, r: Review): Ctx['stopFor'] {
  c.runtime.events.append({ type: r.decision === 'abort' ? 'monitor.abort' : 'monitor.revise', path: c.path, reason: r.decision === 'abort' ? 'aborted' : 'revise', message: r.reason, by: 'reviewer' });
  return r.decision === 'abort' ? { kind: 'abort', reason: 'aborted', message: `aborted by the reviewer: ${r.reason}` } : { kind: 'revise', reason: r.reason };
}

function abortError(c: Ctx): Error {
  const s = c.stopFor as { reason: PlanAbortedError['reason']; message: string };
  return new PlanAbortedError(s.reason, s.message);
}

function planJson(c: Ctx): string {
  return JSON.stringify(c.plan0?.steps.map((s) => ({ id: s.id, title: s.title, dependsOn: s.dependsOn })) ?? []);
}

function reviewVars(c: Ctx): Record<string, string> {
  return { goal: c.goal, plan: planJson(c), telemetry: JSON.stringify(telemetry(c)), context: c.blackboard.text() };
}

function synthesisVars(c: Ctx): Record<string, string> {
  const finished = Object.entries(c.finished).map(([id, output]) => ({ id, title: c.plan0?.steps.find((s) => s.id === id)?.title, output }));
  return { goal: c.goal, plan: planJson(c), finished: JSON.stringify(finished), failed: JSON.stringify(failures(c)), context: c.blackboard.text() };
}
