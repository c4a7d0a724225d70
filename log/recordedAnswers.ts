/**
 * Agents' answers as their `agent.call` records carry them (since 0.2), kept while their stage
 * has not finished: what a resumed stage replays instead of asking again.
 */
import type { LoggedEventOf } from './missionLogEvent.js';

/** An agent's answer as its `agent.call` recorded it: what a resume replays instead of asking. */
export interface RecordedAnswer {
  text: string;
  promptHash: string;
  usage: { promptTokens: number; completionTokens: number; totalTokens: number };
  costUsd: number;
  latencyMs: number;
  provider: string;
  model: string;
}

export function keepAnswer(
  answers: Map<string, RecordedAnswer>,
  e: LoggedEventOf<'agent.call'>,
): void {
  if (!e.ok || e.text === undefined || e.promptHash === undefined || e.path === undefined) return;
  answers.set(e.path, {
    text: e.text,
    promptHash: e.promptHash,
    usage: {
      promptTokens: e.usage?.promptTokens ?? 0,
      completionTokens: e.usage?.completionTokens ?? 0,
      totalTokens: e.usage?.totalTokens ?? 0,
    },
    costUsd: e.costUsd ?? 0,
    latencyMs: e.latencyMs ?? 0,
    provider: e.provider ?? '',
    model: e.model ?? '',
  });
}

/** A finished stage's answers are in its `stage.finished`: its agents' are not kept. */
export function forgetAnswers(
  answers: Map<string, RecordedAnswer>,
  stage: string,
  attempt: number,
): void {
  const under = `/stage/${attempt > 1 ? `${stage}@${attempt}` : stage}/`;
  for (const path of answers.keys()) if (path.includes(under)) answers.delete(path);
}
