/**
 * `maestro verify --workspace DIR -- CMD ARGS...`: a verification command run in the workspace
 * inside the sandbox (bubblewrap: the folder writable, the rest read-only, no network, a cleared
 * environment, the whole process tree killed at the timeout); prints its output's tails, the
 * test counts where the runner is known, and exits with the command's exit code.
 */
import { DEFAULT_SANDBOX_ENV } from '../config/workspace.js';
import { verify, type VerifyResult } from '../sandbox/index.js';
import { UsageError, type Io } from './io.js';
import { workspaceFlag } from './editInput.js';

export interface VerifyFlags {
  workspace?: string;
  'timeout-ms'?: string;
  network?: boolean;
  env?: string[];
  sandbox?: string;
  json?: boolean;
}

export async function verifyCommand(argv: string[], flags: VerifyFlags, io: Io): Promise<number> {
  const root = workspaceFlag(flags, 'verify');
  if (argv.length === 0)
    throw new UsageError(
      'maestro verify: expected the command after --: maestro verify --workspace DIR -- npm test',
      {
        command: 'verify',
      },
    );
  const timeoutMs = flags['timeout-ms'] === undefined ? 300_000 : Number(flags['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
    throw new UsageError(
      `maestro verify: --timeout-ms: expected a whole number of ms, got '${flags['timeout-ms']}'`,
    );
  const sandbox = flags.sandbox ?? 'bwrap';
  if (sandbox !== 'bwrap' && sandbox !== 'none')
    throw new UsageError(`maestro verify: --sandbox: expected bwrap or none, got '${sandbox}'`);
  for (const name of flags.env ?? [])
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new UsageError(`maestro verify: --env: expected a variable name, got '${name}'`);
  const result = await verify(
    { name: 'command', argv, timeoutMs, network: flags.network === true, env: flags.env ?? [] },
    root,
    {
      env: DEFAULT_SANDBOX_ENV,
      sandbox,
      warn: (m) => io.err(`maestro verify: warning: ${m}`),
    },
  );
  if (flags.json) io.out(JSON.stringify(result, null, 2));
  else {
    if (result.stdoutTail) io.out(result.stdoutTail.replace(/\n$/, ''));
    if (result.stderrTail) io.err(result.stderrTail.replace(/\n$/, ''));
    io.err(summary(argv, result));
  }
  if (result.notFound) return 127;
  if (result.killed) return 1;
  return result.exitCode ?? 1;
}

function summary(argv: string[], r: VerifyResult): string {
  const how = r.killed
    ? `killed (${r.killed})`
    : r.notFound
      ? 'not found'
      : r.signal
        ? `ended by ${r.signal}`
        : `exit ${r.exitCode}`;
  const c = r.counts;
  const tests = c
    ? `; tests (${c.runner}): ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`
    : '';
  const cut = r.truncated
    ? `; output cut to its last ${r.stdoutTail.length + r.stderrTail.length} bytes of ${r.outputBytes}`
    : '';
  return `verify: ${argv.map(shellWord).join(' ')}: ${how} in ${(r.durationMs / 1000).toFixed(2)} s (sandbox: ${r.sandbox})${tests}${cut}`;
}

/** An argument as a person would type it: quoted when it holds anything a shell would read. */
function shellWord(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`;
}
