/**
 * Real `maestro daemon` processes for integration tests: `node cli/dev.js daemon --state-dir DIR
 * --listen 0` as a child process, ready once it has written a `daemon.json` naming its own pid (a
 * daemon killed with SIGKILL leaves its stale one behind). Each is SIGKILLed when the test that
 * started it finishes (so start them inside a test: `onTestFinished` needs one), and when this
 * process exits, whatever happened.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { DaemonClient } from '../../daemon/daemonClient.js';
import { trackChild } from './childProcesses.js';

export interface DaemonProcessOptions {
  stateDir: string;
  /** `--token`; the daemon makes one up when absent (it is in daemon.json either way). */
  token?: string;
  /** @default 'warn' */
  logLevel?: string;
  /** More flags (`--shutdown-ms`, `--sync-ms`, ...). */
  args?: string[];
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** @default 20000 */
  readyTimeoutMs?: number;
}

export interface DaemonExit {
  /** null when a signal ended it */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A daemon child, started but not known to be serving (one expected to refuse to start, say). */
export interface DaemonChild {
  readonly pid: number;
  readonly stateDir: string;
  /** Everything it wrote to stderr so far (the last 1 MB). */
  stderr(): string;
  /** Sends `signal` (default SIGKILL) unless it has exited, and resolves as `exited` does. */
  kill(signal?: NodeJS.Signals): Promise<DaemonExit>;
  readonly exited: Promise<DaemonExit>;
}

/** A daemon that serves: where, with which token, and a client for its API. */
export interface DaemonProcess extends DaemonChild {
  readonly url: string;
  readonly token: string;
  readonly client: DaemonClient;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../cli/dev.js', import.meta.url));
const STDERR_KEEP = 1 << 20;

/** Spawns a daemon without waiting for it; it is killed when the current test finishes. */
export function spawnDaemon(options: DaemonProcessOptions): DaemonChild {
  const args = [
    BIN,
    'daemon',
    ...[
      '--state-dir',
      options.stateDir,
      '--listen',
      '0',
      '--log-level',
      options.logLevel ?? 'warn',
    ],
    ...(options.token === undefined ? [] : ['--token', options.token]),
    ...(options.args ?? []),
  ];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  trackChild(proc);
  let stderr = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP);
  });
  const exited = new Promise<DaemonExit>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null)
      resolve({ code: proc.exitCode, signal: proc.signalCode });
    // 'close', not 'exit': stderr is read to its end by then.
    else proc.once('close', (code, signal) => resolve({ code, signal }));
  });
  const child: DaemonChild = {
    pid: proc.pid!,
    stateDir: options.stateDir,
    stderr: () => stderr,
    kill: (signal = 'SIGKILL') => {
      if (running(proc)) proc.kill(signal);
      return exited;
    },
    exited,
  };
  onTestFinished(async () => {
    await child.kill('SIGKILL');
  });
  return child;
}

/**
 * Spawns a daemon and resolves once its daemon.json names it; rejects (and kills it) if it exits
 * or times out first, with what it wrote to stderr.
 */
export async function startDaemon(options: DaemonProcessOptions): Promise<DaemonProcess> {
  const child = spawnDaemon(options);
  const infoFile = join(options.stateDir, 'daemon.json');
  const timeoutMs = options.readyTimeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  let exit: DaemonExit | undefined;
  void child.exited.then((e) => (exit = e));
  for (;;) {
    const info = readInfo(infoFile);
    if (info?.pid === child.pid) {
      return {
        ...child,
        url: info.url,
        token: info.token,
        client: new DaemonClient({ url: info.url, token: info.token }),
      };
    }
    if (exit) {
      throw new Error(
        `maestro daemon on ${options.stateDir} exited (${exit.code ?? exit.signal}) before serving:\n${child.stderr().trim()}`,
      );
    }
    if (Date.now() > deadline) {
      await child.kill('SIGKILL');
      throw new Error(
        `maestro daemon on ${options.stateDir} not serving after ${timeoutMs} ms (no daemon.json with its pid):\n${child.stderr().trim()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function readInfo(file: string): { url: string; token: string; pid: number } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { url: string; token: string; pid: number };
  } catch {
    return undefined; // not there yet, or being written
  }
}

function running(proc: ChildProcess): boolean {
  return proc.exitCode === null && proc.signalCode === null;
}
