/**
 * The one place that knows XState's internal event names for a child's end:
 * `xstate.done.actor.<id>` (finished, with `output`) and `xstate.error.actor.<id>` (failed,
 * with `error`). XState v6 renames them; only this file changes then.
 */
const DONE = 'xstate.done.actor.';
const ERROR = 'xstate.error.actor.';

export interface ChildExitEvent {
  refId: string;
  done: boolean;
  /** The output when done, the error when failed. */
  payload: unknown;
}

export function parseChildExit(event: {
  type: string;
  output?: unknown;
  error?: unknown;
}): ChildExitEvent | undefined {
  if (event.type.startsWith(DONE))
    return { refId: event.type.slice(DONE.length), done: true, payload: event.output };
  if (event.type.startsWith(ERROR))
    return { refId: event.type.slice(ERROR.length), done: false, payload: event.error };
  return undefined;
}

/** Sent by a supervisor to ask a child to stop; a child that ignores it is killed after its shutdown timeout. */
export const SHUTDOWN_EVENT = 'maestro.shutdown' as const;
export type ShutdownEvent = { type: typeof SHUTDOWN_EVENT };

/**
 * XState v5 does not stop the children of a machine that failed: they run on, orphaned (see
 * the TODO on `_stopProcedure` in xstate's Actor). A supervisor reaps them when it removes a
 * failed child, so a crashed worker's in-flight calls are aborted, not leaked.
 */
interface OrphanRef {
  getSnapshot(): unknown;
  _stop(): void;
}

export function stopOrphans(ref: { getSnapshot(): unknown } | undefined): void {
  if (!ref) return;
  const snap = ref.getSnapshot() as { status?: string; children?: Record<string, OrphanRef> };
  if (snap.status !== 'error' || !snap.children) return;
  for (const child of Object.values(snap.children)) {
    stopOrphans(child);
    // `stop()` refuses non-root actors; `_stop()` is what a parent's stopChild calls.
    child._stop();
  }
}
