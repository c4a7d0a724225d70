/**
 * Retries a provider's retryable failures itself, with exponential backoff, before the agent
 * sees one (what the openai SDK does for the `openai` kind, `maxRetries`): for a `cli`, a
 * `scripted` or a `simulated` provider given `maxRetries`. A retried failure is not a crash: it
 * spends no restart of the agent's supervisor. A non-retryable failure (`nonRetryable`, a spawn
 * failure, an answer over its cap, an abort) is thrown at once.
 */
import type { Clock } from '../../kernel/clock.js';
import { delay } from './delay.js';
import { ProviderError } from './errors.js';
import type { Provider } from './provider.js';

export interface RetryPolicy {
  maxRetries: number;
  /** The first wait; each next one doubles, up to 8 s, less up to a quarter at random. */
  backoffMs: number;
}

const MAX_BACKOFF_MS = 8000;

export function withRetries(
  provider: Provider,
  policy: RetryPolicy,
  clock: Clock,
  random: () => number = Math.random,
): Provider {
  if (policy.maxRetries <= 0) return provider;
  const complete = provider.complete.bind(provider);
  // The same instance, so what holds it still sees its class and its own fields.
  provider.complete = async (request, signal) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await complete(request, signal);
      } catch (err) {
        const again =
          err instanceof ProviderError &&
          err.retryable &&
          !err.nonRetryable &&
          attempt < policy.maxRetries &&
          signal?.aborted !== true;
        if (!again) throw err;
        const full = Math.min(MAX_BACKOFF_MS, policy.backoffMs * 2 ** attempt);
        await delay(provider.id, clock, full * (1 - 0.25 * random()), signal);
      }
    }
  };
  return provider;
}
