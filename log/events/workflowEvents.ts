/**
 * The coding workflow's decisions (since 0.2): each candidate tried in the implement or debug
 * phase, with its evidence (did it apply, what its sandboxed checks said), and the selection
 * that chose among them, step by step (who was dropped, why). The phases' answers themselves are
 * `genius.phase` events, and each phase's output is its stage's `stage.finished`.
 */
import { z } from 'zod';

const check = z.object({
  ok: z.boolean(),
  exitCode: z.number().nullable(),
  killed: z.string().optional(),
  passed: z.number().optional(),
  failed: z.number().optional(),
  skipped: z.number().optional(),
  durationMs: z.number().optional(),
});

export const candidateEvidenceSchema = z.object({
  id: z.string(),
  source: z.string(),
  flagged: z.boolean().optional(),
  apply: z.union([
    z.object({
      ok: z.literal(true),
      stats: z.object({ files: z.number(), added: z.number(), removed: z.number() }),
      diff: z.string(),
      hash: z.string(),
    }),
    z.object({ ok: z.literal(false), reason: z.string(), detail: z.string() }),
  ]),
  test: check.optional(),
  lint: check.optional(),
  typecheck: check.optional(),
});

const step = z.object({
  step: z.string(),
  kept: z.array(z.string()),
  dropped: z.array(z.object({ id: z.string(), why: z.string() })),
  note: z.string().optional(),
});

export const workflowCandidate = z.object({
  type: z.literal('workflow.candidate'),
  /** The phase stage's path (`mission/<id>/stage/<name>.<phase>/phase/<phase>`). */
  path: z.string(),
  evidence: candidateEvidenceSchema,
});

export const workflowSelection = z.object({
  type: z.literal('workflow.selection'),
  path: z.string(),
  selection: z.union([
    z.object({ outcome: z.literal('selected'), chosen: z.string(), steps: z.array(step) }),
    z.object({ outcome: z.literal('none_pass'), steps: z.array(step) }),
    z.object({ outcome: z.literal('tied'), tied: z.array(z.string()), steps: z.array(step) }),
  ]),
});

/** The topology a phase runs with, and why (the architecture selection's rule and inputs). */
export const workflowArchitecture = z.object({
  type: z.literal('workflow.architecture'),
  path: z.string(),
  stage: z.string(),
  topology: z.string(),
  rule: z.string(),
  reason: z.string(),
  /** How many agents it ran with. */
  agents: z.number(),
  inputs: z.unknown(),
});

export const workflowEvents = [workflowCandidate, workflowSelection, workflowArchitecture] as const;
