/**
 * Real `maestro worker` processes for integration tests and the chaos bench: `node cli/dev.js
 * worker ...` as a child process, ready once its stderr says it is serving. `stopAllWorkers()`
 * (a test's teardown) kills every one still running, and so does the exit of this process.
 * No vitest import here: bench/chaos.ts uses it too.
 */
import { liveChildren, trackChild } from './childProcesses.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface WorkerProcessOptions {
  natsUrl: string;
  /** The file whose providers it serves (a mission file will do). */
  config: string;
  capabilities: string[];
  /** Its id in the registry; also names its NATS connection `maestro-worker-<id>`. */
  id: string;
  concurrency?: number;
  heartbeatMs?: number;
  /** `--ack-wait-ms`: how soon a durable call it held is redelivered once it is dead. */
  ackWaitMs?: number;
  /** @default 'info' (JSON lines on stderr) */
  logLevel?: string;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** @default 20000 */
  readyTimeoutMs?: number;
  /** More flags (`--nats-user`, ...). */
  args?: string[];
}

export interface WorkerProcess {
  readonly pid: number;
  readonly id: string;
  /** Everything it wrote to stderr so far (the last 1 MB). */
  stderr(): string;
  /** Sends `signal` (default SIGKILL) and resolves as `exited` does. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** Its exit code once it has exited; null when a signal ended it. */
  readonly exited: Promise<number | null>;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../cli/dev.js', import.meta.url));
const SERVING = /: serving .*SIGTERM drains/;
const STDERR_KEEP = 1 << 20;

/** Spawns a worker and resolves once it serves; rejects (and kills it) if it exits or times out first. */
export async function startWorker(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const args = [
    BIN,
    'worker',
    ...['--nats', options.natsUrl, '--config', options.config, '--id', options.id],
    ...options.capabilities.flatMap((c) => ['--capability', c]),
    ...(options.concurrency === undefined ? [] : ['--concurrency', String(options.concurrency)]),
    ...(options.heartbeatMs === undefined ? [] : ['--heartbeat-ms', String(options.heartbeatMs)]),
    ...(options.ackWaitMs === undefined ? [] : ['--ack-wait-ms', String(options.ackWaitMs)]),
    ...['--log-level', options.logLevel ?? 'info'],
    ...(options.args ?? []),
  ];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  trackChild(proc);
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve(proc.exitCode);
    else proc.once('exit', (code) => resolve(code));
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timeoutMs = options.readyTimeoutMs ?? 20_000;
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(
        new Error(`worker '${options.id}' not serving after ${timeoutMs} ms:\n${stderr.trim()}`),
      );
    }, timeoutMs);
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP);
      if (SERVING.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start worker '${options.id}': ${err.message}`, { cause: err }));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `worker '${options.id}' exited (${code ?? proc.signalCode}) before serving:\n${stderr.trim()}`,
        ),
      );
    });
  });
  await ready;
  return {
    pid: proc.pid!,
    id: options.id,
    stderr: () => stderr,
    kill: (signal = 'SIGKILL') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    exited,
  };
}

/** SIGKILLs every worker still running and waits for them to exit. */
export async function stopAllWorkers(): Promise<void> {
  const procs = [...liveChildren];
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGKILL');
        }),
    ),
  );
}
