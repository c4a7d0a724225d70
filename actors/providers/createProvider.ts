/** One provider from its config entry, whatever its kind (built in or registered: providerKinds.ts). */
import type { ProviderConfig } from '../../config/providers.js';
import { UserError } from '../../kernel/errors.js';
import { withCallCaps } from './callCaps.js';
import { withNonRetryable } from './nonRetryable.js';
import { withRetries } from './retries.js';
import { systemClock } from '../../kernel/clock.js';
import type { Provider } from './provider.js';
import { providerKind, providerKinds, type ProviderDeps } from './providerKinds.js';

export type { ProviderDeps };

/**
 * Builds the provider `id` of a mission from its parsed config (defaults applied). Throws a
 * `UserError` for a config that parses but cannot work, such as an API key variable that is unset.
 */
export function createProvider(
  id: string,
  config: ProviderConfig,
  deps: ProviderDeps = {},
): Provider {
  const create = providerKind(config.kind);
  if (create === undefined) {
    // A config parsed in a process that registered a kind, run in one that did not.
    const known = providerKinds()
      .map((k) => `'${k}'`)
      .join(' | ');
    throw new UserError(
      `provider '${id}': kind '${config.kind}' is not registered here: expected one of ${known}`,
    );
  }
  // Caps inside: an answer over a cap is an `output_cap` failure that `nonRetryable` may name;
  // retries outside, so a failure marked non-retryable is never retried.
  const provider = withNonRetryable(
    withCallCaps(create(id, config, deps), config),
    config.nonRetryable ?? [],
  );
  const retries = (config as { maxRetries?: unknown }).maxRetries;
  if (config.kind === 'openai' || typeof retries !== 'number' || retries <= 0) return provider;
  const backoffMs = (config as { retryBackoffMs?: number }).retryBackoffMs ?? 500;
  return withRetries(provider, { maxRetries: retries, backoffMs }, deps.clock ?? systemClock);
}
