/**
 * The task DAG's rules, pure: which tasks are ready (every dependency finished), which are
 * blocked (a dependency failed or was blocked), how a child's exit is recorded. `advance` returns
 * the next progress, the events to log and the children to start; `taskDag.ts` applies them.
 */
import { BudgetExceededError, errorMessage } from '../kernel/errors.js';
import type { MissionLogEvent } from '../log/missionLogEvent.js';
import { normalizeChildSpec, type ChildExitedEvent, type ChildSpec } from '../supervisors/index.js';
import type { TaskDagEvent, TaskDagInput } from './taskDagTypes.js';

export type TaskStatus = 'pending' | 'running' | 'finished' | 'failed' | 'blocked';

/** Where a run is: each task's status, and the outputs, errors and blocks so far. */
export interface TaskProgress {
  status: Record<string, TaskStatus>;
  /** Outputs of every finished task, those finished before this run included. */
  finished: Record<string, string>;
  failed: Record<string, string>;
  blocked: string[];
  stopped?: string;
}

type TaskDagContext = TaskDagInput & TaskProgress;

const CHILD_PREFIX = 'task/';
export const taskChildId = (id: string) => `${CHILD_PREFIX}${id}`;

/** Blocks every pending task with a dependency that failed, was blocked or cannot come. */
function propagateBlocks(c: TaskDagContext, p: TaskProgress, events: MissionLogEvent[]): void {
  const dead = (d: string) =>
    p.status[d] === 'failed' ||
    p.status[d] === 'blocked' ||
    (p.status[d] === undefined && !Object.hasOwn(p.finished, d));
  for (let changed = true; changed; ) {
    changed = false;
    for (const t of c.graph.tasks) {
      const dep = p.status[t.id] === 'pending' ? t.dependsOn.find(dead) : undefined;
      if (dep === undefined) continue;
      p.status[t.id] = 'blocked';
      p.blocked.push(t.id);
      events.push({ type: 'task.blocked', path: c.path, task: t.id, dependency: dep });
      changed = true;
    }
  }
}

function fail(
  c: TaskDagContext,
  p: TaskProgress,
  id: string,
  error: string,
  events: MissionLogEvent[],
): void {
  p.status[id] = 'failed';
  p.failed[id] = error;
  events.push({ type: 'task.failed', path: c.path, task: id, error });
}

/** Starts what is ready, in graph order, while slots are free and the budget allows. */
function startReady(
  c: TaskDagContext,
  p: TaskProgress,
  events: MissionLogEvent[],
  starts: ChildSpec[],
): void {
  propagateBlocks(c, p, events);
  let running = Object.values(p.status).filter((s) => s === 'running').length;
  for (const t of c.graph.tasks) {
    if (p.stopped !== undefined || running >= Math.max(1, c.maxParallel)) return;
    if (p.status[t.id] !== 'pending' || !t.dependsOn.every((d) => Object.hasOwn(p.finished, d)))
      continue;
    try {
      c.budget.check();
    } catch (err) {
      if (!(err instanceof BudgetExceededError)) throw err;
      p.stopped = err.reason;
      return;
    }
    let spec: ChildSpec;
    try {
      const inputs = t.dependsOn.map((d) => ({ id: d, output: p.finished[d]! }));
      spec = normalizeChildSpec(
        { ...c.taskSpec(t, inputs), id: taskChildId(t.id), restart: 'temporary' },
        `task '${t.id}'`,
      );
    } catch (err) {
      // Never handed to the supervisor (it would refuse it and say nothing): the task fails here.
      fail(c, p, t.id, errorMessage(err), events);
      propagateBlocks(c, p, events);
      continue;
    }
    p.status[t.id] = 'running';
    running++;
    events.push({ type: 'task.started', path: c.path, task: t.id, agent: t.agent });
    starts.push(spec);
  }
}

/** Records a task child's end: finished with its output, or failed with its error. */
function recordExit(
  c: TaskDagContext,
  p: TaskProgress,
  e: ChildExitedEvent,
  events: MissionLogEvent[],
): void {
  const id = e.childId.startsWith(CHILD_PREFIX) ? e.childId.slice(CHILD_PREFIX.length) : undefined;
  if (id === undefined || p.status[id] !== 'running') return;
  if (e.exit !== 'normal') {
    fail(c, p, id, e.error ?? e.exit, events);
    // No other task on that provider can do better (a wrong key, a missing model): stop the run.
    if (e.exit === 'non_retryable') p.stopped ??= 'non_retryable';
    return;
  }
  let output: string;
  try {
    output = c.outputOf(e.output);
  } catch (err) {
    return fail(c, p, id, errorMessage(err), events);
  }
  p.status[id] = 'finished';
  p.finished[id] = output;
  events.push({ type: 'task.finished', path: c.path, task: id, output });
}

/**
 * One step of progress, pure: the exit recorded (if the event is one), blocks propagated, and
 * with `start`, what became ready started. Returns a copy of the progress, the events to append
 * and the children to start.
 */
export function advance(context: TaskDagContext, event: TaskDagEvent, start: boolean) {
  const p: TaskProgress = {
    status: { ...context.status },
    finished: { ...context.finished },
    failed: { ...context.failed },
    blocked: [...context.blocked],
    stopped: context.stopped,
  };
  const events: MissionLogEvent[] = [];
  const starts: ChildSpec[] = [];
  if (event.type === 'supervisor.child.exited') recordExit(context, p, event, events);
  if (start) startReady(context, p, events, starts);
  else propagateBlocks(context, p, events);
  return { progress: p, events, starts };
}
