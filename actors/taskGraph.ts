/**
 * A MasterPlan compiled into a graph of tasks: each step checked (unique id, known
 * dependencies, no cycle), given an agent by capability, and put in topological order. A plan
 * that breaks a rule is the planner's mistake, not the user's: the errors are `SystemError`s
 * with `reason: 'bad_plan'`, so the orchestrator can send the plan back for revision.
 */
import { SystemError } from '../kernel/errors.js';
import type { AgentConfig } from '../config/mission.js';
import type { MasterPlan, PlanStep } from './planning/masterPlan.js';

export interface GraphTask {
  id: string;
  title: string;
  prompt: string;
  /** Every dependency, including steps finished by an earlier plan (satisfied from the start). */
  dependsOn: string[];
  /** Id of the agent that runs the task. */
  agent: string;
}

export interface TaskGraph {
  /** Topological order; among tasks ready at the same time, plan order. */
  tasks: GraphTask[];
  /** Tasks that can run together: level 0 needs nothing unfinished, level n+1 needs level n. Plan order within a level. */
  levels: string[][];
}

export interface CompileOptions {
  /** Steps finished by an earlier plan: left out of the graph, and dependencies on them are satisfied. */
  finished?: ReadonlySet<string>;
}

/** The agent fields a graph needs. */
export type GraphAgent = Pick<AgentConfig, 'id' | 'capabilities'>;

/** A plan that cannot be run as a graph of tasks. */
export class PlanGraphError extends SystemError {
  override name = 'PlanGraphError';
  readonly reason = 'bad_plan';
}

export class DuplicateStepError extends PlanGraphError {
  override name = 'DuplicateStepError';
  constructor(readonly step: string) {
    super(`duplicate step id '${step}'`);
  }
}

export class UnknownDependencyError extends PlanGraphError {
  override name = 'UnknownDependencyError';
  constructor(
    readonly step: string,
    readonly dependency: string,
  ) {
    super(`step '${step}' depends on unknown step '${dependency}'`);
  }
}

export class SelfDependencyError extends PlanGraphError {
  override name = 'SelfDependencyError';
  constructor(readonly step: string) {
    super(`step '${step}' depends on itself`);
  }
}

export class PlanCycleError extends PlanGraphError {
  override name = 'PlanCycleError';
  /** In run order (each step is a dependency of the next), from its first step in plan order back to it. */
  constructor(readonly cycle: readonly string[]) {
    super(`plan has a cycle: ${cycle.join(' → ')}`);
  }
}

export class NoCapableAgentError extends PlanGraphError {
  override name = 'NoCapableAgentError';
  constructor(
    readonly step: string,
    readonly capabilities: readonly string[],
    readonly agents: readonly GraphAgent[],
  ) {
    const list = agents.length
      ? agents.map((a) => `${a.id} [${a.capabilities.join(', ')}]`).join(', ')
      : 'none';
    super(
      `step '${step}' needs capabilities [${capabilities.join(', ')}]: no agent has them all (agents: ${list})`,
    );
  }
}

export function compileTaskGraph(
  plan: MasterPlan,
  agents: readonly GraphAgent[],
  options: CompileOptions = {},
): TaskGraph {
  const finished = options.finished ?? new Set<string>();
  const seen = new Set<string>();
  for (const step of plan.steps) {
    if (seen.has(step.id)) throw new DuplicateStepError(step.id);
    seen.add(step.id);
  }
  const steps = plan.steps.filter((s) => !finished.has(s.id));
  const todo = new Map(steps.map((s, i) => [s.id, { step: s, index: i }]));
  for (const step of steps) {
    for (const dep of step.dependsOn) {
      if (dep === step.id) throw new SelfDependencyError(step.id);
      if (!seen.has(dep) && !finished.has(dep)) throw new UnknownDependencyError(step.id, dep);
    }
  }
  const cycle = findCycle(steps, todo);
  if (cycle) throw new PlanCycleError(cycle);
  const agentOf = new Map(steps.map((s) => [s.id, chooseAgent(s, agents)]));

  // Unfinished dependencies only: the others are satisfied.
  const deps = (s: PlanStep) => s.dependsOn.filter((d) => todo.has(d));
  const level = new Map<string, number>();
  const levelOf = (s: PlanStep): number => {
    let l = level.get(s.id);
    if (l === undefined) {
      l = Math.max(-1, ...deps(s).map((d) => levelOf(todo.get(d)!.step))) + 1;
      level.set(s.id, l);
    }
    return l;
  };
  const levels: string[][] = [];
  for (const s of steps) (levels[levelOf(s)] ??= []).push(s.id);

  // Kahn's algorithm, always taking the ready step that comes first in the plan.
  const waiting = new Map(steps.map((s) => [s.id, new Set(deps(s))]));
  const order: PlanStep[] = [];
  while (order.length < steps.length) {
    const next = steps.find((s) => waiting.get(s.id)?.size === 0)!;
    waiting.delete(next.id);
    for (const w of waiting.values()) w.delete(next.id);
    order.push(next);
  }
  const tasks = order.map((s) => ({
    id: s.id,
    title: s.title,
    prompt: s.prompt,
    dependsOn: [...s.dependsOn],
    agent: agentOf.get(s.id)!,
  }));
  return { tasks, levels };
}

/** The first agent in config order with every capability; a step needing none prefers an agent that has none. */
function chooseAgent(step: PlanStep, agents: readonly GraphAgent[]): string {
  const needs = step.capabilities;
  const found =
    needs.length === 0
      ? (agents.find((a) => a.capabilities.length === 0) ?? agents[0])
      : agents.find((a) => needs.every((c) => a.capabilities.includes(c)));
  if (!found) throw new NoCapableAgentError(step.id, needs, agents);
  return found.id;
}

/**
 * Depth-first along dependencies, steps in plan order: the first back edge closes a cycle. It is
 * returned in run order, starting (and ending) at its step that comes first in the plan.
 */
function findCycle(
  steps: readonly PlanStep[],
  todo: ReadonlyMap<string, { step: PlanStep; index: number }>,
): string[] | undefined {
  const done = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (id: string): string[] | undefined => {
    if (done.has(id)) return undefined;
    if (onStack.has(id)) {
      // stack[i..] walks from `id` along dependencies; run order is the reverse.
      const ring = stack.slice(stack.indexOf(id)).reverse();
      const first = ring.reduce((best, s) =>
        todo.get(s)!.index < todo.get(best)!.index ? s : best,
      );
      const at = ring.indexOf(first);
      const rotated = [...ring.slice(at), ...ring.slice(0, at)];
      return [...rotated, first];
    }
    stack.push(id);
    onStack.add(id);
    for (const dep of todo.get(id)!.step.dependsOn) {
      if (!todo.has(dep)) continue;
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    onStack.delete(id);
    done.add(id);
    return undefined;
  };
  for (const s of steps) {
    const found = visit(s.id);
    if (found) return found;
  }
  return undefined;
}
