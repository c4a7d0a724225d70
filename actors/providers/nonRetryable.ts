/**
 * A provider whose failures of the types its config names as non-retryable (`nonRetryable`) say
 * so, where the provider runs: the caller then ends the mission instead of restarting the agent
 * (`NonRetryableError`), as Temporal does with its non-retryable error types.
 */
import { NonRetryableError } from '../../supervisors/exits.js';
import { ProviderError } from './errors.js';
import type { Provider } from './provider.js';

export function withNonRetryable(provider: Provider, types: readonly string[]): Provider {
  if (types.length === 0) return provider;
  const set = new Set(types);
  const complete = provider.complete.bind(provider);
  // The same instance, so what holds it still sees its class and its own fields.
  provider.complete = (request, signal) =>
    complete(request, signal).catch((err: unknown) => {
      if (err instanceof ProviderError && (set.has(err.errorType) || set.has(err.kind)))
        err.nonRetryable = true;
      throw err;
    });
  return provider;
}

/** What a caller throws for a provider's error: a NonRetryableError when the provider said so. */
export function callFailure(err: ProviderError): Error {
  return err.nonRetryable ? new NonRetryableError(err.errorType, err) : err;
}
