/**
 * One process run to its end under a wall clock and an output cap: stdin /dev/null (or the bytes
 * given, then closed), stdout and
 * stderr counted and tailed, optional bytes fed to fd 3 (bwrap's `--args`, which keeps the
 * command's environment out of every argv), no other fd inherited. Past the clock, the cap or an
 * abort the process (its group, for an unconfined one) is SIGKILLed; it settles once the process
 * is gone, and at most `CLOSE_GRACE_MS` after that even if a straggler holds a pipe open.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { childStdio } from './inheritedFds.js';
import { Tail } from './tail.js';

/** After the process exits, how long its pipes may stay open (a child it left) before we stop reading. */
export const CLOSE_GRACE_MS = 500;

export interface ProcessSpec {
  file: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd: string;
  /** Written to the child's fd 3, which is then closed. */
  fd3?: Buffer;
  /** Written to the child's stdin, which is then closed. @default stdin is /dev/null */
  stdin?: Buffer;
  /** Its own process group, killed as one (the unconfined mode: there is no pid namespace). */
  group: boolean;
  timeoutMs: number;
  maxOutputBytes: number;
  tailBytes: number;
  signal?: AbortSignal;
}

export interface ProcessOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  killed?: 'timeout' | 'output_cap' | 'aborted';
  stdoutTail: string;
  stderrTail: string;
  /** The first bytes of stderr (bwrap's own setup errors come first). */
  stderrHead: string;
  outputBytes: number;
  truncated: boolean;
  /** spawn itself failed (ENOENT for the file): nothing ran. */
  spawnError?: NodeJS.ErrnoException;
}

const HEAD_BYTES = 512;

export function runProcess(spec: ProcessSpec): Promise<ProcessOutcome> {
  const started = performance.now();
  const stdout = new Tail(spec.tailBytes);
  const stderr = new Tail(spec.tailBytes);
  let head = Buffer.alloc(0);
  let accepted = 0;
  let killed: ProcessOutcome['killed'];

  let child: ChildProcess;
  try {
    child = spawn(spec.file, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      stdio: childStdio(spec.fd3 ? 1 : 0, spec.stdin !== undefined),
      detached: spec.group,
      shell: false,
      windowsHide: true,
    });
  } catch (err) {
    // spawn throws synchronously only for arguments it refuses outright
    return Promise.resolve(failed(err as NodeJS.ErrnoException, started));
  }

  return new Promise((resolve) => {
    let exit: { code: number | null; sig: NodeJS.Signals | null } | undefined;
    const kill = (why: NonNullable<ProcessOutcome['killed']>): void => {
      // a clock or an abort that comes after the exit changes nothing; output past the cap
      // read from the pipes after it still means the output was cut
      if (killed || (exit && why !== 'output_cap')) return;
      killed = why;
      killTree(child, spec.group);
    };
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;
    let exitedAt = started;
    const timer = setTimeout(() => kill('timeout'), spec.timeoutMs);
    const onAbort = (): void => kill('aborted');
    if (spec.signal?.aborted) onAbort();
    else spec.signal?.addEventListener('abort', onAbort, { once: true });

    const settle = (spawnError?: NodeJS.ErrnoException): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      spec.signal?.removeEventListener('abort', onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      if (spawnError) return resolve(failed(spawnError, started));
      resolve({
        exitCode: killed ? null : (exit?.code ?? null),
        signal: killed ? 'SIGKILL' : (exit?.sig ?? null),
        durationMs: exitedAt - started,
        ...(killed ? { killed } : {}),
        stdoutTail: stdout.text(),
        stderrTail: stderr.text(),
        stderrHead: head.toString('utf8'),
        outputBytes: stdout.total + stderr.total,
        truncated: killed === 'output_cap' || stdout.cut || stderr.cut,
      });
    };

    const onData = (tail: Tail, isErr: boolean) => (chunk: Buffer) => {
      if (killed === 'output_cap') return;
      const room = spec.maxOutputBytes - accepted;
      const kept = chunk.length > room ? chunk.subarray(0, Math.max(0, room)) : chunk;
      accepted += kept.length;
      tail.push(kept);
      if (isErr && head.length < HEAD_BYTES)
        head = Buffer.concat([head, kept]).subarray(0, HEAD_BYTES);
      if (chunk.length > room) kill('output_cap');
    };
    child.stdout?.on('data', onData(stdout, false));
    child.stderr?.on('data', onData(stderr, true));

    const fd3 = child.stdio[3];
    if (spec.fd3 && fd3 && 'end' in fd3) {
      // bwrap exiting early closes its end: EPIPE here is not ours to report
      fd3.on('error', () => {});
      fd3.end(spec.fd3);
    }
    if (spec.stdin && child.stdin) {
      // a command that exits without reading its stdin: EPIPE, not an error
      child.stdin.on('error', () => {});
      child.stdin.end(spec.stdin);
    }

    child.on('error', (err: NodeJS.ErrnoException) => {
      if (child.pid === undefined) settle(err);
    });
    child.on('exit', (code, sig) => {
      exitedAt = performance.now();
      exit = { code, sig };
      // an unconfined command's leftovers (`sleep 60 &`) go with it, as in a pid namespace
      if (spec.group) killTree(child, true);
      graceTimer = setTimeout(() => settle(), CLOSE_GRACE_MS);
    });
    child.on('close', () => settle());
  });
}

function killTree(child: ChildProcess, group: boolean): void {
  if (group && child.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGKILL');
      return;
    } catch {
      // the group is gone already; fall through to the process itself
    }
  }
  child.kill('SIGKILL');
}

function failed(err: NodeJS.ErrnoException, started: number): ProcessOutcome {
  return {
    exitCode: null,
    signal: null,
    durationMs: performance.now() - started,
    stdoutTail: '',
    stderrTail: '',
    stderrHead: '',
    outputBytes: 0,
    truncated: false,
    spawnError: err,
  };
}
