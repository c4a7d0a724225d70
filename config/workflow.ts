/**
 * A workflow stage: a bug or a change request taken through analyze → hypothesize → implement →
 * debug → improve on the mission's workspace, each phase ended by a durable approval gate. The
 * mission runs each phase as a stage of its own (`<stage>.<phase>`, machines/workflowStages.ts),
 * so every phase is resumed, revised and gated like any other stage.
 */
import { z } from 'zod';
import { approvalSchema } from './approval.js';

const idSchema = z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, _ or - only');

export const WORKFLOW_PHASES = ['analyze', 'hypothesize', 'implement', 'debug', 'improve'] as const;
export type WorkflowPhase = (typeof WORKFLOW_PHASES)[number];
export const workflowPhaseSchema = z.enum(WORKFLOW_PHASES);
/** A phase, or `apply`: Maestro's own step that writes the approved patch to the user's tree. */
export type WorkflowStep = WorkflowPhase | 'apply';

/** Debug's iterations, at most (Kim et al.: one agent, bounded; the fifth escalates). */
export const MAX_DEBUG_ITERATIONS = 5;

const gateFlags = z.strictObject(
  Object.fromEntries(WORKFLOW_PHASES.map((p) => [p, z.boolean().optional()])) as Record<
    WorkflowPhase,
    z.ZodOptional<z.ZodBoolean>
  >,
);

export const workflowSchema = z.strictObject({
  /** The bug or the change, in words. `{{input}}` is the mission's input, as in stage prompts. */
  task: z.string().min(1),
  /** The agent of analyze, hypothesize, debug and improve (one agent: they are sequential). */
  agent: idSchema,
  /**
   * Who writes the implement phase's candidates, taken in turn (a `cli` provider's agent edits its
   * own worktree). @default [agent]
   */
  implementers: z.array(idSchema).min(1, 'expected at least 1 agent').optional(),
  /**
   * How implement's candidates are arranged: `auto` asks the architecture selection (Kim et al.'s
   * rules, with analyze's task features and this repository's recorded outcomes), `single` is one
   * agent's one try, `independent` all `candidates` in parallel. @default 'auto'
   */
  architecture: z.enum(['auto', 'single', 'independent']).default('auto'),
  /** The task family its outcomes are recorded under (`maestro arch stats`). @default the stage's name */
  family: idSchema.optional(),
  /**
   * Candidates still tied after the tests, lint, typecheck and size: the workflow's agent judges;
   * with `vote`, its judgment is decided by MAKER voting (first to lead by k). @default one judgment
   */
  judge: z
    .strictObject({
      vote: z.strictObject({ k: z.int().min(1), maxSamples: z.int().positive().default(10) }),
    })
    .optional(),
  /**
   * How many candidates must make the same change (by normalized diff) before it is trusted: a
   * green change no other candidate made is then unconfirmed (errors rarely agree, fixes do).
   * Never more than the candidates tried. @default 1
   */
  agreement: z.int().min(1).max(16).default(1),
  /** Candidates written in parallel, each applied and verified in its own worktree. @default 3 */
  candidates: z.int().min(1).max(16).default(3),
  /** The phases run, in this order whatever order they are written in. @default all five */
  phases: z
    .array(workflowPhaseSchema)
    .min(1, 'expected at least 1 phase')
    .default([...WORKFLOW_PHASES]),
  /**
   * The gates after each phase: `false` turns them all off (a scripted run), or per phase
   * (`{debug: false}`). @default every phase gated
   */
  gates: z.union([z.boolean(), gateFlags]).default(true),
  /** Each gate's timeout and revisions (reject with feedback runs the phase again). */
  approval: approvalSchema.default(() => approvalSchema.parse({})),
  /** Debug's iterations before it escalates to a person. @default 5 */
  debugIterations: z.int().min(1).max(MAX_DEBUG_ITERATIONS).default(MAX_DEBUG_ITERATIONS),
  /**
   * Decide the answers of analyze, hypothesize, debug and improve by MAKER voting (first to lead
   * by k, on what each phase decides: see actors/coding/phaseVotes.ts), not by one sample.
   */
  vote: z
    .strictObject({ k: z.int().min(1), maxSamples: z.int().positive().default(10) })
    .optional(),
  /** An answer that fails its phase's schema is red-flagged and drawn again, at most this many times. @default 2 */
  resamples: z.int().nonnegative().default(2),
  /** The languages the gate's reports are written in (the model writes them). @default ['en'] */
  languages: z
    .array(z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'expected a language code like en or ko'))
    .min(1)
    .default(['en']),
  /** Prompt versions to use instead of the newest, by prompt name. */
  promptVersions: z.record(z.string(), z.int().positive()).optional(),
});

export type WorkflowConfig = z.output<typeof workflowSchema>;

/** Whether `phase` of `workflow` ends at a gate. */
export function phaseGated(workflow: WorkflowConfig, phase: WorkflowPhase): boolean {
  const g = workflow.gates;
  return typeof g === 'boolean' ? g : (g[phase] ?? true);
}
