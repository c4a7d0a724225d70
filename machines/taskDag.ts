/**
 * The task-DAG statechart: runs a compiled TaskGraph with as much parallelism as its
 * dependencies allow (at most `maxParallel` at once). Each task is a temporary child of one
 * supervisor (`<path>/tasks`, child `task/<id>`), started once its dependencies have finished,
 * with their outputs as inputs; a task that fails blocks everything that depends on it, and
 * everything else goes on. It ends when nothing runs and nothing more can start, when told to
 * stop (`dag.stop`), when the budget refuses a start, or when its supervisor gives up; it always
 * shuts its supervisor down (stopping what runs) before it ends.
 */
import { assign, enqueueActions, sendTo, setup } from 'xstate';
import { log } from './logAction.js';
import { errorMessage } from '../kernel/errors.js';
import { supervisorMachine, type SupervisorInput } from '../supervisors/index.js';
import { advance, type TaskProgress, type TaskStatus } from './taskProgress.js';
import type { TaskDagEvent, TaskDagInput, TaskDagOutput } from './taskDagTypes.js';

export { taskChildId, type TaskProgress, type TaskStatus } from './taskProgress.js';

export type { TaskDagEvent, TaskDagInput, TaskDagOutput, TaskInput } from './taskDagTypes.js';

type TaskDagContext = TaskDagInput & TaskProgress;

/** A task's status as the graph starts: finished before, failed before (a resumed run's), or to run. */
function startStatus(input: TaskDagInput, id: string): TaskStatus {
  if (Object.hasOwn(input.finished, id)) return 'finished';
  return Object.hasOwn(input.failed ?? {}, id) ? 'failed' : 'pending';
}

export const taskDagMachine = setup({
  types: {
    input: {} as TaskDagInput,
    context: {} as TaskDagContext,
    events: {} as TaskDagEvent,
    output: {} as TaskDagOutput,
  },
  actors: { supervisor: supervisorMachine },
  guards: {
    isOver: ({ context }) =>
      context.stopped !== undefined || !Object.values(context.status).includes('running'),
  },
  actions: {
    advance: enqueueActions(({ context, event, enqueue }, params: { start: boolean }) => {
      const { progress, events, starts } = advance(context, event, params.start);
      enqueue.assign(progress);
      enqueue(log(context.runtime.events, events));
      for (const spec of starts)
        enqueue.sendTo('supervisor', { type: 'supervisor.startChild', spec });
    }),
    shutdownSupervisor: sendTo('supervisor', { type: 'maestro.shutdown' }),
  },
}).createMachine({
  id: 'taskDag',
  context: ({ input }) => ({
    ...input,
    finished: { ...input.finished },
    status: Object.fromEntries(
      input.graph.tasks.map((t): [string, TaskStatus] => [t.id, startStatus(input, t.id)]),
    ),
    failed: Object.fromEntries(
      Object.entries(input.failed ?? {}).filter(([id]) =>
        input.graph.tasks.some((t) => t.id === id),
      ),
    ),
    blocked: [],
  }),
  invoke: {
    id: 'supervisor',
    src: 'supervisor',
    input: ({ context }): SupervisorInput => ({
      name: `${context.path}/tasks`,
      runtime: context.runtime,
      budget: context.budget,
      // Tasks are temporary (never restarted), so restarts never count against this.
      flags: { strategy: 'one_for_one', intensity: 1_000_000 },
      children: [],
      notifyParent: true,
    }),
    onDone: '.done',
    onError: {
      target: '.done',
      actions: assign({
        stopped: ({ context, event }) => {
          const reason = (event.error as { reason?: unknown } | null)?.reason;
          return (
            context.stopped ?? (typeof reason === 'string' ? reason : errorMessage(event.error))
          );
        },
      }),
    },
  },
  initial: 'running',
  on: { 'supervisor.child.exited': { actions: { type: 'advance', params: { start: false } } } },
  states: {
    running: {
      entry: { type: 'advance', params: { start: true } },
      always: { guard: 'isOver', target: 'stopping' },
      on: {
        'supervisor.child.exited': { actions: { type: 'advance', params: { start: true } } },
        'dag.stop': {
          target: 'stopping',
          actions: assign({ stopped: ({ event }) => event.reason ?? 'stopped' }),
        },
      },
    },
    stopping: { entry: 'shutdownSupervisor' },
    done: { type: 'final' },
  },
  output: ({ context }) => ({
    finished: context.finished,
    failed: context.failed,
    blocked: context.blocked,
    ...(context.stopped !== undefined && { stopped: context.stopped }),
  }),
});
