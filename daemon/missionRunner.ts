/**
 * One mission as a child of the daemon's root supervisor. The mission runs its own actor system
 * (its tree, its event log); this small statechart is what the root supervises: it ends when the
 * mission ends, and asked to shut down it suspends the mission (the tree stops in order, the log
 * is synced, no `mission.finished`) and ends when that is done, so the mission resumes on the
 * next start. A mission that fails is its own result, not a crash of the runner: one mission's
 * failure never touches its siblings.
 */
import { fromPromise, setup } from 'xstate';
import { SHUTDOWN_EVENT } from '../supervisors/index.js';
import type { MissionOutput } from '../machines/mission.js';

export interface MissionRunnerInput {
  /** Runs the mission to its end (or suspension); `suspend` aborted asks it to suspend. */
  run: (suspend: AbortSignal) => Promise<MissionOutput>;
}

interface Ctx {
  input: MissionRunnerInput;
  suspend: AbortController;
}

export const missionRunnerMachine = setup({
  types: {
    input: {} as MissionRunnerInput,
    context: {} as Ctx,
    events: {} as { type: typeof SHUTDOWN_EVENT },
  },
  actors: {
    mission: fromPromise<MissionOutput, Ctx>(({ input }) => input.input.run(input.suspend.signal)),
  },
}).createMachine({
  id: 'missionRunner',
  context: ({ input }) => ({ input, suspend: new AbortController() }),
  invoke: {
    src: 'mission',
    input: ({ context }) => context,
    onDone: '.done',
    onError: {
      target: '.done',
      // Maestro's own failure while running the mission: the runner fails, the root decides.
      actions: ({ event }) => {
        throw event.error;
      },
    },
  },
  initial: 'running',
  states: {
    running: {
      // Deferred: the mission is another actor system, and driving it from inside this action
      // would run its transitions within ours.
      on: {
        [SHUTDOWN_EVENT]: {
          target: 'suspending',
          actions: ({ context }) => queueMicrotask(() => context.suspend.abort()),
        },
      },
    },
    suspending: {},
    done: { type: 'final' },
  },
});
