/**
 * `runSandboxed`: one command, as argv, in a candidate's worktree, inside bubblewrap. Read-only
 * root, the worktree read-write, private /tmp, the home, /run and whatever else `hide` names
 * covered, every namespace unshared (the network only with `network: true`), no capabilities, a
 * cleared environment plus an allowlist, and prlimit inside for the address space. The whole tree
 * dies on the wall clock, the output cap or an abort: bwrap is SIGKILLed, its pid 1 follows
 * (`--die-with-parent`), and with it the pid namespace, detached and double-forked children
 * included. A command that is not found, killed or out of memory is a result, never a throw;
 * a sandbox that cannot start is `SandboxUnavailableError`. `sandbox: 'none'` is the only way
 * to run unconfined, and it warns on every run.
 */
import { realpathSync } from 'node:fs';
import { constants } from 'node:os';
import { bwrapArgs } from './bwrapArgs.js';
import { sandboxEnv } from './env.js';
import {
  CommandNotArgvError,
  SandboxOptionError,
  SandboxSetupError,
  SandboxUnavailableError,
} from './errors.js';
import { inside, planMounts, realWorktree, type Mount } from './mounts.js';
import { createPidsCgroup } from './pidsCgroup.js';
import { probeSandbox } from './probe.js';
import { runProcess, type ProcessOutcome, type ProcessSpec } from './runProcess.js';
import {
  DEFAULT_BWRAP_PATH,
  DEFAULT_ENV,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_MEMORY_BYTES,
  DEFAULT_PRLIMIT_PATH,
  DEFAULT_TAIL_BYTES,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_TMPFS_BYTES,
  type SandboxResult,
  type SandboxRun,
} from './types.js';

/** What a process out of address space says on stderr: V8, Python, C++, glibc. */
const OUT_OF_MEMORY =
  /JavaScript heap out of memory|Array buffer allocation failed|Allocation failed|MemoryError|std::bad_alloc|Cannot allocate memory|out of memory/i;

export async function runSandboxed(run: SandboxRun): Promise<SandboxResult> {
  const argv = checkArgv(run.argv, 'argv');
  const mode = run.sandbox ?? 'bwrap';
  if (mode !== 'bwrap' && mode !== 'none')
    throw new SandboxOptionError('sandbox', mode, `expected 'bwrap' or 'none', got '${mode}'`);
  const memoryBytes =
    run.memoryBytes === null
      ? null
      : positive(run.memoryBytes, DEFAULT_MEMORY_BYTES, 'memoryBytes');
  const pidsLimit =
    run.pidsLimit === undefined ? undefined : positive(run.pidsLimit, 0, 'pidsLimit');
  const cwd = realWorktree(run.cwd);
  const hostEnv = run.hostEnv ?? process.env;
  const prlimit = run.prlimitPath ?? DEFAULT_PRLIMIT_PATH;
  const job: Job = {
    run,
    cwd,
    hostEnv,
    env: sandboxEnv(hostEnv, run.env ?? DEFAULT_ENV, run.setEnv),
    // inside: no core file in the worktree, and the address space capped
    command: [prlimit, '--core=0', ...(memoryBytes ? [`--as=${memoryBytes}`] : []), '--', ...argv],
    limits: {
      cwd,
      timeoutMs: positive(run.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs', MAX_TIMER_MS),
      maxOutputBytes: positive(run.maxOutputBytes, DEFAULT_MAX_OUTPUT_BYTES, 'maxOutputBytes'),
      tailBytes: positive(run.tailBytes, DEFAULT_TAIL_BYTES, 'tailBytes'),
      signal: run.signal,
      ...(run.stdin === undefined
        ? {}
        : { stdin: typeof run.stdin === 'string' ? Buffer.from(run.stdin, 'utf8') : run.stdin }),
    },
  };
  let spec = mode === 'none' ? unconfined(job) : await confined(job);
  const cgroup = pidsLimit === undefined ? undefined : createPidsCgroup(pidsLimit);
  if (cgroup) spec = { ...spec, ...cgroup.wrap(spec.file, spec.args) };
  let outcome: ProcessOutcome;
  try {
    outcome = await runProcess(spec);
  } finally {
    await cgroup?.release();
  }
  if (outcome.spawnError) throw notStarted(spec.file, outcome.spawnError, spec.file === prlimit);
  return interpret(outcome, mode, argv[0]!, memoryBytes);
}

interface Job {
  run: SandboxRun;
  cwd: string;
  hostEnv: NodeJS.ProcessEnv;
  env: Record<string, string>;
  /** prlimit and the command's argv. */
  command: string[];
  limits: Pick<
    ProcessSpec,
    'cwd' | 'timeoutMs' | 'maxOutputBytes' | 'tailBytes' | 'signal' | 'stdin'
  >;
}

async function confined({ run, cwd, hostEnv, env, command, limits }: Job): Promise<ProcessSpec> {
  const bwrapPath = run.bwrapPath ?? DEFAULT_BWRAP_PATH;
  await probeSandbox({ bwrapPath, prlimitPath: command[0] });
  const network = run.network === true;
  const mounts = planMounts({
    cwd,
    hide: [...defaultHide(hostEnv), ...(run.hide ?? [])],
    readOnly: run.readOnly ?? [],
    gitDir: run.gitDir,
    network,
  });
  if (env.HOME && run.setEnv?.HOME === undefined && isHidden(env.HOME, mounts)) env.HOME = '/tmp';
  const tmpfsBytes = positive(run.tmpfsBytes, DEFAULT_TMPFS_BYTES, 'tmpfsBytes');
  const inv = bwrapArgs({ cwd, mounts, network, env, tmpfsBytes, command });
  // bwrap is pid 1 inside and its /proc/1/environ is readable there: it gets no environment
  return { ...limits, file: bwrapPath, args: inv.argv, fd3: inv.fd3, env: {}, group: false };
}

function unconfined({ run, cwd, env, command, limits }: Job): ProcessSpec {
  const warn = run.warn ?? ((m: string) => process.emitWarning(m, 'MaestroSandboxWarning'));
  warn(
    `sandbox 'none': '${command[command.indexOf('--') + 1]}' runs unconfined in '${cwd}': it can read every file and key this user can, write outside the worktree and reach the network`,
  );
  // its own process group: no pid namespace here, so the group is what a kill reaches
  return { ...limits, file: command[0]!, args: command.slice(1), env, group: true };
}

/** A hidden home is empty and read-only: HOME points at the private /tmp instead, for caches. */
function isHidden(path: string, mounts: readonly Mount[]): boolean {
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    // a home that does not exist is judged by its name
  }
  return mounts.some((m) => m.kind === 'tmpfs' && (m.path === real || inside(real, m.path)));
}

/** The paths always hidden, before `hide`: the host user's home, every home, /run. */
export function defaultHide(hostEnv: NodeJS.ProcessEnv = process.env): string[] {
  return [...(hostEnv.HOME ? [hostEnv.HOME] : []), '/home', '/root', '/run'];
}

/** `argv` as a non-empty array of strings, the command not empty, no NUL anywhere. */
export function checkArgv(argv: unknown, where: string): string[] {
  if (
    !Array.isArray(argv) ||
    argv.length === 0 ||
    argv.some((a) => typeof a !== 'string' || a.includes('\0')) ||
    argv[0] === ''
  )
    throw new CommandNotArgvError(where, argv);
  return [...argv];
}

function interpret(
  out: ProcessOutcome,
  mode: 'bwrap' | 'none',
  command: string,
  memoryBytes: number | null,
): SandboxResult {
  if (mode === 'bwrap' && out.exitCode === 1 && out.stderrHead.startsWith('bwrap: '))
    throw new SandboxSetupError(command, out.stderrHead.split('\n')[0]!);
  const { stderrHead: _, spawnError: __, ...rest } = out;
  const result: SandboxResult = { ...rest, sandbox: mode };
  if (out.exitCode === 127 && out.stderrHead.startsWith('prlimit: failed to execute'))
    result.notFound = true;
  const signal = mode === 'bwrap' && !out.killed ? signalOf(out.exitCode) : undefined;
  if (signal) {
    result.exitCode = null;
    result.signal = signal;
  }
  const failed = result.exitCode !== 0;
  if (!result.killed && failed && memoryBytes !== null && OUT_OF_MEMORY.test(out.stderrTail))
    result.killed = 'memory';
  return result;
}

/** The process Maestro starts (bwrap, or prlimit when unconfined) is gone since the probe. */
function notStarted(file: string, err: NodeJS.ErrnoException, isPrlimit: boolean): Error {
  return new SandboxUnavailableError(`'${file}'`, `could not start (${err.code ?? err.message})`, {
    cause: err,
    ...(isPrlimit ? { hint: 'install util-linux (apt-get install util-linux)' } : {}),
  });
}

/** Exit 128+N from bwrap's pid 1: the command died of signal N. */
function signalOf(code: number | null): NodeJS.Signals | undefined {
  if (code === null || code <= 128 || code > 128 + 64) return undefined;
  const n = code - 128;
  return (Object.keys(constants.signals) as NodeJS.Signals[]).find(
    (s) => constants.signals[s] === n,
  );
}

/** setTimeout fires at once past this (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function positive(
  value: number | undefined,
  fallback: number,
  option: string,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0 || value > max)
    throw new SandboxOptionError(
      option,
      value,
      `expected a positive integer${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}, got ${value}`,
    );
  return value;
}
