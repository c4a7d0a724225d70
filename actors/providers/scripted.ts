/**
 * A provider that answers from a script in the config: offline missions and tests. Responses are
 * consumed in order by every call, whoever makes it (one shared cursor), so a script reads as the
 * conversation the mission will have.
 */
import { systemClock, type Clock } from '../../kernel/clock.js';
import type {
  ScriptedErrorKind,
  ScriptedProviderConfig,
  ScriptedResponse,
} from '../../config/providers.js';
import { delay, throwIfAborted } from './delay.js';
import {
  ProviderError,
  ProviderHttpError,
  ProviderRateLimitError,
  ProviderResponseError,
  ProviderTimeoutError,
} from './errors.js';
import type { CompletionRequest, CompletionResult, Provider } from './provider.js';
import { estimateUsage, promptText } from './usage.js';

export class ScriptedProvider implements Provider {
  readonly kind = 'scripted' as const;
  private cursor = 0;
  private count = 0;

  constructor(
    readonly id: string,
    private readonly config: ScriptedProviderConfig,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Calls made so far, including failed ones. */
  get calls(): number {
    return this.count;
  }

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    throwIfAborted(this.id, signal);
    this.count++;
    const started = this.clock.now();
    const entry = this.next();
    const response = typeof entry === 'string' ? { text: entry } : entry;
    await delay(this.id, this.clock, response.delayMs ?? 0, signal);
    if ('error' in response)
      throw scriptedError(this.id, response.errorKind, response.error, response.status);
    return {
      text: response.text,
      usage: estimateUsage(promptText(request), response.text),
      costUsd: 0,
      latencyMs: this.clock.now() - started,
      provider: this.id,
      model: request.model ?? this.config.model,
    };
  }

  private next(): ScriptedResponse {
    const { responses, onExhausted } = this.config;
    if (this.cursor >= responses.length) {
      if (onExhausted === 'error') {
        throw new ProviderError(
          this.id,
          'crash',
          `script exhausted after ${responses.length} responses`,
          {
            retryable: false,
          },
        );
      }
      this.cursor = onExhausted === 'cycle' ? 0 : responses.length - 1;
    }
    const entry = responses[this.cursor++];
    if (entry === undefined)
      throw new Error('unreachable: the schema requires at least one response');
    return entry;
  }
}

/** The typed error a scripted error entry stands for; its text becomes the message's detail. */
export function scriptedError(
  provider: string,
  kind: ScriptedErrorKind,
  text: string,
  status = 500,
): ProviderError {
  const options = { detail: text };
  switch (kind) {
    case 'timeout':
      return new ProviderTimeoutError(provider, undefined, options);
    case 'rate_limit':
      return new ProviderRateLimitError(provider, options);
    case 'server':
      return new ProviderHttpError(provider, status, options);
    case 'malformed':
      return new ProviderResponseError(provider, text);
    case 'crash':
      return new ProviderError(provider, 'crash', 'crashed', options);
  }
}
