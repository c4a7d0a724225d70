/**
 * The orchestrator's types and the pure parts of its decisions: telemetry for the monitor, the
 * limit that applies, what goes into a replan, a review and the final synthesis. Kept apart from
 * the statechart (machines/orchestrator.ts) so that each reads on its own.
 */
import type { Blackboard } from '../actors/blackboard.js';
import type { MasterPlan, Review } from '../actors/planning/masterPlan.js';
import { hardLimit, type HardLimit, type Telemetry } from '../actors/monitor.js';
import { compileTaskGraph, type GraphTask, type TaskGraph } from '../actors/taskGraph.js';
import { errorMessage, SystemError } from '../kernel/errors.js';
import type { MissionLogEvent } from '../log/missionLogEvent.js';
import type { AgentConfig } from '../config/mission.js';
import type { PlanConfig } from '../config/plan.js';
import type { BudgetNode, ChildSpec, SupervisionRuntime } from '../supervisors/index.js';
import type { PhaseRunner } from './geniusLoop.js';
import type { PlanProgress } from './planProgress.js';
import type { TaskDagOutput } from './taskDag.js';

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
  resume?: PlanCarry;
  /**
   * Kept up to date with the compiled plan, the finished tasks and the replans: the stage hands it
   * to the orchestrator it restarts after a crash, which goes on from there (like MAKER's progress).
   */
  carry?: PlanCarry;
  /** The planner reading the blackboard before a replan: the global state, the patterns, what next. */
  reflect?: (board: string) => Promise<string>;
}

export interface PlanCarry {
  plan?: MasterPlan;
  finished: Record<string, string>;
  replans: number;
  /**
   * From a resumed mission's log only: tasks of `plan` that failed, with their errors (not run
   * again: the replan goes on from them), and whether the planner's board synthesis before that
   * replan is on the board already (not asked again).
   */
  failed?: Record<string, string>;
  reflected?: boolean;
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
    readonly reason: 'aborted' | 'sla_exceeded' | 'budget_exceeded' | 'non_retryable',
    message: string,
  ) {
    super(message);
  }
}

export interface Ctx extends OrchestratorInput {
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
  /** Asked to stop while the tasks ran: they stop in order, then the orchestrator ends. */
  shuttingDown?: boolean;
  /** What the orchestrator fails with, once it is `failing`. */
  error?: unknown;
  /** The board holds the planner's synthesis for the coming replan (a resumed mission's). */
  reflected?: boolean;
  /** Set when the run must end: the monitor's abort, or a revise the reviewer asked for. */
  stopFor?:
    | { kind: 'abort'; reason: PlanAbortedError['reason']; message: string }
    | { kind: 'revise'; reason: string };
}

export function telemetry(c: Ctx): Telemetry {
  const budget = bindingBudget(c.budget);
  return {
    elapsedMs: c.runtime.clock.now() - c.startedAt,
    ...(c.plan.monitor.slaMs !== undefined && { slaMs: c.plan.monitor.slaMs }),
    tasks: c.progress.counts(),
    restarts: c.progress.restarts,
    usage: budget.usage(),
    limits: budget.limits,
  };
}

/**
 * The budget the telemetry shows: the orchestrator's node, or the nearest above it with limits
 * (a plan stage's budget is set on its stage supervisor, the orchestrator's parent).
 */
export function bindingBudget(node: BudgetNode): BudgetNode {
  for (let n: BudgetNode | undefined = node; n; n = n.parent) {
    if (Object.values(n.limits).some((v) => v !== undefined)) return n;
  }
  return node;
}

/** The SLA or the binding budget (`hardLimit`), then any budget further up (the mission's). */
export function limitReached(c: Ctx): HardLimit | undefined {
  const hit = hardLimit(telemetry(c));
  if (hit) return hit;
  const spent = c.budget.exceeded();
  return spent && { reason: 'budget_exceeded', message: spent.message };
}

/** What a run of the task graph changes; `finished` also goes to the carry (see PlanCarry). */
export function recordRun(c: Ctx, out: TaskDagOutput): Partial<Ctx> {
  const finished = { ...c.finished, ...out.finished };
  // A task failed in a way no replan cures (its provider's non-retryable error): the plan ends with it.
  const fatal = out.stopped === 'non_retryable' ? Object.values(out.failed)[0] : undefined;
  return {
    finished,
    failed: out.failed,
    blocked: out.blocked,
    ...(fatal !== undefined && {
      stopFor: { kind: 'abort' as const, reason: 'non_retryable' as const, message: fatal },
    }),
  };
}

export function failures(c: Ctx): { id: string; error: string }[] {
  const out = Object.entries(c.failed).map(([id, error]) => ({ id, error }));
  for (const id of c.blocked) out.push({ id, error: 'not run: a task it depends on failed' });
  if (c.stopFor?.kind === 'revise') out.push({ id: '(reviewer)', error: c.stopFor.reason });
  if (c.compileError) out.push({ id: '(plan)', error: c.compileError });
  return out;
}

/** The reviewer's verdict: why the run stops, and its record. */
export function stopForReview(
  c: Ctx,
  r: Review,
): { stopFor: Ctx['stopFor']; events: MissionLogEvent[] } {
  const event: MissionLogEvent =
    r.decision === 'abort'
      ? {
          type: 'monitor.abort',
          path: c.path,
          reason: 'aborted',
          message: r.reason,
          by: 'reviewer',
        }
      : {
          type: 'monitor.revise',
          path: c.path,
          reason: 'revise',
          message: r.reason,
          by: 'reviewer',
        };
  const stopFor: Ctx['stopFor'] =
    r.decision === 'abort'
      ? { kind: 'abort', reason: 'aborted', message: `aborted by the reviewer: ${r.reason}` }
      : { kind: 'revise', reason: r.reason };
  return { stopFor, events: [event] };
}

export function abortError(c: Ctx): Error {
  const s = c.stopFor as { reason: PlanAbortedError['reason']; message: string };
  return new PlanAbortedError(s.reason, s.message);
}

export function planJson(c: Ctx): string {
  return JSON.stringify(
    c.plan0?.steps.map((s) => ({ id: s.id, title: s.title, dependsOn: s.dependsOn })) ?? [],
  );
}

export function reviewVars(c: Ctx): Record<string, string> {
  return {
    goal: c.goal,
    plan: planJson(c),
    telemetry: JSON.stringify(telemetry(c)),
    context: c.blackboard.text(),
  };
}

export function synthesisVars(c: Ctx): Record<string, string> {
  const finished = Object.entries(c.finished).map(([id, output]) => ({
    id,
    title: c.plan0?.steps.find((s) => s.id === id)?.title,
    output,
  }));
  return {
    goal: c.goal,
    plan: planJson(c),
    finished: JSON.stringify(finished),
    failed: JSON.stringify(failures(c)),
    context: c.blackboard.text(),
  };
}

/** The plan compiled into a task graph, or why it cannot be: what changes and its record. */
export function compilePlan(c: Ctx): { changes: Partial<Ctx>; events: MissionLogEvent[] } {
  try {
    const graph = compileTaskGraph(c.plan0!, c.agents, {
      finished: new Set(Object.keys(c.finished)),
    });
    const compiled: MissionLogEvent = {
      type: 'plan.compiled',
      path: c.path,
      tasks: graph.tasks.map((t) => ({ id: t.id, agent: t.agent, dependsOn: t.dependsOn })),
      levels: graph.levels,
      // The plan itself: what a resumed mission goes on from.
      plan: c.plan0!,
    };
    return { changes: { graph, compileError: undefined }, events: [compiled] };
  } catch (err) {
    return {
      changes: { graph: undefined, compileError: errorMessage(err) },
      events: [{ type: 'plan.rejected', path: c.path, error: errorMessage(err) }],
    };
  }
}

/** A hard limit reached: the run stops (the reviewer's abort stands; a revise gives way). */
export function limitStop(c: Ctx): { changes: Partial<Ctx>; events: MissionLogEvent[] } {
  if (c.stopFor?.kind === 'abort') return { changes: {}, events: [] };
  const hit = limitReached(c);
  if (!hit) return { changes: {}, events: [] };
  return {
    changes: { stopFor: { kind: 'abort', reason: hit.reason, message: hit.message } },
    events: [
      {
        type: 'monitor.abort',
        path: c.path,
        reason: hit.reason,
        message: hit.message,
        by: 'limit',
      },
    ],
  };
}

/** The replanned plan takes over: what was failed or blocked is forgotten, the count goes up. */
export function revisedPlan(
  c: Ctx,
  plan: Ctx['plan0'],
): { changes: Partial<Ctx>; events: MissionLogEvent[] } {
  return {
    changes: {
      plan0: plan,
      replans: c.replans + 1,
      failed: {},
      blocked: [],
      compileError: undefined,
      stopFor: undefined,
      reflected: false,
    },
    events: [
      {
        type: 'plan.revised',
        path: c.path,
        replan: c.replans + 1,
        failed: Object.keys(c.failed),
      },
    ],
  };
}

/**
 * Hands progress to the next incarnation after a restart (PlanCarry, shared with planStageSpec):
 * an effect, so an action of its own, never inside an `assign`.
 */
export const carryOver = (c: Ctx, patch: Partial<PlanCarry>) => () => {
  if (c.carry) Object.assign(c.carry, patch);
};
