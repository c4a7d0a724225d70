/**
 * The red-flagger: a sample that is too long, fails its parser or matches a forbidden pattern
 * is discarded and counted, never repaired and never voted. MAKER's finding is that such
 * outputs correlate with wrong ones, so throwing them away lowers the error rate of the vote.
 */
import { isParseFailure, type StepParse, type StepParseFailure } from '../tasks/stepTask.js';

export interface RedFlagConfig {
  /** Longest response accepted, in characters. */
  maxChars?: number;
  /** Longest response accepted, in completion tokens (as reported, or estimated as chars / 4). */
  maxTokens?: number;
  /** Regular expressions (sources); a response matching any is flagged. */
  patterns?: string[];
}

export type RedFlagReason = 'too_long' | 'parse' | 'pattern' | 'oracle';

export type Judged<S> =
  | { ok: true; parse: StepParse<S> }
  | { ok: false; reason: RedFlagReason; detail: string };

export type RedFlagger<S> = (text: string, state: S, completionTokens?: number) => Judged<S>;

export function createRedFlagger<S>(
  config: RedFlagConfig,
  parse: (text: string, state: S) => StepParse<S> | StepParseFailure,
): RedFlagger<S> {
  const patterns = (config.patterns ?? []).map((p) => new RegExp(p));
  return (text, state, completionTokens) => {
    if (config.maxChars !== undefined && text.length > config.maxChars) {
      return { ok: false, reason: 'too_long', detail: `${text.length} chars > ${config.maxChars}` };
    }
    if (config.maxTokens !== undefined) {
      const tokens = completionTokens ?? Math.ceil(text.length / 4);
      if (tokens > config.maxTokens)
        return { ok: false, reason: 'too_long', detail: `${tokens} tokens > ${config.maxTokens}` };
    }
    for (const p of patterns)
      if (p.test(text)) return { ok: false, reason: 'pattern', detail: `matches /${p.source}/` };
    const parsed = parse(text, state);
    if (isParseFailure(parsed)) return { ok: false, reason: 'parse', detail: parsed.error };
    return { ok: true, parse: parsed };
  };
}
