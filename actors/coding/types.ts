/**
 * What the coding workflow knows of a candidate patch once it has been tried: whether it applied
 * in its own worktree, and what the sandboxed checks said. The selection engine (selection.ts)
 * reads only this, so it is a pure function of the evidence, and the evidence is what the event
 * log and the gate's report show.
 */
import type { EditStats } from '../../workspace/types.js';

/** One sandboxed check (test, lint, typecheck) of a candidate. */
export interface CheckOutcome {
  /** Exit 0 and not killed. */
  ok: boolean;
  exitCode: number | null;
  /** Why Maestro stopped it (timeout, output_cap, memory, aborted). */
  killed?: string;
  /** Test counts, where the runner is known (node:test, vitest, jest, pytest). */
  passed?: number;
  failed?: number;
  skipped?: number;
  durationMs?: number;
}

export type ApplyOutcome =
  | {
      ok: true;
      stats: EditStats;
      /** The unified diff of the candidate against its base (`git diff`). */
      diff: string;
      /** sha256 (hex) of `diff`. */
      hash: string;
    }
  | {
      ok: false;
      /** An `EditFailureReason` (`no_op`, `hunk_mismatch`, `blocked_path`, …) or `malformed`. */
      reason: string;
      detail: string;
    };

export interface CandidateEvidence {
  /** Stable within a stage: `c1`, `c2`, … */
  id: string;
  /** Who wrote it: `agent/<id>#<sample>` or `cli/<provider>`. */
  source: string;
  /** Red-flagged (its answer failed the implement schema): never applied, never chosen. */
  flagged?: boolean;
  apply: ApplyOutcome;
  /** Absent when it did not apply (nothing to run) or the workspace has no such command. */
  test?: CheckOutcome;
  lint?: CheckOutcome;
  typecheck?: CheckOutcome;
}

/** The steps of the selection, in the order they run. */
export type SelectionStepName =
  | 'flagged'
  | 'apply'
  | 'tests'
  | 'agreement'
  | 'most_passed'
  | 'cluster'
  | 'lint'
  | 'typecheck'
  | 'size'
  | 'judge'
  | 'vote';

/** One step's evidence: who went on, who was dropped and why. */
export interface SelectionStep {
  step: SelectionStepName;
  kept: string[];
  dropped: { id: string; why: string }[];
  /** A figure the step decided on (the most tests passed, the largest cluster's size, …). */
  note?: string;
}

export type Selection =
  | { outcome: 'selected'; chosen: string; steps: SelectionStep[] }
  /** No candidate passed its tests: the workflow goes to debug; never reported as success. */
  | { outcome: 'none_pass'; steps: SelectionStep[] }
  /** Still tied after every deterministic step: the caller asks a judge, then a vote. */
  | { outcome: 'tied'; tied: string[]; steps: SelectionStep[] };
