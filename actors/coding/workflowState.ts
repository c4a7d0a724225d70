/**
 * What a workflow phase hands on: its stage's output is the workflow's state so far, as JSON
 * (every phase adds its part), so the next phase, a resumed mission and the gate all read the
 * same record from the log's `stage.finished`. And the context the prompts get: the files of the
 * workspace and the small sources among them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { WorkflowStep } from '../../config/workflow.js';
import type { Analysis, DebugStep, Hypotheses, Improvement, PhaseReport } from './phaseSchemas.js';
import type { ArchitectureSelection } from './architecture.js';
import type { CandidateEvidence, CheckOutcome, Selection } from './types.js';

/** How implement ran (workflowArchitecture.ts), kept for its outcome's record. */
export interface ImplementArchitecture {
  /** Tokens the implement phase used, once it is done (recorded with its outcome). */
  tokens?: number;
  topology: ArchitectureSelection['topology'];
  rule: string;
  reason: string;
  /** Candidates it runs with: 1 for a single agent. */
  candidates: number;
  family: string;
  inputs?: ArchitectureSelection['inputs'];
}

export interface ChosenPatch {
  candidate: string;
  from: 'implement' | 'debug';
  diff: string;
  hash: string;
  stats: { files: number; added: number; removed: number };
}

export interface DebugIteration {
  step: DebugStep;
  /** The candidate its fix made, when it gave one. */
  tried?: CandidateEvidence;
  flaky?: boolean;
}

export interface WorkflowState {
  workflow: string;
  step: WorkflowStep;
  /** `false`: nothing for a person to review in this step (its gate is skipped). */
  gate?: false;
  report: PhaseReport;
  baseline?: CheckOutcome & { output: string };
  analysis?: Analysis;
  hypotheses?: Hypotheses;
  implement?: {
    candidates: CandidateEvidence[];
    selection: Selection;
    /** The end of each tried candidate's test output, for debug. */
    outputs?: Record<string, string>;
    architecture?: ImplementArchitecture;
  };
  debug?: {
    outcome: 'not_needed' | 'fixed' | 'escalated';
    iterations: DebugIteration[];
    reason?: string;
  };
  chosen?: ChosenPatch;
  applied?: { applyId: string; hash: string; test?: CheckOutcome };
  improve?: Improvement;
}

/** The previous phase's state from its stage output; undefined for the first phase. */
export function parseState(text: string | undefined): WorkflowState | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as WorkflowState;
    return typeof v === 'object' && v !== null && typeof v.workflow === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

const SKIP = new Set(['.git', 'node_modules', '.maestro', 'dist', 'coverage']);
const MAX_FILES = 300;
const MAX_SOURCE_BYTES = 8 * 1024;
const MAX_SOURCES_BYTES = 48 * 1024;

/** The workspace's files (relative paths, sorted), at most MAX_FILES. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      if (out.length >= MAX_FILES) return;
      if (SKIP.has(e.name)) continue;
      const abs = join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else if (e.isFile()) out.push(relative(root, abs).split('\\').join('/'));
    }
  };
  walk(root);
  return out;
}

/** The small text files, each under a `=== path ===` line, up to MAX_SOURCES_BYTES in all. */
export function sourcesOf(root: string, files: readonly string[]): string {
  const parts: string[] = [];
  let total = 0;
  for (const f of files) {
    const abs = join(root, f);
    const size = statSync(abs).size;
    if (size > MAX_SOURCE_BYTES || total + size > MAX_SOURCES_BYTES) continue;
    const body = readFileSync(abs);
    if (body.includes(0)) continue; // binary
    parts.push(`=== ${f} ===\n${body.toString('utf8')}`);
    total += size;
  }
  return parts.length === 0 ? '' : `The sources:\n${parts.join('\n')}`;
}

/** The languages line of a prompt: the first is the report's, the others its translations. */
export function languageVars(languages: readonly string[]): {
  language: string;
  translations: string;
} {
  const [first, ...rest] = languages;
  return {
    language: first ?? 'en',
    translations:
      rest.length === 0
        ? ''
        : ` Also give the report in ${rest.join(', ')} under "translations": {"${rest[0]}": {same keys as the report}}.`,
  };
}
