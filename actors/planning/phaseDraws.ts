/**
 * How a phase's answer is drawn from a model: one at a time past red flags (at most `resamples`
 * extra draws), or by MAKER's vote (first-to-ahead-by-k over the canonical JSON of the parsed
 * answers; red-flagged samples never vote). Both end in a `PhaseAnswerError` when no answer
 * holds, and pass a call's own error (a provider failing, a budget spent) through untouched.
 */
import { VoteTally } from '../maker/voteTally.js';
import { PhaseAnswerError } from './phaseAnswer.js';

export interface Draws<T> {
  value: T;
  samples: number;
  /** Red-flagged samples. */
  flagged: number;
  vote?: { k: number; margin: number; distinct: number };
}

export type Judge<T> = (text: string) => { ok: true; value: T } | { ok: false; reason: string };

/** Draws one at a time until an answer passes, at most `resamples` extra draws. */
export async function resample<T>(
  phase: string,
  path: string,
  draw: (i: number) => Promise<string>,
  judge: Judge<T>,
  resamples: number,
): Promise<Draws<T>> {
  let reason = '';
  for (let i = 0; i <= resamples; i++) {
    const judged = judge(await draw(i));
    if (judged.ok) return { value: judged.value, samples: i + 1, flagged: i };
    reason = judged.reason;
  }
  throw new PhaseAnswerError(phase, path, reason, resamples + 1);
}

/**
 * MAKER's vote: the first k samples in parallel, then one at a time, until one answer leads every
 * other by k. The first call that fails aborts the others and fails the vote.
 */
export async function voteOn<T>(
  phase: string,
  path: string,
  draw: (i: number, signal: AbortSignal) => Promise<string>,
  judge: Judge<T>,
  settings: { k: number; maxSamples: number },
  /** What two answers must share to count as the same vote. @default the whole answer (canonical JSON) */
  keyOf: (value: T) => string = canonicalJson,
): Promise<Draws<T>> {
  const tally = new VoteTally<T>();
  const abort = new AbortController();
  let drawn = 0;
  let flagged = 0;
  const one = async () => {
    const judged = judge(await draw(drawn++, abort.signal));
    if (!judged.ok) flagged++;
    else tally.add(keyOf(judged.value), judged.value);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(settings.k, settings.maxSamples) }, one));
    while (tally.winner(settings.k) === undefined && drawn < settings.maxSamples) await one();
  } catch (err) {
    abort.abort();
    throw err;
  }
  const winner = tally.winner(settings.k);
  if (winner === undefined) {
    throw new PhaseAnswerError(
      phase,
      path,
      `vote exhausted: no answer led by ${settings.k} within ${settings.maxSamples} samples`,
      drawn,
    );
  }
  const vote = {
    k: settings.k,
    margin: tally.margin,
    distinct: Object.keys(tally.tallies()).length,
  };
  return { value: tally.parseOf(winner)!, samples: drawn, flagged, vote };
}

/** JSON with object keys sorted at every level: equal answers, equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : v,
  );
}
