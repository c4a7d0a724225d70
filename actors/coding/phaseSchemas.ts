/**
 * What each phase of the coding workflow answers, as zod schemas: a model's answer that does not
 * parse is red-flagged and drawn again (actors/planning/phaseDraws.ts), never repaired. Every
 * phase that a person reviews carries a report for its gate: a summary, the key findings, the
 * risks, review questions with a priority, and a preview of the next phase, in the languages the
 * workflow asks for (the model writes them; Maestro renders them).
 */
import { z } from 'zod';

const score = z.number().min(0).max(1);
const text = z.string().min(1);

export const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;

export const reportBodySchema = z.object({
  summary: text,
  findings: z.array(text).default([]),
  risks: z.array(text).default([]),
  questions: z.array(z.object({ question: text, priority: z.enum(PRIORITIES) })).default([]),
  /** What the next phase will do with this. */
  next: z.string().default(''),
});
export type ReportBody = z.output<typeof reportBodySchema>;

/** The report in the first language, and in the others by language code. */
export const reportSchema = reportBodySchema.extend({
  translations: z.record(z.string(), reportBodySchema).optional(),
});
export type PhaseReport = z.output<typeof reportSchema>;

export const analysisSchema = z.object({
  observations: z
    .array(z.object({ what: text, evidence: text.describe('file:line, or a test name') }))
    .min(1),
  constraints: z.array(text).default([]),
  /** How to reproduce the failure, and what it looks like. */
  failure: z.object({ reproduce: text, symptom: text }),
  /** The task's features (each 0–1), for the architecture selection. */
  features: z.object({
    decomposability: score,
    sequentialDependency: score,
    toolComplexity: score,
  }),
  report: reportSchema,
});
export type Analysis = z.output<typeof analysisSchema>;

export const hypothesesSchema = z.object({
  hypotheses: z
    .array(
      z.object({
        statement: text,
        /** How to falsify it, and what that costs. */
        experiment: text,
        cost: z.enum(['low', 'medium', 'high']),
        /** The observations it explains, in words or by number. */
        explains: z.array(text).default([]),
      }),
    )
    .min(1),
  report: reportSchema,
});
export type Hypotheses = z.output<typeof hypothesesSchema>;

/** An edit in a format the workspace accepts (workspace/types.ts `Edit`). */
export const editSchema = z.discriminatedUnion('format', [
  z.object({ format: z.literal('unified_diff'), patch: text }),
  z.object({ format: z.literal('search_replace'), text: text }),
  z.object({
    format: z.literal('whole_file'),
    files: z.array(z.object({ path: text, content: z.string().nullable() })).min(1),
  }),
]);

export const patchCandidateSchema = z.object({
  reasoning: text,
  edit: editSchema,
});
export type PatchCandidate = z.output<typeof patchCandidateSchema>;

/** The judge of candidates still tied after every deterministic step. */
export const judgmentSchema = z.object({ winner: text, reason: text });
export type Judgment = z.output<typeof judgmentSchema>;

export const debugStepSchema = z.object({
  /** What kind of failure this is (`assertion`, `type_error`, `timeout`, …). */
  label: text,
  /** What to try next, and why. */
  experiment: text,
  /** A fix to try now; none when the agent needs the experiment first. */
  fix: patchCandidateSchema.nullable().default(null),
  report: reportSchema,
});
export type DebugStep = z.output<typeof debugStepSchema>;

export const improvementSchema = z.object({
  entries: z
    .array(
      z.object({
        kind: z.enum(['playbook', 'checker', 'prompt']),
        title: text,
        body: text,
      }),
    )
    .default([]),
  report: reportSchema,
});
export type Improvement = z.output<typeof improvementSchema>;
