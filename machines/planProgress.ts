/**
 * What the orchestrator's monitor knows about a running task graph, and how task results reach
 * the blackboard: both from the events the graph's runner and its supervisors write, through a
 * sink that passes every event on and watches the ones that matter.
 */
import type { Blackboard } from '../actors/blackboard.js';
import type { MissionLogEvent } from '../log/missionLogEvent.js';
import type { TaskGraph } from '../actors/taskGraph.js';
import type { EventSink } from '../supervisors/runtime.js';

export interface PlanProgress {
  counts(): { total: number; finished: number; failed: number; running: number; blocked: number };
  readonly restarts: number;
  /** The sink to give the task graph's runner: it writes to `inner` and keeps count. */
  sink(inner: EventSink, blackboard: Blackboard): EventSink;
}

export function planProgress(
  graph?: TaskGraph,
  finishedBefore: Record<string, string> = {},
): PlanProgress {
  const before = Object.keys(finishedBefore).length;
  const total = (graph?.tasks.length ?? 0) + before;
  let finished = before;
  let failed = 0;
  let blocked = 0;
  let restarts = 0;
  // By task, its agent: `task.finished` and `task.failed` do not say who ran it, and a task whose
  // spec could not be built fails without having started.
  const running = new Map<string, string>();
  const agentOf = (task: string) => {
    const agent = running.get(task) ?? task;
    running.delete(task);
    return agent;
  };
  return {
    counts: () => ({ total, finished, failed, running: running.size, blocked }),
    get restarts() {
      return restarts;
    },
    sink: (inner, blackboard) => ({
      append(e: MissionLogEvent) {
        inner.append(e);
        switch (e.type) {
          case 'task.started':
            running.set(String(e.task), String(e.agent ?? e.task));
            break;
          case 'task.finished':
            finished++;
            // What a task learned is everyone's: the next tasks see it in their context.
            blackboard.append({
              agent: agentOf(String(e.task)),
              kind: 'result',
              data: `${String(e.task)}: ${String(e.output)}`,
            });
            compact(inner, blackboard);
            break;
          case 'task.failed':
            failed++;
            blackboard.append({
              agent: agentOf(String(e.task)),
              kind: 'failure',
              data: `${String(e.task)}: ${String(e.error)}`,
            });
            compact(inner, blackboard);
            break;
          case 'task.blocked':
            blocked++;
            break;
          case 'supervisor.decision':
            if (e.action === 'restart') restarts++;
            break;
        }
      },
    }),
  };
}

/** Keeps the board within its budget; a summarizer that fails leaves it as it is, to try again later. */
function compact(events: EventSink, blackboard: Blackboard): void {
  blackboard.compact().catch((err: unknown) =>
    events.append({
      type: 'blackboard.compaction_failed',
      path: blackboard.path,
      error: (err as Error).message,
    }),
  );
}
