/**
 * A plan stage: the GeniusLoop's phases, the plan compiled into tasks and revised, the monitor's
 * verdicts, and the blackboard the agents share.
 */
import { z } from 'zod';

const phase = {
  path: z.string(),
  phase: z.string(),
  /** Which of a parallel phase's calls (an approach's name). */
  label: z.string().optional(),
  /** The prompt used, `<name>@v<version>`. */
  prompt: z.string(),
  samples: z.number(),
};

export const geniusPhase = z.object({
  type: z.literal('genius.phase'),
  ...phase,
  flagged: z.number(),
  vote: z.unknown().optional(),
  output: z.unknown(),
  /** sha256 of the prompt, first 16 hex: a resumed stage replays `output` for it only (since 0.2). */
  promptHash: z.string().optional(),
});

export const geniusText = z.object({
  type: z.literal('genius.text'),
  ...phase,
  flagged: z.number(),
  chars: z.number(),
  /** The answer, which a resumed stage replays for the prompt of `promptHash` (since 0.2). */
  text: z.string().optional(),
  promptHash: z.string().optional(),
});

export const geniusPhaseFailed = z.object({
  type: z.literal('genius.phase.failed'),
  ...phase,
  reason: z.string(),
});

export const planCompiled = z.object({
  type: z.literal('plan.compiled'),
  path: z.string(),
  tasks: z.array(z.object({ id: z.string(), agent: z.string(), dependsOn: z.array(z.string()) })),
  levels: z.array(z.array(z.string())),
  /** The plan itself: what a resumed mission goes on from. */
  plan: z.unknown().optional(),
});

export const planRejected = z.object({
  type: z.literal('plan.rejected'),
  path: z.string(),
  error: z.string(),
});

export const planRevised = z.object({
  type: z.literal('plan.revised'),
  path: z.string(),
  replan: z.number(),
  failed: z.array(z.string()),
});

const verdict = {
  path: z.string(),
  reason: z.string(),
  message: z.string(),
  /** `limit` (a budget or SLA limit hit) or `reviewer` (the monitor's review). */
  by: z.string(),
};

export const monitorAbort = z.object({ type: z.literal('monitor.abort'), ...verdict });
export const monitorRevise = z.object({ type: z.literal('monitor.revise'), ...verdict });
export const monitorReviewFailed = z.object({
  type: z.literal('monitor.review_failed'),
  path: z.string(),
  error: z.string(),
});

const task = { path: z.string(), task: z.string() };
export const taskStarted = z.object({
  type: z.literal('task.started'),
  ...task,
  agent: z.string(),
});
export const taskFinished = z.object({
  type: z.literal('task.finished'),
  ...task,
  output: z.string(),
});
export const taskFailed = z.object({ type: z.literal('task.failed'), ...task, error: z.string() });
export const taskBlocked = z.object({
  type: z.literal('task.blocked'),
  ...task,
  dependency: z.string(),
});

export const blackboardEntry = z.object({
  type: z.literal('blackboard.entry'),
  path: z.string(),
  entrySeq: z.number(),
  agent: z.string(),
  kind: z.string(),
  data: z.string(),
});

export const blackboardCompressed = z.object({
  type: z.literal('blackboard.compressed'),
  path: z.string(),
  replaced: z.array(z.number()),
  summary: z.string(),
  kind: z.string(),
});

export const blackboardSynthesisFailed = z.object({
  type: z.literal('blackboard.synthesis_failed'),
  path: z.string(),
  error: z.string(),
});

export const blackboardCompactionFailed = z.object({
  type: z.literal('blackboard.compaction_failed'),
  path: z.string(),
  error: z.string(),
});

export const planEvents = [
  geniusPhase,
  geniusText,
  geniusPhaseFailed,
  planCompiled,
  planRejected,
  planRevised,
  monitorAbort,
  monitorRevise,
  monitorReviewFailed,
  taskStarted,
  taskFinished,
  taskFailed,
  taskBlocked,
  blackboardEntry,
  blackboardCompressed,
  blackboardSynthesisFailed,
  blackboardCompactionFailed,
] as const;
