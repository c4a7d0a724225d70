/**
 * The provider kinds: how a mission's `providers` entry of each `kind` becomes a `Provider`. The
 * built-ins register themselves here the way user code adds its own, with
 * `registerProviderKind(kind, { schema, create })`: the schema joins the config's (so a mission
 * file, `defineMission` and `maestro validate` accept the kind and check its fields), and
 * `create` builds the provider. `createProvider` wraps every kind in the same call caps and
 * non-retryable rules.
 */
import type { z } from 'zod';
import {
  cliProviderSchema,
  openaiProviderSchema,
  registerProviderConfig,
  type registeredProviderFields,
  scriptedProviderSchema,
  simulatedProviderSchema,
} from '../../config/providers.js';
import type { Clock } from '../../kernel/clock.js';
import { CliProvider } from './cli.js';
import { OpenAIProvider } from './openai.js';
import type { Provider } from './provider.js';
import { ScriptedProvider } from './scripted.js';
import { SimulatedProvider } from './simulated.js';

export interface ProviderDeps {
  /** Where API keys and a CLI's allowlisted variables come from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Timers for delays, latencies and CLI timeouts. @default systemClock */
  clock?: Clock;
}

/** A registered kind's parsed config: its own fields, `kind`, and the fields every kind has. */
export type ProviderKindConfig<K extends string, F extends z.ZodObject> = { kind: K } & Omit<
  z.output<z.ZodObject<typeof registeredProviderFields>>,
  keyof z.output<F>
> &
  z.output<F>;

export interface ProviderKindDefinition<C> {
  /**
   * The kind's own fields, as a zod object (a strict one refuses typos, as the built-ins do).
   * `kind`, the call caps, `nonRetryable` and optional `model` and `prices` are added.
   * @default any fields, kept as written
   */
  schema?: z.ZodObject;
  /**
   * The provider for entry `id`, from its parsed config (defaults applied). Throw a `UserError`
   * for a config that parses but cannot work (an unset key variable).
   */
  create(id: string, config: C, deps: ProviderDeps): Provider;
}

type Create = (id: string, config: never, deps: ProviderDeps) => Provider;
const kinds = new Map<string, Create>();

/**
 * Adds provider kind `kind`: missions may name it from now on. Register before a mission is
 * parsed. Throws for a kind registered twice (the built-ins are registered when Maestro loads).
 */
export function registerProviderKind<K extends string, F extends z.ZodObject = z.ZodObject>(
  kind: K,
  definition: ProviderKindDefinition<ProviderKindConfig<K, F>> & { schema?: F },
): void {
  if (kinds.has(kind)) throw new Error(`provider kind '${kind}' is already registered`);
  registerProviderConfig(kind, definition.schema);
  kinds.set(kind, definition.create as Create);
}

/** The `create` of `kind`; undefined for a kind nobody registered. */
export function providerKind(
  kind: string,
): ((id: string, config: { kind: string }, deps: ProviderDeps) => Provider) | undefined {
  return kinds.get(kind) as
    | ((id: string, config: { kind: string }, deps: ProviderDeps) => Provider)
    | undefined;
}

/** Every provider kind with a `create`: the built-ins, then the registered ones. */
export function providerKinds(): string[] {
  return [...kinds.keys()];
}

registerProviderKind('openai', {
  schema: openaiProviderSchema,
  create: (id, config, deps) => new OpenAIProvider(id, config, deps.env),
});
registerProviderKind('cli', {
  schema: cliProviderSchema,
  create: (id, config, deps) => new CliProvider(id, config, deps.env, deps.clock),
});
registerProviderKind('scripted', {
  schema: scriptedProviderSchema,
  create: (id, config, deps) => new ScriptedProvider(id, config, deps.clock),
});
registerProviderKind('simulated', {
  schema: simulatedProviderSchema,
  create: (id, config, deps) => new SimulatedProvider(id, config, deps.clock),
});
