/** Waiting on the injected clock, cut short by an abort signal. */
import type { Clock } from '../../kernel/clock.js';
import { ProviderAbortedError } from './errors.js';

/** Throws `ProviderAbortedError` for `provider` when the signal is already aborted. */
export function throwIfAborted(provider: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ProviderAbortedError(provider, { cause: signal.reason });
}

/**
 * Resolves after `ms` on `clock`; rejects with `ProviderAbortedError` as soon as `signal` aborts.
 * A zero wait sets no timer, so a `ManualClock` test needs no `advance` for it.
 */
export function delay(
  provider: string,
  clock: Clock,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  throwIfAborted(provider, signal);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(new ProviderAbortedError(provider, { cause: signal?.reason }));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
