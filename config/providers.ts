/**
 * Provider configs: one entry of a mission's `providers` map, keyed by the provider's id. The id is
 * the key, so it is not repeated inside the object. Unknown keys are rejected everywhere, so a typo
 * is an error rather than a silently ignored setting.
 */
import { z } from 'zod';
import { KindRegistry } from './kindRegistry.js';

/** Prices in US dollars per million tokens; 0 means unpriced. */
export const pricesSchema = z.strictObject({
  /** @default 0 */
  inputPerMTok: z.number().nonnegative().default(0),
  /** @default 0 */
  outputPerMTok: z.number().nonnegative().default(0),
});
export type Prices = z.output<typeof pricesSchema>;

const defaultPrices = { inputPerMTok: 0, outputPerMTok: 0 };

/**
 * Error types no retry can fix: a wrong key, no permission, a malformed request, a missing model, a CLI that is not there,
 * an answer over its cap (the same call answers as long again, and holding it is what the cap prevents).
 */
export const defaultNonRetryable = [
  'http_400',
  'http_401',
  'http_403',
  'http_404',
  'http_422',
  'spawn',
  'output_cap',
];

const errorTypePattern =
  /^(http_[1-5]\d\d|timeout|rate_limit|server|malformed|crash|exit|output_cap|spawn)$/;

/**
 * Failures that end the mission at once instead of being restarted at any level (Temporal's
 * nonRetryableErrorTypes): `http_<status>` or a provider error kind. @default ['http_400', 'http_401', 'http_403', 'http_404', 'http_422', 'spawn', 'output_cap']
 */
const nonRetryableSchema = z
  .array(
    z.string().regex(errorTypePattern, {
      error: (i) =>
        `expected 'http_<status>' or one of timeout, rate_limit, server, malformed, crash, exit, output_cap, spawn, got '${String(i.input)}'`,
    }),
  )
  .default(defaultNonRetryable);

/** 4 MiB: far above any model's answer, far below what hurts a process to hold. */
export const DEFAULT_MAX_ANSWER_BYTES = 4 * 1024 * 1024;
/** 1 MiB: about a quarter of a million tokens, more than most models' context; also NATS's default max_payload. */
export const DEFAULT_MAX_PROMPT_BYTES = 1024 * 1024;

/** Bytes of an answer (an HTTP body as it arrives; a CLI has its own `maxOutputBytes`) past which the call fails. */
const maxAnswerBytesSchema = z.int().positive().default(DEFAULT_MAX_ANSWER_BYTES);

/**
 * Retries of a retryable failure done by the provider itself, before the agent sees it (the
 * openai kind has its SDK's `maxRetries` instead).
 */
const retryFields = {
  /** A retried failure spends no restart of the agent. @default 0 */
  maxRetries: z.int().nonnegative().max(10).default(0),
  /** The first wait before a retry; each next one doubles, up to 8 s. @default 500 */
  retryBackoffMs: z.int().positive().default(500),
};

/** The caps every provider kind has on a call's size, checked where the provider runs. */
const callCaps = {
  /** Completion tokens an answer may have (reported, else estimated as ceil(chars / 4)); an openai call also asks for no more. */
  maxAnswerTokens: z.int().positive().optional(),
  /** Bytes (UTF-8) of the prompt and the role together, checked before the call. @default 1048576 */
  maxPromptBytes: z.int().positive().default(DEFAULT_MAX_PROMPT_BYTES),
};

/** Any OpenAI-compatible chat completions endpoint: OpenAI, OpenRouter, Moonshot, vLLM, Ollama. */
export const openaiProviderSchema = z.strictObject({
  kind: z.literal('openai'),
  /** @default 'https://api.openai.com/v1' */
  baseURL: z.url({ protocol: /^https?$/ }).default('https://api.openai.com/v1'),
  /** Name of the environment variable holding the key; the key itself never sits in a config. @default 'OPENAI_API_KEY' */
  apiKeyEnv: z.string().min(1).default('OPENAI_API_KEY'),
  model: z.string().min(1),
  /** @default { inputPerMTok: 0, outputPerMTok: 0 } */
  prices: pricesSchema.default(defaultPrices),
  /** Per HTTP attempt. @default 60000 */
  timeoutMs: z.int().positive().default(60_000),
  /** Retries done by the SDK itself (429, 5xx, connection errors) before an error is raised. @default 2 */
  maxRetries: z.int().nonnegative().default(2),
  /** Extra HTTP headers sent with every request (OpenRouter's `HTTP-Referer`, for example). */
  headers: z.record(z.string(), z.string()).optional(),
  /** @default 4194304 */
  maxAnswerBytes: maxAnswerBytesSchema,
  ...callCaps,
  nonRetryable: nonRetryableSchema,
});
export type OpenAIProviderConfig = z.output<typeof openaiProviderSchema>;

/** A cli provider's confinement when it works in a candidate's worktree; `parse({})` is its default. */
export const cliSandboxSchema = z.strictObject({
  /** `none` runs it unconfined in the worktree, with a warning on every call. @default 'bwrap' */
  kind: z.enum(['bwrap', 'none']).default('bwrap'),
  /** @default true */
  network: z.boolean().default(true),
  /** Host paths it may read though they are hidden (its config under the home: `~/.codex`). @default [] */
  readOnly: z.array(z.string().startsWith('/', 'expected an absolute path')).default([]),
  /** Address space it may map (V8 needs at least 1 GiB). @default 4096 */
  memoryMb: z.int().min(1024, 'expected at least 1024 (V8 maps 1 GiB at start)').default(4096),
});
export type CliSandboxConfig = z.output<typeof cliSandboxSchema>;

/** A coding CLI (codex, gemini, claude...) run without a shell. */
export const cliProviderSchema = z.strictObject({
  kind: z.literal('cli'),
  command: z.string().min(1),
  /** The token `{prompt}` in an arg is replaced by the prompt; with no such token the prompt goes to stdin. @default [] */
  args: z.array(z.string()).default([]),
  /** @default 300000 */
  timeoutMs: z.int().positive().default(300_000),
  /** Stdout beyond this many bytes kills the process. @default 1000000 */
  maxOutputBytes: z.int().positive().default(1_000_000),
  /** The only environment variables the process sees. @default ['PATH', 'HOME', 'LANG'] */
  envAllowlist: z.array(z.string().min(1)).default(['PATH', 'HOME', 'LANG']),
  cwd: z.string().min(1).optional(),
  /**
   * How it runs when a call names a candidate's worktree (a coding workflow's implement stage):
   * confined there by bubblewrap, the only folder it may write, with the network on (it calls its
   * model's API) and only `envAllowlist` in its environment. Calls without a worktree run as
   * before, in `cwd`. @default bwrap, network on, 4096 MB
   */
  sandbox: cliSandboxSchema
    // optional, not defaulted: a definition that does not set it hashes as before (providerIdentity)
    .optional(),
  /** A label for results and logs. @default the value of `command` */
  model: z.string().min(1).optional(),
  ...callCaps,
  ...retryFields,
  nonRetryable: nonRetryableSchema,
});
export type CliProviderConfig = z.output<typeof cliProviderSchema>;

export const scriptedErrorKindSchema = z.enum([
  'timeout',
  'rate_limit',
  'server',
  'malformed',
  'crash',
]);
export type ScriptedErrorKind = z.output<typeof scriptedErrorKindSchema>;

export const scriptedResponseSchema = z.union([
  z.string(),
  z.strictObject({
    text: z.string(),
    /** Waited on the injected clock before answering. */
    delayMs: z.int().nonnegative().optional(),
  }),
  z.strictObject({
    error: z.string(),
    /** @default 'crash' */
    errorKind: scriptedErrorKindSchema.default('crash'),
    /** With errorKind server: the HTTP status answered (a 401 to simulate a wrong key). @default 500 */
    status: z.int().min(400).max(599).optional(),
    delayMs: z.int().nonnegative().optional(),
  }),
]);
export type ScriptedResponse = z.output<typeof scriptedResponseSchema>;

/** Fixed responses, consumed in order across all calls. Usage is estimated as ceil(chars / 4). */
export const scriptedProviderSchema = z.strictObject({
  kind: z.literal('scripted'),
  responses: z.array(scriptedResponseSchema).min(1),
  /** What happens after the last response: start over, keep answering the last one, or fail. @default 'repeat_last' */
  onExhausted: z.enum(['cycle', 'repeat_last', 'error']).default('repeat_last'),
  /** @default 'scripted' */
  model: z.string().min(1).default('scripted'),
  /** @default 4194304 */
  maxAnswerBytes: maxAnswerBytesSchema,
  ...callCaps,
  ...retryFields,
  nonRetryable: nonRetryableSchema,
});
export type ScriptedProviderConfig = z.output<typeof scriptedProviderSchema>;

export const latencySchema = z.discriminatedUnion('distribution', [
  z.strictObject({ distribution: z.literal('fixed'), ms: z.number().nonnegative() }),
  z
    .strictObject({
      distribution: z.literal('uniform'),
      minMs: z.number().nonnegative(),
      maxMs: z.number().nonnegative(),
    })
    .refine((l) => l.maxMs >= l.minMs, { path: ['maxMs'], message: 'must be at least minMs' }),
  z.strictObject({
    distribution: z.literal('lognormal'),
    medianMs: z.number().nonnegative(),
    sigma: z.number().nonnegative(),
  }),
]);
export type LatencyConfig = z.output<typeof latencySchema>;

/**
 * Makes a simulated provider a model of one step task: it reads the task's prompt and answers it,
 * right, wrong (at the provider's `errorRate`) or red-flagged. See `actors/tasks/hanoiSimulator.ts`.
 */
export const simulatedTaskSchema = z.strictObject({
  kind: z.literal('hanoi'),
  /**
   * How wrong answers fall: `dominant`, the same wrong answer for a state (wrong samples agree);
   * `varied`, one of the wrong answers at random; `correlated`, errors clustered in hard steps.
   * @default 'dominant'
   */
  errorMode: z.enum(['dominant', 'varied', 'correlated']).default('dominant'),
  /**
   * `correlated` only: the probability that a step is hard. A hard step errs at errorRate /
   * correlation (at most 1), an easy one at what keeps the average at errorRate. @default 0.5
   */
  correlation: z.number().min(0).max(1).default(0.5),
  /** Probability that an answer is malformed or too long (> 2,000 chars), half each. @default 0 */
  redFlagRate: z.number().min(0).max(1).default(0),
});
export type SimulatedTaskConfig = z.output<typeof simulatedTaskSchema>;

/** A model with a set error rate and latency, deterministic for a seed: benchmarks and demos. */
export const simulatedProviderSchema = z
  .strictObject({
    kind: z.literal('simulated'),
    /**
     * Without `task`: probability that a call fails with a retryable crash. With `task`: probability
     * that an answer that is not red-flagged is wrong (well-formed, so only a vote catches it). @default 0
     */
    errorRate: z.number().min(0).max(1).default(0),
    /** Probability that a call fails with a retryable crash, on top of `errorRate` without `task`. @default 0 (when absent) */
    crashRate: z.number().min(0).max(1).optional(),
    /** Answer a step task's prompts instead of echoing them. */
    task: simulatedTaskSchema.optional(),
    /** @default 1 */
    seed: z.int().default(1),
    /** @default { distribution: 'fixed', ms: 0 } */
    latencyMs: latencySchema.default({ distribution: 'fixed', ms: 0 }),
    /** Answers picked at random (seeded); without them the answer is derived from the prompt. */
    answers: z.array(z.string()).min(1).optional(),
    /** @default 'simulated' */
    model: z.string().min(1).default('simulated'),
    /** @default { inputPerMTok: 0, outputPerMTok: 0 } */
    prices: pricesSchema.default(defaultPrices),
    /** @default 4194304 */
    maxAnswerBytes: maxAnswerBytesSchema,
    ...callCaps,
    ...retryFields,
    nonRetryable: nonRetryableSchema,
  })
  .refine((c) => c.task === undefined || c.answers === undefined, {
    path: ['answers'],
    message: 'cannot be combined with task: the task decides the answers',
  });
export type SimulatedProviderConfig = z.output<typeof simulatedProviderSchema>;

/** The built-in kinds: what the JSON Schema export describes. */
export const builtinProviderConfigSchema = z.discriminatedUnion('kind', [
  openaiProviderSchema,
  cliProviderSchema,
  scriptedProviderSchema,
  simulatedProviderSchema,
]);
export type BuiltinProviderConfig = z.output<typeof builtinProviderConfigSchema>;

/**
 * What a registered provider kind has besides its own fields, with the built-ins' defaults: the
 * call caps and `nonRetryable` (applied by `createProvider` to every kind), and an optional
 * `model` label and `prices`. A kind's own schema may redefine any of them.
 */
export const registeredProviderFields = {
  model: z.string().min(1).optional(),
  prices: pricesSchema.optional(),
  /** @default 4194304 */
  maxAnswerBytes: maxAnswerBytesSchema,
  ...callCaps,
  nonRetryable: nonRetryableSchema,
};
const registeredFields = z.strictObject(registeredProviderFields);

/**
 * The provider kinds user code registers, each kind → its own fields. Empty here; augment it
 * where a kind is registered, so `defineMission` and `createProvider` type that kind's config:
 * `declare module 'maestro' { interface ProviderKinds { echo: { prefix?: string } } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by user code (declaration merging)
export interface ProviderKinds {}

type Registered<Fields> = {
  [K in keyof ProviderKinds & string]: { kind: K } & ProviderKinds[K] & Fields;
}[keyof ProviderKinds & string];
/** A registered kind's parsed config (defaults applied). */
export type RegisteredProviderConfig = Registered<z.output<typeof registeredFields>>;
export type RegisteredProviderConfigInput = Registered<z.input<typeof registeredFields>>;

export type ProviderConfig = BuiltinProviderConfig | RegisteredProviderConfig;
export type ProviderConfigInput =
  | z.input<typeof builtinProviderConfigSchema>
  | RegisteredProviderConfigInput;

/** The provider kinds a mission may name: the built-ins, then the registered ones. */
export const providerKindRegistry = new KindRegistry('provider kind', builtinProviderConfigSchema);

/**
 * One entry of a mission's `providers`: a built-in kind or a registered one, chosen by `kind`.
 * An unknown kind reads `kind: expected kind to be one of 'openai' | 'cli' | …`, listing the
 * registered kinds too.
 */
export const providerConfigSchema = providerKindRegistry.schema() as z.ZodType<
  ProviderConfig,
  ProviderConfigInput
>;

/**
 * Lets a mission name provider kind `kind`, whose fields `fields` validates (a strict object,
 * so a typo is an error; `kind` and `registeredProviderFields` are added). Without `fields`, any
 * fields are kept as written. Returns the kind's whole schema. Throws for a kind registered
 * twice, or a built-in kind with another schema. `registerProviderKind` (actors/providers) calls
 * it with the kind's `create`: use that one.
 */
export function registerProviderConfig(kind: string, fields?: z.ZodObject): z.ZodObject {
  return providerKindRegistry.register(kind, fields, registeredProviderFields);
}
