/**
 * What a workflow phase runs with (`PhaseEnv`), the variables every phase prompt shares, and the
 * workflow's own failure: one no retry can fix.
 */
import type { WorkflowConfig, WorkflowStep } from '../../config/workflow.js';
import type { WorkspaceConfig } from '../../config/workspace.js';
import type { EventSink } from '../../supervisors/runtime.js';
import type { Workspace } from '../../workspace/index.js';
import type { SchemaRunner } from '../planning/phaseCall.js';
import type { Provider } from '../providers/provider.js';
import { languageVars, listFiles, sourcesOf, type WorkflowState } from './workflowState.js';

export interface PhaseEnv {
  step: WorkflowStep;
  /** The workflow stage's name. */
  workflow: string;
  config: WorkflowConfig;
  /** The task with `{{input}}` filled. */
  task: string;
  previous?: WorkflowState;
  /** The reviewer's answers to the last gate and any rejection's feedback ('' when none). */
  answers: string;
  /** The phase runner of an agent; with `vote`, its answers are decided by MAKER voting. */
  runner: (agent: string, vote?: { k: number; maxSamples: number }) => SchemaRunner;
  /**
   * The agent's provider, when it is a coding CLI that edits its own worktree: run here, in the
   * mission's process, confined to the candidate's worktree.
   */
  cliOf: (agent: string) => Provider | undefined;
  /** A prompt of the library, rendered (the pinned version if the workflow pins one). */
  render: (name: string, vars: Record<string, string>) => string;
  workspace: Workspace;
  wsConfig: WorkspaceConfig;
  /** Names this attempt's candidates: `<workflow>-<step>-<attempt>`. */
  candidatePrefix: string;
  /** Earlier missions' entries for this repository, as text ('' when none). */
  playbook: string;
  events: EventSink;
  path: string;
  /** The mission's state dir (the architecture's recorded outcomes are there). */
  stateDir: string;
  /** Tokens this phase's calls used so far (its stage's budget node). */
  tokens: () => number;
  signal?: AbortSignal;
}

/** A failure no retry can fix (the tests cannot run at all, nothing passed with no gate to ask). */
export class WorkflowError extends Error {
  override name = 'WorkflowError';
  readonly retryable = false;
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export function contextVars(env: PhaseEnv): Record<string, string> {
  const root = env.workspace.root;
  const files = listFiles(root);
  return {
    task: env.task,
    files: files.join('\n'),
    sources: sourcesOf(root, files),
    answers: env.answers,
    playbook: env.playbook,
    ...languageVars(env.config.languages),
  };
}

/** The state so far, without the last step's own marks (a skipped gate is that step's alone). */
export function requirePrevious(env: PhaseEnv): WorkflowState {
  const empty = { summary: '', findings: [], risks: [], questions: [], next: '' };
  if (!env.previous) return { workflow: env.workflow, step: env.step, report: empty };
  const { gate: _, ...state } = env.previous;
  return state;
}
