/**
 * The caps on a call's size that every provider kind has, checked where the provider runs (in
 * process, or on the remote worker that serves it): the prompt before the call, the answer's
 * completion tokens and bytes after it. An openai answer is also cut as it arrives (see
 * `cappedFetch.ts`) and a CLI's stdout by its `maxOutputBytes`, so neither sits whole in memory
 * first; what a scripted or simulated provider answers is in memory already, so counting it after
 * is enough.
 */
import type { ProviderConfig } from '../../config/providers.js';
import type { PayloadTooLargeError } from '../../transport/errors.js';
import { ProviderAnswerCapError, ProviderPromptCapError } from './errors.js';
import type { CompletionRequest, CompletionResult, Provider } from './provider.js';

/** UTF-8 bytes of what the model is sent: the prompt and the role (system prompt). */
export function promptBytes(request: Pick<CompletionRequest, 'prompt' | 'system'>): number {
  return (
    Buffer.byteLength(request.prompt, 'utf8') +
    (request.system ? Buffer.byteLength(request.system, 'utf8') : 0)
  );
}

/** Throws the non-retryable ProviderPromptCapError when the prompt and role pass `limit` bytes. */
export function checkPromptSize(
  provider: string,
  request: Pick<CompletionRequest, 'prompt' | 'system'>,
  limit: number,
): void {
  // A UTF-16 unit is at most 3 UTF-8 bytes: count exactly only when it could be over.
  if ((request.prompt.length + (request.system?.length ?? 0)) * 3 <= limit) return;
  const bytes = promptBytes(request);
  if (bytes > limit) throw new ProviderPromptCapError(provider, 'maxPromptBytes', limit, bytes);
}

/** Throws ProviderAnswerCapError for an answer over the provider's caps or, when reported, the call's maxTokens. */
export function checkAnswer(
  provider: string,
  config: ProviderConfig,
  request: CompletionRequest,
  result: CompletionResult,
): void {
  const tokens = result.usage.completionTokens;
  const { maxAnswerTokens } = config;
  if (maxAnswerTokens !== undefined && tokens > maxAnswerTokens)
    throw new ProviderAnswerCapError(provider, 'maxAnswerTokens', maxAnswerTokens, tokens);
  // An estimate is not the model's count: only a server's own report says it ignored max_tokens.
  if (!result.usage.estimated && request.maxTokens !== undefined && tokens > request.maxTokens) {
    throw new ProviderAnswerCapError(provider, 'maxTokens', request.maxTokens, tokens);
  }
  const limit = config.kind === 'cli' ? undefined : config.maxAnswerBytes;
  if (
    limit !== undefined &&
    result.text.length * 3 > limit &&
    Buffer.byteLength(result.text, 'utf8') > limit
  ) {
    throw new ProviderAnswerCapError(provider, 'maxAnswerBytes', limit);
  }
}

/** `provider` with its config's caps checked around every call (the same instance, as `withNonRetryable`). */
export function withCallCaps(provider: Provider, config: ProviderConfig): Provider {
  const complete = provider.complete.bind(provider);
  provider.complete = async (request, signal) => {
    checkPromptSize(provider.id, request, config.maxPromptBytes);
    const result = await complete(request, signal);
    checkAnswer(provider.id, config, request, result);
    return result;
  };
  return provider;
}

/**
 * What a provider service answers instead of a reply the transport refused for its size. The same
 * call answers as long again, so it is non-retryable, whatever the provider's own set says.
 */
export function replyTooLargeError(
  provider: string,
  size: Pick<PayloadTooLargeError, 'bytes' | 'limit'>,
): ProviderAnswerCapError {
  const error = new ProviderAnswerCapError(provider, 'max_payload', size.limit, size.bytes);
  error.nonRetryable = true;
  return error;
}

/** Room kept in a message for what wraps a reply on the durable path: the result's envelope, its key, headers. */
export const REPLY_ENVELOPE_BYTES = 4096;

/**
 * For a reply sent where a refusal reaches no caller (a durable result, recorded and published
 * by the work queue): the error to answer instead when the reply, wrapped, would not fit
 * `maxPayload`, or undefined when it fits.
 */
export function oversizedReply(
  provider: string,
  reply: unknown,
  maxPayload: number,
): ProviderAnswerCapError | undefined {
  const bytes = Buffer.byteLength(JSON.stringify(reply), 'utf8');
  return bytes + REPLY_ENVELOPE_BYTES > maxPayload
    ? replyTooLargeError(provider, { bytes, limit: maxPayload })
    : undefined;
}
