/**
 * A candidate written by a coding CLI (codex exec, claude -p, gemini through the `cli`
 * provider): it edits a fresh worktree itself, confined by the sandbox (cliCandidate.ts), and its
 * changes are checked like any candidate's. A CLI that fails or changes nothing is a candidate
 * that did not apply, with the reason: the other candidates go on. Its flags are the provider's
 * `args`: nothing here adds one that bypasses the CLI's own approvals.
 */
import { errorMessage } from '../../kernel/errors.js';
import type { Provider } from '../providers/provider.js';
import { candidateFromCli } from './cliCandidate.js';
import { checkCandidate, type TriedCandidate } from './tryCandidate.js';
import type { PhaseEnv } from './workflowEnv.js';

export async function cliCandidate(
  env: PhaseEnv,
  provider: Provider,
  id: string,
  vars: Record<string, string>,
): Promise<TriedCandidate> {
  const source = `cli/${provider.id}`;
  const ws = env.workspace;
  try {
    const made = await candidateFromCli({
      workspace: ws,
      name: id,
      provider,
      request: { prompt: env.render('workflowImplementCli', vars), caller: `${env.path}/${id}` },
      ...(env.signal && { signal: env.signal }),
    });
    if (!made.ok)
      return {
        evidence: {
          id,
          source,
          apply: { ok: false, reason: 'no_op', detail: 'the CLI changed nothing in its worktree' },
        },
      };
    return await checkCandidate(ws, env.wsConfig, made.candidate, source, env.signal, env.path);
  } catch (err) {
    if (env.signal?.aborted) throw err;
    return {
      evidence: {
        id,
        source,
        apply: { ok: false, reason: 'cli_failed', detail: errorMessage(err) },
      },
    };
  }
}
