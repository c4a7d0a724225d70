/**
 * What the planner's phases answer, as zod schemas: an answer that does not parse is a red flag
 * (drawn again, never repaired). Objects are lenient about extra keys (models add them) and
 * strict about the keys that matter. The MasterPlan is what the task graph is compiled from.
 */
import { z } from 'zod';

const text = z.string().min(1);
const list = z.array(text);

export const deconstructionSchema = z.object({
  problem: text,
  constraints: list,
  /** Assumptions that could be wrong. */
  assumptions: list,
  minimalSolution: text,
});

export const approachSchema = z.object({
  approach: text,
  summary: text,
  steps: list.min(1),
  risks: list,
});

export const stressTestSchema = z.object({
  approach: text,
  weaknesses: list,
  /** 0 (useless) to 10 (sound). */
  score: z.number().min(0).max(10),
  /** A flaw that sinks the approach. */
  fatal: z.boolean(),
});

export const planStepSchema = z.object({
  /** Letters, digits, `_` and `-`: it becomes a path segment. */
  id: z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, _ or - only'),
  title: text,
  /** What the agent running the task is asked. */
  prompt: text,
  dependsOn: z.array(z.string()).default([]),
  /** Capabilities the agent needs (matched against `agents[].capabilities`). */
  capabilities: z.array(z.string()).default([]),
});

export const masterPlanSchema = z.object({
  steps: z.array(planStepSchema).min(1),
  confidence: z.number().min(0).max(1),
  thoughtChain: list.default([]),
});

export const premortemSchema = z.object({
  /** Flaws that would make the plan fail: non-empty sends the plan back for revision. */
  fatalFlaws: list,
  risks: list.default([]),
});

export const reviewSchema = z.object({
  decision: z.enum(['continue', 'revise', 'abort']),
  reason: text,
});

export type Deconstruction = z.output<typeof deconstructionSchema>;
export type Approach = z.output<typeof approachSchema>;
export type StressTest = z.output<typeof stressTestSchema>;
export type PlanStep = z.output<typeof planStepSchema>;
export type MasterPlan = z.output<typeof masterPlanSchema>;
export type Premortem = z.output<typeof premortemSchema>;
export type Review = z.output<typeof reviewSchema>;
