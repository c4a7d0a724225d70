/**
 * A signal for one call, aborted when a long-lived signal is (a provider service's "stopping"),
 * whose link to that signal is removed when the call settles. Passing the long-lived signal
 * itself would leak: a client that adds an abort listener per request and never removes it (the
 * OpenAI SDK does, in `fetchWithTimeout`) would leave one listener on it per call, for as long
 * as the service lives. A listener left on this signal dies with it.
 *
 * A controller and one listener per call, not `AbortSignal.any`: about 0.3 µs against 5 µs,
 * which matters on MAKER's path, where a call is a few microseconds of simulated model.
 */
export interface CallSignal {
  readonly signal: AbortSignal;
  /** Unlinks from the long-lived signal; call it when the call settles. Idempotent. */
  release(): void;
}

export function callSignal(parent: AbortSignal): CallSignal {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, release: () => {} };
  }
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return { signal: controller.signal, release: () => parent.removeEventListener('abort', onAbort) };
}
