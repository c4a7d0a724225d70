/**
 * A candidate made by a coding CLI (codex, claude, gemini through the `cli` provider): a fresh
 * worktree, the CLI run in it confined by the sandbox (`Workspace.confinement`), and the candidate
 * read back as the worktree's `git diff` against its base, exactly as one made by Maestro's own
 * edits is. The user's tree is never touched; the candidate waits for a gate to apply it.
 */
import type { CandidateEdit } from '../../workspace/candidates.js';
import type { Candidate, Workspace } from '../../workspace/index.js';
import type { CompletionRequest, CompletionResult, Provider } from '../providers/provider.js';
import { freshCandidate } from './tryCandidate.js';

export type CliCandidate =
  | { ok: true; candidate: Candidate; edit: CandidateEdit; answer: CompletionResult }
  /** The CLI changed nothing in its worktree (`no_op`): the worktree is removed. */
  | { ok: false; reason: 'no_op'; name: string; answer: CompletionResult };

export interface CliCandidateRequest {
  workspace: Workspace;
  /** The candidate's name (a folder name). */
  name: string;
  provider: Provider;
  request: Omit<CompletionRequest, 'workdir'>;
  signal?: AbortSignal;
}

/**
 * Runs `provider` in a new candidate `name` (an old one of that name goes first) and returns
 * what it changed. A failed call removes
 * the worktree and rethrows the provider's error (a timeout, an exit code, a sandbox that cannot
 * start), so a supervisor restarts or gives up as for any call.
 */
export async function candidateFromCli(req: CliCandidateRequest): Promise<CliCandidate> {
  const { workspace, name, provider } = req;
  const candidate = await freshCandidate(workspace, name);
  try {
    const workdir = await workspace.confinement(candidate);
    const answer = await provider.complete({ ...req.request, workdir }, req.signal);
    const edit = await workspace.editOf(candidate);
    if (edit.stats.files > 0) return { ok: true, candidate, edit, answer };
    await workspace.removeCandidate(candidate);
    return { ok: false, reason: 'no_op', name, answer };
  } catch (err) {
    await workspace.removeCandidate(candidate).catch(() => {});
    throw err;
  }
}
