/**
 * How a Maestro statechart fails: one way, for every machine. XState v5 gives a machine one way
 * to fail, an exception in one of its actions (its snapshot turns `error`, and its parent gets
 * `xstate.error.actor.<id>`). Where that exception is thrown matters: an action that throws
 * drops the rest of the transition it is in, including the deferred stops of the actors of the
 * state it leaves, so a sampler or a monitor would run on, orphaned, and deliver to a stopped
 * actor. So a machine that must fail first takes a transition that throws nothing into a state
 * built by `failingState` (its old state's actors are stopped on the way out), and only there,
 * with nothing left running, throws: the state invokes `failWith`, which throws the error as
 * it starts, and the invocation's `onError` rethrows it as the machine's own, unchanged (the
 * parent sees the very error, with its class and fields).
 *
 * Never throw in `entry`, `exit` or a transition's actions to fail; never let a guard throw.
 */
import { type EventObject, fromCallback } from 'xstate';

/** Throws its input's error as it starts: the failing state's only actor. */
export const failWith = fromCallback<EventObject, { error: unknown }>(({ input }) => {
  throw input.error;
});

function rethrow({ event }: { event: { error?: unknown } }): never {
  throw event.error;
}

/**
 * The state a machine fails in: `errorOf` says with what error, from the context. Register
 * `failWith` in the machine's `setup({ actors })` under the name `failWith`.
 */
export function failingState<TContext>(errorOf: (context: TContext) => unknown) {
  return {
    invoke: {
      id: 'failWith',
      src: 'failWith' as const,
      input: ({ context }: { context: TContext }) => ({ error: errorOf(context) }),
      onError: { actions: rethrow },
    },
  };
}
