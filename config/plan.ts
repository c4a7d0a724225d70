/**
 * A plan stage: instead of a fixed prompt, a goal that the planner agent thinks through (the
 * GeniusLoop: deconstruct, simulate approaches, stress-test, synthesize, premortem, revise), a
 * plan compiled into a graph of tasks run by agents chosen by capability, a monitor against the
 * SLA and budgets, replanning when tasks fail, and a final synthesis, which is the stage's output.
 */
import { z } from 'zod';

const idSchema = z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, _ or - only');

export const DEFAULT_APPROACHES = ['brute_force', 'elegant', 'resilient', 'cheap', 'fast'] as const;

export const planMonitorSchema = z.strictObject({
  /** The agent asked, on each tick, whether to continue, revise or abort; none: only the hard limits. */
  reviewer: idSchema.optional(),
  /** @default 30000 */
  intervalMs: z.int().positive().default(30_000),
  /** The stage's SLA: past this, the run is aborted without asking anyone. @default none */
  slaMs: z.int().positive().optional(),
});

export const blackboardConfigSchema = z.strictObject({
  /** Estimated tokens (characters / 4) the board may hold before its oldest entries are compressed. @default 4000 */
  tokenBudget: z.int().positive().default(4000),
  /** The agent that compresses old entries into a summary; without one, the oldest entries are dropped. */
  summarizer: idSchema.optional(),
});

export const planSchema = z.strictObject({
  /** What the plan is for. `{{input}}` and `{{previous}}` as in stage prompts (any other `{{name}}` is refused). */
  goal: z.string().min(1),
  /** The agent that thinks: every GeniusLoop phase and every replan. */
  planner: idSchema,
  /** The approaches simulated in parallel. @default brute_force, elegant, resilient, cheap, fast */
  approaches: z
    .array(idSchema)
    .min(1)
    .default([...DEFAULT_APPROACHES]),
  /** Premortem → revise rounds while fatal flaws remain, then the plan goes as it is. @default 2 */
  maxRevisions: z.int().nonnegative().default(2),
  /** An answer that fails its phase's schema is red-flagged and drawn again, at most this many times. @default 2 */
  resamples: z.int().nonnegative().default(2),
  /** Decide each phase's answer by MAKER voting (first-to-ahead-by-k over the parsed answer). */
  vote: z
    .strictObject({ k: z.int().min(1), maxSamples: z.int().positive().default(10) })
    .optional(),
  /** Prompt versions to use instead of the newest, by phase (`{ synthesize: 1 }`). */
  promptVersions: z.record(z.string(), z.int().positive()).optional(),
  /** Tasks running at once, at most. @default 4 */
  maxParallel: z.int().positive().default(4),
  /** Restarts of a failing task within periodMs before it counts as failed. @default 1 in 5000 ms */
  taskIntensity: z.int().nonnegative().default(1),
  taskPeriodMs: z.int().positive().default(5000),
  monitor: planMonitorSchema.default(() => planMonitorSchema.parse({})),
  /** Replans after tasks failed (finished tasks are kept). @default 2 */
  maxReplans: z.int().nonnegative().default(2),
  /** Writes the final synthesis. @default the planner */
  synthesizer: idSchema.optional(),
  blackboard: blackboardConfigSchema.default(() => blackboardConfigSchema.parse({})),
});

export type PlanConfig = z.output<typeof planSchema>;
export type PlanMonitorConfig = z.output<typeof planMonitorSchema>;
export type BlackboardConfig = z.output<typeof blackboardConfigSchema>;
