/**
 * The workflow's last steps. `apply` writes the patch that passed its tests, and that the gates
 * approved, to the user's tree as one journaled transaction (workspace.applied in the mission's
 * log); a workflow with no such patch fails here, so a mission never reports success on a red
 * test. Applying twice is applying once: a resumed mission finds its transaction in the log.
 * `improve` asks for reusable entries (a playbook rule, a checker, a prompt refinement) and keeps
 * them per repository, offered to later missions on it.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fsTree, planEdit } from '../../workspace/index.js';
import { improvementSchema, type Improvement } from './phaseSchemas.js';
import { phaseVoteKeys } from './phaseVotes.js';
import { describeSelection } from './selection.js';
import { contextVars, requirePrevious, WorkflowError, type PhaseEnv } from './workflowEnv.js';
import { recordImplementOutcome } from './workflowArchitecture.js';
import type { WorkflowState } from './workflowState.js';

export async function applyStep(env: PhaseEnv): Promise<WorkflowState> {
  const state = requirePrevious(env);
  const chosen = state.chosen;
  if (!chosen) {
    recordImplementOutcome(env, false);
    throw new WorkflowError(
      'no_passing_patch',
      state.debug?.outcome === 'escalated'
        ? `no patch passed its tests (debug escalated: ${state.debug.reason}): nothing was applied to ${env.workspace.root}`
        : `no patch passed its tests: nothing was applied to ${env.workspace.root}`,
    );
  }
  const ws = env.workspace;
  const rules = {
    deny: env.wsConfig.deny,
    allow: env.wsConfig.allow,
    maxFileBytes: env.wsConfig.maxFileBytes,
  };
  const plan = planEdit({ format: 'unified_diff', patch: chosen.diff }, fsTree(ws.root), rules);
  const done = ws
    .events()
    .find((e) => e.type === 'workspace.applied' && e.target === ws.root && plan.hash === e.hash);
  let applyId: string;
  if (done) applyId = done.applyId;
  else {
    if (!plan.ok)
      throw new WorkflowError(
        'apply_failed',
        `the chosen patch ${chosen.candidate} no longer applies to ${ws.root}: ${plan.message}`,
      );
    const r = await ws.apply(ws.root, plan.changes, { hash: plan.hash, stats: plan.stats });
    if (!r.ok)
      throw new WorkflowError(
        'apply_failed',
        `the chosen patch ${chosen.candidate} could not be applied to ${ws.root}: ${r.reason}: ${r.message}`,
      );
    applyId = r.applyId;
    // once: a resumed apply that finds its transaction done has recorded it already
    recordImplementOutcome(env, true);
  }
  const { files, added, removed } = chosen.stats;
  return {
    ...state,
    step: 'apply',
    report: {
      summary: `${chosen.candidate} applied to ${ws.root}: ${files} file${files === 1 ? '' : 's'}, +${added} −${removed} (apply id ${applyId})`,
      findings: [],
      risks: [],
      questions: [],
      next: `undo with: maestro patch restore --workspace ${ws.root} ${applyId}`,
    },
    applied: { applyId, hash: plan.hash },
  };
}

export async function improvePhase(env: PhaseEnv): Promise<WorkflowState> {
  const state = requirePrevious(env);
  const selection = state.implement
    ? describeSelection(state.implement.selection, state.implement.candidates).join('\n')
    : '';
  const improve = await env.runner(env.config.agent, env.config.vote)(
    'workflowImprove',
    improvementSchema,
    {
      ...contextVars(env),
      analysis: JSON.stringify(state.analysis ?? {}, null, 2),
      patch: state.chosen?.diff ?? '(no patch was chosen)',
      selection,
    },
    { signal: env.signal, voteKey: phaseVoteKeys.improve },
  );
  return { ...state, step: 'improve', report: improve.report, improve };
}

/** The entries later missions on one repository are offered: `<stateDir>/playbooks/<ws>.jsonl`. */
export class Playbook {
  readonly file: string;
  constructor(stateDir: string, workspaceId: string) {
    this.file = join(stateDir, 'playbooks', `${workspaceId}.jsonl`);
  }

  /** Keeps a mission's entries; a later attempt of the same mission replaces its earlier ones. */
  record(mission: string, attempt: number, entries: Improvement['entries']): void {
    if (entries.length === 0) return;
    mkdirSync(join(this.file, '..'), { recursive: true });
    const line = { v: 1, ts: new Date().toISOString(), mission, attempt, entries };
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }

  /** The newest entries (one attempt per mission, its last), as text for a prompt. */
  text(limit = 20): string {
    if (!existsSync(this.file)) return '';
    const latest = new Map<string, { attempt: number; entries: Improvement['entries'] }>();
    for (const raw of readFileSync(this.file, 'utf8').split('\n')) {
      if (raw.trim() === '') continue;
      try {
        const l = JSON.parse(raw) as {
          mission: string;
          attempt: number;
          entries: Improvement['entries'];
        };
        const had = latest.get(l.mission);
        if (!had || l.attempt >= had.attempt) {
          latest.delete(l.mission); // re-inserted: newest last
          latest.set(l.mission, { attempt: l.attempt, entries: l.entries });
        }
      } catch {
        // a torn last line (a crash mid-append) is skipped: the others stand
      }
    }
    const entries = [...latest.values()].flatMap((m) => m.entries).slice(-limit);
    return entries.map((e) => `- [${e.kind}] ${e.title}: ${e.body}`).join('\n');
  }
}
