export type { CompletionRequest, CompletionResult, Provider, Usage } from './provider.js';
export { createProvider, type ProviderDeps } from './createProvider.js';
export {
  checkAnswer,
  checkPromptSize,
  oversizedReply,
  promptBytes,
  replyTooLargeError,
  withCallCaps,
  REPLY_ENVELOPE_BYTES,
} from './callCaps.js';
export { cappedFetch, type CappedFetchOptions } from './cappedFetch.js';
export { OpenAIProvider, openaiApiKey } from './openai.js';
export { CliProvider, KILL_GRACE_MS, STDERR_TAIL_BYTES, allowedEnv } from './cli.js';
export { ScriptedProvider, scriptedError } from './scripted.js';
export { SimulatedProvider, sampleLatency } from './simulated.js';
export { mulberry32, normal, pick, type Random } from './random.js';
export { delay, throwIfAborted } from './delay.js';
export { costOf, estimateUsage, promptText } from './usage.js';
export {
  CliExitError,
  CliOutputCapError,
  CliSpawnError,
  ProviderAbortedError,
  ProviderAnswerCapError,
  ProviderError,
  ProviderHttpError,
  ProviderPromptCapError,
  ProviderRateLimitError,
  ProviderResponseError,
  ProviderTimeoutError,
  deserializeProviderError,
  excerptOf,
  providerErrorKinds,
  serializeProviderError,
  serializedProviderErrorSchema,
  type AnswerCap,
  type ProviderErrorKind,
  type ProviderErrorOptions,
  type SerializedProviderError,
} from './errors.js';
