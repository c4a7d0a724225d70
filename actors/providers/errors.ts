/**
 * Provider failures: one class per failure mode, each with the provider's id, a `kind` the
 * supervisor switches on and whether the same call may succeed if retried. Errors cross transports
 * as JSON, so each one serializes to a plain object and deserializes back to its own class.
 */
import { z } from 'zod';
import { SystemError } from '../../kernel/errors.js';

export const providerErrorKinds = [
  'timeout',
  'rate_limit',
  'server',
  'malformed',
  'crash',
  'aborted',
  'exit',
  'output_cap',
  'spawn',
  'prompt_cap',
] as const;
export type ProviderErrorKind = (typeof providerErrorKinds)[number];

export interface ProviderErrorOptions {
  cause?: unknown;
  /** Overrides the default of the error's kind. */
  retryable?: boolean;
  /** Appended to the message after a colon: the server's words, a scripted error's text. */
  detail?: string;
}

const retryableByDefault: Record<ProviderErrorKind, boolean> = {
  timeout: true,
  rate_limit: true,
  server: true,
  malformed: true,
  crash: true,
  aborted: false,
  exit: true,
  output_cap: false,
  spawn: false,
  prompt_cap: false,
};

const EXCERPT_CHARS = 200;

function withDetail(text: string, detail: string | undefined): string {
  return detail ? `${text}: ${detail}` : text;
}

/** The first characters of an offending body, on one line. */
export function excerptOf(body: string, max = EXCERPT_CHARS): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}

export class ProviderError extends SystemError {
  override name = 'ProviderError';
  readonly retryable: boolean;
  /** In its provider's `nonRetryable` set: no restart at any level (set where the provider runs). */
  nonRetryable = false;
  constructor(
    readonly provider: string,
    readonly kind: ProviderErrorKind,
    text: string,
    options: ProviderErrorOptions = {},
  ) {
    const message = `provider '${provider}': ${withDetail(text, options.detail)}`;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? retryableByDefault[kind];
  }

  /** What a provider's `nonRetryable` set names: `http_<status>` for an HTTP error, else the kind. */
  get errorType(): string {
    return this.kind;
  }
}

export class ProviderTimeoutError extends ProviderError {
  override name = 'ProviderTimeoutError';
  constructor(
    provider: string,
    readonly timeoutMs?: number,
    options?: ProviderErrorOptions,
  ) {
    super(
      provider,
      'timeout',
      timeoutMs === undefined ? 'timed out' : `timed out after ${timeoutMs} ms`,
      options,
    );
  }
}

export class ProviderRateLimitError extends ProviderError {
  override name = 'ProviderRateLimitError';
  constructor(provider: string, options?: ProviderErrorOptions) {
    super(provider, 'rate_limit', 'rate limited', options);
  }

  /** A 429, whichever way the provider said it: `nonRetryable: [http_429]` names it as well as `rate_limit`. */
  override get errorType(): string {
    return 'http_429';
  }
}

/** The server answered with an error status. Retryable for 5xx (and 408), not for other 4xx. */
export class ProviderHttpError extends ProviderError {
  override name = 'ProviderHttpError';
  constructor(
    provider: string,
    readonly status: number,
    options: ProviderErrorOptions = {},
  ) {
    super(provider, 'server', `http ${status}`, {
      ...options,
      retryable: options.retryable ?? (status >= 500 || status === 408),
    });
  }

  override get errorType(): string {
    return `http_${this.status}`;
  }
}

/** A body that is not JSON, or JSON without the answer where it should be. */
export class ProviderResponseError extends ProviderError {
  override name = 'ProviderResponseError';
  readonly excerpt: string;
  constructor(provider: string, excerpt: string, options: ProviderErrorOptions = {}) {
    const short = excerptOf(excerpt);
    super(
      provider,
      'malformed',
      `malformed response${options.detail ? `: ${options.detail}` : ''}: '${short}'`,
      {
        ...options,
        detail: undefined,
      },
    );
    this.excerpt = short;
  }
}

export class ProviderAbortedError extends ProviderError {
  override name = 'ProviderAbortedError';
  constructor(provider: string, options?: ProviderErrorOptions) {
    super(provider, 'aborted', 'aborted', options);
  }
}

export class CliExitError extends ProviderError {
  override name = 'CliExitError';
  constructor(
    provider: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stderrTail: string,
    options: ProviderErrorOptions = {},
  ) {
    const how =
      exitCode === null ? `was killed by ${signal ?? 'a signal'}` : `exited with code ${exitCode}`;
    const lastLine = stderrTail.trim().split('\n').pop();
    super(provider, 'exit', `'${command}' ${how}`, {
      detail: lastLine ? excerptOf(lastLine) : undefined,
      ...options,
    });
  }
}

export class CliOutputCapError extends ProviderError {
  override name = 'CliOutputCapError';
  constructor(
    provider: string,
    readonly limit: number,
    options?: ProviderErrorOptions,
  ) {
    super(provider, 'output_cap', `output exceeded ${limit} bytes`, options);
  }
}

export class CliSpawnError extends ProviderError {
  override name = 'CliSpawnError';
  constructor(
    provider: string,
    readonly command: string,
    options?: ProviderErrorOptions,
  ) {
    super(provider, 'spawn', `cannot spawn '${command}'`, options);
  }
}

/** The setting an answer went over: a provider's cap, the call's own maxTokens, or the transport's max_payload. */
export type AnswerCap = 'maxAnswerBytes' | 'maxAnswerTokens' | 'maxTokens' | 'max_payload';

/** An answer over a cap, stopped as it arrived (bytes) or refused once counted (tokens, a reply too big to send). */
export class ProviderAnswerCapError extends ProviderError {
  override name = 'ProviderAnswerCapError';
  constructor(
    provider: string,
    readonly setting: AnswerCap,
    readonly limit: number,
    /** What the answer had, when it was counted (tokens, a reply's bytes); absent when reading stopped at the cap. */
    readonly actual?: number,
    options?: ProviderErrorOptions,
  ) {
    super(provider, 'output_cap', answerCapText(provider, setting, limit, actual), options);
  }
}

function answerCapText(
  provider: string,
  setting: AnswerCap,
  limit: number,
  actual: number | undefined,
): string {
  const raise = `raise providers.${provider}.${setting} if it is expected`;
  switch (setting) {
    case 'maxAnswerBytes':
      return `answer of more than ${limit} bytes (maxAnswerBytes); ${raise}`;
    case 'maxAnswerTokens':
      return `answer of ${actual} completion tokens is over ${limit} (maxAnswerTokens); ${raise}`;
    case 'maxTokens':
      return `answer of ${actual} completion tokens is over the call's maxTokens (${limit}): the server did not honour max_tokens`;
    case 'max_payload':
      return `answer of ${actual} bytes does not fit the transport's max payload (${limit} bytes); lower providers.${provider}.maxAnswerBytes below it, or over NATS raise the server's max_payload`;
  }
}

/**
 * A prompt too big to send: over the provider's `maxPromptBytes`, or over the transport's max
 * payload once wrapped in the call. The same prompt is as big on every retry, so it is always
 * non-retryable: the mission ends at once with this message instead of restarting its agent.
 */
export class ProviderPromptCapError extends ProviderError {
  override name = 'ProviderPromptCapError';
  constructor(
    provider: string,
    readonly setting: 'maxPromptBytes' | 'max_payload',
    readonly limit: number,
    readonly actual: number,
    options?: ProviderErrorOptions,
  ) {
    const text =
      setting === 'maxPromptBytes'
        ? `prompt of ${actual} bytes is over maxPromptBytes (${limit}); shorten it or raise providers.${provider}.maxPromptBytes`
        : `call of ${actual} bytes does not fit the transport's max payload (${limit} bytes); shorten the prompt, or over NATS raise the server's max_payload`;
    super(provider, 'prompt_cap', text, options);
    this.nonRetryable = true;
  }
}

export const serializedProviderErrorSchema = z.object({
  name: z.string(),
  kind: z.enum(providerErrorKinds),
  message: z.string(),
  retryable: z.boolean(),
  /** Absent in messages from workers that predate it. */
  nonRetryable: z.boolean().optional(),
  provider: z.string(),
  status: z.number().optional(),
  timeoutMs: z.number().optional(),
  excerpt: z.string().optional(),
  command: z.string().optional(),
  exitCode: z.number().nullable().optional(),
  signal: z.string().nullable().optional(),
  stderrTail: z.string().optional(),
  limit: z.number().optional(),
  setting: z.string().optional(),
  actual: z.number().optional(),
});
export type SerializedProviderError = z.output<typeof serializedProviderErrorSchema>;

export function serializeProviderError(err: ProviderError): SerializedProviderError {
  const out: SerializedProviderError = {
    name: err.name,
    kind: err.kind,
    message: err.message,
    retryable: err.retryable,
    provider: err.provider,
  };
  if (err.nonRetryable) out.nonRetryable = true;
  if (err instanceof ProviderHttpError) out.status = err.status;
  if (err instanceof ProviderTimeoutError && err.timeoutMs !== undefined)
    out.timeoutMs = err.timeoutMs;
  if (err instanceof ProviderResponseError) out.excerpt = err.excerpt;
  if (err instanceof CliExitError) {
    Object.assign(out, {
      command: err.command,
      exitCode: err.exitCode,
      signal: err.signal,
      stderrTail: err.stderrTail,
    });
  }
  if (err instanceof CliOutputCapError) out.limit = err.limit;
  if (err instanceof CliSpawnError) out.command = err.command;
  if (err instanceof ProviderAnswerCapError || err instanceof ProviderPromptCapError) {
    Object.assign(out, {
      setting: err.setting,
      limit: err.limit,
      ...(err.actual !== undefined && { actual: err.actual }),
    });
  }
  return out;
}

/** Rebuilds the class the error had before it crossed the wire; the cause stays behind. */
export function deserializeProviderError(obj: SerializedProviderError): ProviderError {
  const p = obj.provider;
  const opts = { retryable: obj.retryable };
  let err: ProviderError;
  switch (obj.name) {
    case 'ProviderTimeoutError':
      err = new ProviderTimeoutError(p, obj.timeoutMs, opts);
      break;
    case 'ProviderRateLimitError':
      err = new ProviderRateLimitError(p, opts);
      break;
    case 'ProviderHttpError':
      err = new ProviderHttpError(p, obj.status ?? 0, opts);
      break;
    case 'ProviderResponseError':
      err = new ProviderResponseError(p, obj.excerpt ?? '', opts);
      break;
    case 'ProviderAbortedError':
      err = new ProviderAbortedError(p, opts);
      break;
    case 'CliExitError':
      err = new CliExitError(
        p,
        obj.command ?? '',
        obj.exitCode ?? null,
        obj.signal ?? null,
        obj.stderrTail ?? '',
        opts,
      );
      break;
    case 'CliOutputCapError':
      err = new CliOutputCapError(p, obj.limit ?? 0, opts);
      break;
    case 'CliSpawnError':
      err = new CliSpawnError(p, obj.command ?? '', opts);
      break;
    case 'ProviderAnswerCapError':
      err = new ProviderAnswerCapError(
        p,
        (obj.setting ?? 'maxAnswerBytes') as AnswerCap,
        obj.limit ?? 0,
        obj.actual,
        opts,
      );
      break;
    case 'ProviderPromptCapError':
      err = new ProviderPromptCapError(
        p,
        obj.setting === 'max_payload' ? 'max_payload' : 'maxPromptBytes',
        obj.limit ?? 0,
        obj.actual ?? 0,
        opts,
      );
      break;
    default:
      err = new ProviderError(p, obj.kind, '', opts);
  }
  err.message = obj.message;
  err.nonRetryable = obj.nonRetryable === true;
  return err;
}
