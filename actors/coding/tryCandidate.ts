/**
 * One candidate patch tried as the workflow tries every one: a worktree of its own, the edit
 * planned against it (path rules, hunk placement: `planEdit`) and applied as a transaction, then
 * the workspace's checks (test, lint, typecheck) run in the sandbox there, confined to it. What
 * happened is `CandidateEvidence`, which the selection engine reads; nothing touches the user's
 * tree. A check the sandbox cannot start at all (no bubblewrap) is thrown: that is the machine's
 * problem, not the candidate's.
 */
import type { VerifyCommandConfig, WorkspaceConfig } from '../../config/workspace.js';
import { verify, type VerifyResult } from '../../sandbox/index.js';
import {
  fsTree,
  planEdit,
  type Candidate,
  type Edit,
  type Workspace,
} from '../../workspace/index.js';
import type { CandidateEvidence, CheckOutcome } from './types.js';

export const CHECKS = ['test', 'lint', 'typecheck'] as const;
export type CheckName = (typeof CHECKS)[number];

/** The check's result as evidence, with the end of its output for a debugger. */
export function checkOutcome(r: VerifyResult): CheckOutcome & { output: string } {
  return {
    ok: r.ok,
    exitCode: r.exitCode,
    ...(r.killed && { killed: r.killed }),
    ...(r.counts && {
      passed: r.counts.passed,
      failed: r.counts.failed,
      skipped: r.counts.skipped,
    }),
    durationMs: Math.round(r.durationMs),
    output: `${r.stdoutTail}${r.stderrTail ? `\n${r.stderrTail}` : ''}`.slice(-4000),
  };
}

/** Runs one of the workspace's checks in `candidate`, confined to it. */
export async function runCheck(
  ws: Workspace,
  candidate: Candidate,
  name: CheckName,
  command: VerifyCommandConfig,
  config: WorkspaceConfig,
  signal?: AbortSignal,
  /** The phase's path: the check's `execute_tool` span goes under its mission's. */
  tracePath?: string,
): Promise<VerifyResult> {
  const c = await ws.confinement(candidate);
  return verify({ name, ...command }, c.cwd, {
    gitDir: c.gitDir,
    hide: c.hide,
    readOnly: c.readOnly,
    env: config.sandbox.env,
    sandbox: config.sandbox.kind,
    memoryBytes: config.sandbox.memoryMb * 1024 * 1024,
    maxOutputBytes: config.sandbox.maxOutputBytes,
    ...(signal && { signal }),
    ...(tracePath !== undefined && { tracePath }),
  });
}

/** Candidate `name`, new: a restarted phase makes its candidates again, so an old one goes first. */
export async function freshCandidate(ws: Workspace, name: string): Promise<Candidate> {
  if (ws.candidate(name)) await ws.removeCandidate(name);
  return ws.createCandidate(name);
}

export interface TriedCandidate {
  evidence: CandidateEvidence;
  /** The worktree, when the edit applied (kept for the gate and the apply). */
  candidate?: Candidate;
  /** The test's output tail, for debug. */
  testOutput?: string;
}

/**
 * Makes candidate `name`, applies `edit` there and runs the checks. A candidate that does not
 * apply has its worktree removed and its reason in the evidence.
 */
export async function tryCandidate(
  ws: Workspace,
  config: WorkspaceConfig,
  name: string,
  source: string,
  edit: Edit,
  signal?: AbortSignal,
  tracePath?: string,
): Promise<TriedCandidate> {
  const candidate = await freshCandidate(ws, name);
  const rules = { deny: config.deny, allow: config.allow, maxFileBytes: config.maxFileBytes };
  const plan = planEdit(edit, fsTree(candidate.dir), rules);
  if (!plan.ok) {
    await ws.removeCandidate(candidate);
    const where = [plan.path, plan.hunk === undefined ? '' : `hunk ${plan.hunk}`]
      .filter(Boolean)
      .join(' ');
    return {
      evidence: {
        id: name,
        source,
        apply: {
          ok: false,
          reason: plan.reason,
          detail: `${where ? `${where}: ` : ''}${plan.message}`,
        },
      },
    };
  }
  const applied = await ws.apply(candidate.dir, plan.changes, {
    hash: plan.hash,
    stats: plan.stats,
  });
  if (!applied.ok) {
    await ws.removeCandidate(candidate);
    return {
      evidence: {
        id: name,
        source,
        apply: { ok: false, reason: applied.reason, detail: applied.message },
      },
    };
  }
  return checkCandidate(ws, config, candidate, source, signal, tracePath);
}

/** Runs the workspace's checks in a candidate that holds its edit (ours, or a coding CLI's). */
export async function checkCandidate(
  ws: Workspace,
  config: WorkspaceConfig,
  candidate: Candidate,
  source: string,
  signal?: AbortSignal,
  tracePath?: string,
): Promise<TriedCandidate> {
  const made = await ws.editOf(candidate);
  const evidence: CandidateEvidence = {
    id: candidate.name,
    source,
    apply: { ok: true, stats: made.stats, diff: made.diff, hash: made.hash },
  };
  let testOutput: string | undefined;
  for (const check of CHECKS) {
    const command = config.verify?.[check];
    if (!command) continue;
    const out = checkOutcome(
      await runCheck(ws, candidate, check, command, config, signal, tracePath),
    );
    const { output, ...outcome } = out;
    evidence[check] = outcome;
    if (check === 'test') testOutput = output;
  }
  return { evidence, candidate, ...(testOutput !== undefined && { testOutput }) };
}
