/**
 * Any OpenAI-compatible chat completions API through the official `openai` SDK: OpenAI,
 * OpenRouter, Moonshot, vLLM, Ollama. The SDK does the retries (429, 5xx, connection errors, with
 * `retry-after` honoured); what survives them becomes a typed `ProviderError`. The API key is read
 * from the environment once, and redacted from every error message in case a server echoes it.
 */
import OpenAI from 'openai';
import { UserError } from '../../kernel/errors.js';
import type { OpenAIProviderConfig } from '../../config/providers.js';
import { cappedFetch } from './cappedFetch.js';
import {
  ProviderAbortedError,
  ProviderError,
  ProviderHttpError,
  ProviderRateLimitError,
  ProviderResponseError,
  ProviderTimeoutError,
} from './errors.js';
import type { CompletionRequest, CompletionResult, Provider, Usage } from './provider.js';
import { costOf, estimateUsage, promptText } from './usage.js';

/** The provider's API key from `env`; a UserError naming the variable when it is not set. */
export function openaiApiKey(
  id: string,
  config: Pick<OpenAIProviderConfig, 'apiKeyEnv'>,
  env: NodeJS.ProcessEnv,
): string {
  const apiKey = env[config.apiKeyEnv];
  if (!apiKey)
    throw new UserError(
      `providers.${id}.apiKeyEnv: environment variable '${config.apiKeyEnv}' is not set`,
    );
  return apiKey;
}

export class OpenAIProvider implements Provider {
  readonly kind = 'openai' as const;
  private readonly client: OpenAI;
  private readonly apiKey: string;

  constructor(
    readonly id: string,
    private readonly config: OpenAIProviderConfig,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const apiKey = openaiApiKey(id, config, env);
    this.apiKey = apiKey;
    this.client = new OpenAI({
      baseURL: config.baseURL,
      apiKey,
      timeout: config.timeoutMs,
      maxRetries: config.maxRetries,
      defaultHeaders: config.headers,
      // Bounds each response's body by maxAnswerBytes as it arrives, and by the timeout to its last byte.
      fetch: cappedFetch({
        provider: id,
        maxBytes: config.maxAnswerBytes,
        timeoutMs: config.timeoutMs,
      }),
      // Only the config and `env` speak for this provider, not the SDK's own environment lookups.
      organization: null,
      project: null,
    });
  }

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    if (signal?.aborted) throw new ProviderAbortedError(this.id, { cause: signal.reason });
    const model = request.model ?? this.config.model;
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [];
    if (request.system) messages.push({ role: 'system', content: request.system });
    messages.push({ role: 'user', content: request.prompt });
    const started = performance.now();
    const maxTokens = fewest(request.maxTokens, this.config.maxAnswerTokens);
    let raw: string;
    try {
      // The raw response, parsed here: a body that is not JSON is then ours to quote in the error.
      const response = await this.client.chat.completions
        .create(
          { model, messages, temperature: request.temperature, max_tokens: maxTokens },
          { signal },
        )
        .asResponse();
      raw = await response.text();
    } catch (err) {
      throw this.mapError(err, signal);
    }
    const latencyMs = Math.round(performance.now() - started);
    const body = parseJson(raw);
    const text = body === notJson ? undefined : contentOf(body);
    if (text === undefined) {
      const detail = body === notJson ? 'body is not json' : 'no choices[0].message.content';
      throw new ProviderResponseError(this.id, this.redact(raw), { detail });
    }
    const usage = usageOf(body) ?? estimateUsage(promptText(request), text);
    return {
      text,
      usage,
      costUsd: costOf(usage, this.config.prices),
      latencyMs,
      provider: this.id,
      model,
    };
  }

  private mapError(err: unknown, signal: AbortSignal | undefined): ProviderError {
    const id = this.id;
    if (err instanceof OpenAI.APIUserAbortError || signal?.aborted) {
      return new ProviderAbortedError(id, { cause: signal?.reason ?? err });
    }
    // The capped body's own errors (over maxAnswerBytes, still arriving at the timeout).
    if (err instanceof ProviderError) return err;
    if (err instanceof OpenAI.APIConnectionTimeoutError) {
      return new ProviderTimeoutError(id, this.config.timeoutMs, { cause: err });
    }
    if (err instanceof OpenAI.APIConnectionError) {
      const detail = this.redact(detailOf(err));
      return new ProviderError(id, 'server', 'connection failed', {
        detail,
        cause: this.safeCause(err),
      });
    }
    if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
      const detail = this.redact(detailOf(err));
      const cause = this.safeCause(err);
      if (err instanceof OpenAI.RateLimitError)
        return new ProviderRateLimitError(id, { detail, cause });
      return new ProviderHttpError(id, err.status, { detail, cause });
    }
    const message = err instanceof Error ? err.message : String(err);
    return new ProviderError(id, 'crash', 'unexpected failure', {
      detail: this.redact(message),
      cause: err,
    });
  }

  /** The SDK's error as a cause, unless the server echoed the key into it (logs print causes). */
  private safeCause(err: InstanceType<typeof OpenAI.APIError>): unknown {
    const echoed =
      err.message.includes(this.apiKey) || String(JSON.stringify(err.error)).includes(this.apiKey);
    return echoed ? undefined : err;
  }

  private redact(text: string): string {
    return text.split(this.apiKey).join('[redacted]');
  }
}

/** The server's own words: the body's `error.message` when it has one, else the SDK's message. */
function detailOf(err: InstanceType<typeof OpenAI.APIError>): string {
  const body = err.error as { message?: unknown } | undefined;
  if (body && typeof body.message === 'string') return body.message;
  const status = typeof err.status === 'number' ? `${err.status} ` : '';
  return err.message.startsWith(status) ? err.message.slice(status.length) : err.message;
}

/** The smaller of two optional limits. */
function fewest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

const notJson = Symbol('not json');

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return notJson;
  }
}

function contentOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const choices = (body as { choices?: unknown }).choices;
  if (!Array.isArray(choices)) return undefined;
  const content = (choices[0] as { message?: { content?: unknown } } | undefined)?.message?.content;
  return typeof content === 'string' ? content : undefined;
}

/** The usage the server reported, or undefined when it reported none (some local servers). */
function usageOf(body: unknown): Usage | undefined {
  const usage = (
    body as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null }
  ).usage;
  const promptTokens = usage?.prompt_tokens;
  const completionTokens = usage?.completion_tokens;
  if (typeof promptTokens !== 'number' || typeof completionTokens !== 'number') return undefined;
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}
