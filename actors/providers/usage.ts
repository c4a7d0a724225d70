/** Token usage and cost arithmetic shared by the providers. */
import type { Prices } from '../../config/providers.js';
import type { Usage } from './provider.js';

/** Usage guessed from text length, about four characters a token, for providers that report none. */
export function estimateUsage(promptText: string, completionText: string): Usage {
  const promptTokens = Math.ceil(promptText.length / 4);
  const completionTokens = Math.ceil(completionText.length / 4);
  return {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    estimated: true,
  };
}

/** US dollars for a call, from prices per million tokens. */
export function costOf(usage: Usage, prices: Prices): number {
  return (
    (usage.promptTokens / 1e6) * prices.inputPerMTok +
    (usage.completionTokens / 1e6) * prices.outputPerMTok
  );
}

/** The text a prompt-only provider sees: the system prompt, if any, then the prompt. */
export function promptText(request: { system?: string; prompt: string }): string {
  return request.system ? `${request.system}\n\n${request.prompt}` : request.prompt;
}
