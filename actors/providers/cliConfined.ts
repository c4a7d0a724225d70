/**
 * A coding CLI run in a candidate's worktree, confined by the sandbox: it may write only there,
 * reads nothing the workdir hides (the state dir, the user's tree, every home), sees only its
 * provider's `envAllowlist`, and reaches the network (it calls its model's API) unless its config
 * turns that off. What it leaves in the worktree is the candidate; what it prints is the answer.
 * The sandbox's results become the cli provider's own errors, so a supervisor treats a confined
 * run as it treats any other: a timeout, an output cap, an exit code, a command not found.
 */
import { cliSandboxSchema, type CliProviderConfig } from '../../config/providers.js';
import { runSandboxed, SandboxUnavailableError, SandboxSetupError } from '../../sandbox/index.js';
import {
  CliExitError,
  CliOutputCapError,
  CliSpawnError,
  ProviderAbortedError,
  ProviderTimeoutError,
} from './errors.js';
import type { Workdir } from './provider.js';

export interface ConfinedCall {
  providerId: string;
  config: CliProviderConfig;
  /** The args with `{prompt}` already replaced. */
  args: readonly string[];
  /** The prompt on stdin, when no arg carries it. */
  stdin: string | undefined;
  workdir: Workdir;
  hostEnv: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Told why a run is unconfined (`sandbox.kind: none`). */
  warn?: (message: string) => void;
}

/** stdout, trimmed, of a run that exited 0; otherwise the cli provider's error for what happened. */
export async function runCliConfined(call: ConfinedCall): Promise<string> {
  const { providerId: id, config, workdir } = call;
  const { command } = config;
  const sandbox = config.sandbox ?? cliSandboxSchema.parse({});
  let result: Awaited<ReturnType<typeof runSandboxed>>;
  try {
    result = await runSandboxed({
      argv: [command, ...call.args],
      cwd: workdir.cwd,
      ...(workdir.gitDir ? { gitDir: workdir.gitDir } : {}),
      hide: workdir.hide ?? [],
      readOnly: [...(workdir.readOnly ?? []), ...sandbox.readOnly],
      network: sandbox.network,
      env: config.envAllowlist,
      hostEnv: call.hostEnv,
      sandbox: sandbox.kind,
      memoryBytes: sandbox.memoryMb * 1024 * 1024,
      timeoutMs: config.timeoutMs,
      // stdout and stderr share the cap here; the answer is the whole stdout, so keep it all
      maxOutputBytes: config.maxOutputBytes,
      tailBytes: config.maxOutputBytes,
      ...(call.stdin === undefined ? {} : { stdin: call.stdin }),
      ...(call.signal ? { signal: call.signal } : {}),
      ...(call.warn ? { warn: call.warn } : {}),
    });
  } catch (err) {
    if (err instanceof SandboxUnavailableError || err instanceof SandboxSetupError)
      throw new CliSpawnError(id, command, { detail: err.message, cause: err, retryable: false });
    throw err;
  }
  switch (result.killed) {
    case 'timeout':
      throw new ProviderTimeoutError(id, config.timeoutMs, { detail: 'in its worktree' });
    case 'output_cap':
      throw new CliOutputCapError(id, config.maxOutputBytes);
    case 'aborted':
      throw new ProviderAbortedError(id, { cause: call.signal?.reason });
    default:
  }
  if (result.notFound)
    throw new CliSpawnError(id, command, { detail: 'not found in the sandbox (ENOENT)' });
  if (result.exitCode !== 0)
    throw new CliExitError(id, command, result.exitCode, result.signal, result.stderrTail);
  return result.stdoutTail.trim();
}
