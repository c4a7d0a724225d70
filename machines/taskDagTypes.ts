/** The task-DAG statechart's input, output and events (taskDag.ts), shared with its rules (taskProgress.ts). */
import type { GraphTask, TaskGraph } from '../actors/taskGraph.js';
import type {
  BudgetNode,
  ChildExitedEvent,
  ChildSpec,
  SupervisionRuntime,
} from '../supervisors/index.js';

export interface TaskInput {
  id: string;
  output: string;
}

export interface TaskDagInput {
  /** Stable path of the DAG: its supervisor is `<path>/tasks`, and its events carry it. */
  path: string;
  graph: TaskGraph;
  /** Outputs of tasks done before (an earlier plan): never started again; their outputs feed dependents. */
  finished: Record<string, string>;
  /**
   * Tasks of this graph that failed before (a resumed mission's log says so), with their errors:
   * not started again; what depends on them is blocked. @default none
   */
  failed?: Record<string, string>;
  /** Tasks running at once, at most (below 1 counts as 1). */
  maxParallel: number;
  runtime: SupervisionRuntime;
  budget: BudgetNode;
  /** The child that runs a task; its id is replaced by `task/<id>` and its restart by `temporary`. */
  taskSpec: (task: GraphTask, inputs: TaskInput[]) => ChildSpec;
  /** The text of a task child's output (what its logic ended with). */
  outputOf: (childOutput: unknown) => string;
}

export interface TaskDagOutput {
  /** Every finished task's output: those of `input.finished` and those finished in this run. */
  finished: Record<string, string>;
  /** Error message of each task that failed. */
  failed: Record<string, string>;
  /** Tasks never started because a dependency failed or was blocked, in the order found. */
  blocked: string[];
  /** Why the run stopped early: a `dag.stop` reason, `budget_exceeded`, or the reason its supervisor gave up. Tasks in none of the lists were interrupted or never started. */
  stopped?: string;
}

export type TaskDagEvent = ChildExitedEvent | { type: 'dag.stop'; reason?: string };
