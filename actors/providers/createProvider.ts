/** One provider from its config entry: the only place that knows every kind. */
import type { Clock } from '../../kernel/clock.js';
import type { ProviderConfig } from '../../config/providers.js';
import { withCallCaps } from './callCaps.js';
import { CliProvider } from './cli.js';
import { OpenAIProvider } from './openai.js';
import { withNonRetryable } from './nonRetryable.js';
import type { Provider } from './provider.js';
import { ScriptedProvider } from './scripted.js';
import { SimulatedProvider } from './simulated.js';

export interface ProviderDeps {
  /** Where API keys and a CLI's allowlisted variables come from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Timers for delays, latencies and CLI timeouts. @default systemClock */
  clock?: Clock;
}

/**
 * Builds the provider `id` of a mission from its parsed config (defaults applied). Throws a
 * `UserError` for a config that parses but cannot work, such as an API key variable that is unset.
 */
export function createProvider(
  id: string,
  config: ProviderConfig,
  deps: ProviderDeps = {},
): Provider {
  // Caps inside: an answer over a cap is an `output_cap` failure that `nonRetryable` may name.
  return withNonRetryable(
    withCallCaps(providerOfKind(id, config, deps), config),
    config.nonRetryable ?? [],
  );
}

function providerOfKind(id: string, config: ProviderConfig, deps: ProviderDeps): Provider {
  switch (config.kind) {
    case 'openai':
      return new OpenAIProvider(id, config, deps.env);
    case 'cli':
      return new CliProvider(id, config, deps.env, deps.clock);
    case 'scripted':
      return new ScriptedProvider(id, config, deps.clock);
    case 'simulated':
      return new SimulatedProvider(id, config, deps.clock);
  }
}
