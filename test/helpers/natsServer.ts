/**
 * Real `nats-server` processes for integration tests, after NATS.js's own helper: each server
 * binds loopback on random ports, and we wait for the ports file it writes rather than sleeping.
 * A server keeps its port and store directory across `restart()`, so clients reconnect to it.
 * Every process still running when the test process exits is killed.
 */
import { liveChildren, trackChild } from './childProcesses.js';
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface NatsServerOptions {
  /** Enable JetStream, storing under the server's temporary directory. @default true */
  jetstream?: boolean;
  /** Text of a config file passed with `-c` (for settings without a flag, e.g. `max_payload: 1024`). */
  config?: string;
  /** Client port. @default random */
  port?: number;
  /** Extra command-line arguments. */
  args?: string[];
}

export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>`; the same after a restart. */
  readonly url: string;
  readonly port: number;
  /** The current process; changes on restart. */
  readonly pid: number;
  /** `http://127.0.0.1:<port>` of the monitoring endpoints (`/varz`, `/routez`, `/healthz`). */
  readonly monitorUrl: string;
  /** Temporary directory holding the store, the ports file and any config file. */
  readonly dir: string;
  /** SIGTERM, wait for the exit, remove the directory. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, wait for the exit; the directory stays, so `restart()` can follow. */
  kill(): Promise<void>;
  /** Stop (if running) and start again on the same ports with the same store. */
  restart(): Promise<void>;
}

export interface NatsClusterHandle {
  readonly servers: NatsServerHandle[];
  readonly urls: string[];
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const POLL_MS = 20;
const STOP_TIMEOUT_MS = 10_000;
const STDERR_KEEP = 16_384;

/** Starts one server on random loopback ports and resolves once it is listening. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  return startServer(options, {});
}

/**
 * Starts `size` servers routed to each other as cluster `maestro` (JetStream servers `n1`..`nN`),
 * and resolves once every route is up and every server reports healthy.
 */
export async function startNatsCluster(
  size = 3,
  options: Omit<NatsServerOptions, 'port'> = {},
): Promise<NatsClusterHandle> {
  const clusterPorts: number[] = [];
  for (let i = 0; i < size; i++) clusterPorts.push(await freePort());
  const routes = clusterPorts.map((p) => `nats://127.0.0.1:${p}`).join(',');
  const servers: NatsServerHandle[] = [];
  const stopAll = async (): Promise<void> => void (await Promise.all(servers.map((s) => s.stop())));
  try {
    const started = await Promise.allSettled(
      clusterPorts.map((clusterPort, i) =>
        startServer(options, {
          serverName: `n${i + 1}`,
          cluster: { port: clusterPort, routes, name: 'maestro' },
        }),
      ),
    );
    for (const r of started) if (r.status === 'fulfilled') servers.push(r.value);
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await waitFor(READY_TIMEOUT_MS, 'the cluster routes and health', async () => {
      for (const s of servers) {
        const routez = (await fetchJson(`${s.monitorUrl}/routez`)) as
          | { num_routes?: number }
          | undefined;
        if ((routez?.num_routes ?? 0) < size - 1) return false;
        const health = (await fetchJson(`${s.monitorUrl}/healthz`)) as
          | { status?: string }
          | undefined;
        if (health?.status !== 'ok') return false;
      }
      return true;
    });
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { servers, urls: servers.map((s) => s.url), stop: stopAll };
}

interface ClusterArgs {
  serverName?: string;
  cluster?: { port: number; routes: string; name: string };
}

async function startServer(
  options: NatsServerOptions,
  extra: ClusterArgs,
): Promise<NatsServerHandle> {
  const bin = findNatsServer();
  const dir = await mkdtemp(join(tmpdir(), 'maestro-nats-'));
  const storeDir = join(dir, 'store');
  await mkdir(storeDir);
  const configFile = join(dir, 'nats.conf');
  if (options.config !== undefined) await writeFile(configFile, options.config);

  let port = options.port ?? -1;
  let monitorPort = -1;
  let child: ChildProcess | undefined;
  let stopped = false;

  const args = (): string[] => [
    ...(options.config !== undefined ? ['-c', configFile] : []),
    ...['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort)],
    ...((options.jetstream ?? true) ? ['-js', '-sd', storeDir] : []),
    ...(extra.serverName ? ['--server_name', extra.serverName] : []),
    ...(extra.cluster
      ? [
          '--cluster_name',
          extra.cluster.name,
          '--cluster',
          `nats://127.0.0.1:${extra.cluster.port}`,
          '--routes',
          extra.cluster.routes,
        ]
      : []),
    ...['--ports_file_dir', dir],
    ...(options.args ?? []),
  ];

  const launch = async (): Promise<void> => {
    const proc = spawn(bin, args(), { stdio: ['ignore', 'ignore', 'pipe'] });
    trackChild(proc);
    let stderr = '';
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP);
    });
    const spawnError = new Promise<Error>((resolve) => proc.once('error', resolve));
    child = proc;
    try {
      const ports = await Promise.race([
        waitForPortsFile(proc, dir, () => stderr),
        spawnError.then((err) =>
          Promise.reject(new Error(`cannot start nats-server: ${err.message}`, { cause: err })),
        ),
      ]);
      port = portOf(ports.nats?.[0], 'client');
      monitorPort = portOf(ports.monitoring?.[0], 'monitoring');
    } catch (err) {
      await terminate(proc, 'SIGKILL');
      throw err;
    }
  };

  try {
    await launch();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get pid() {
      return child?.pid ?? -1;
    },
    get monitorUrl() {
      return `http://127.0.0.1:${monitorPort}`;
    },
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child) await terminate(child, 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
    async kill() {
      if (child) await terminate(child, 'SIGKILL');
    },
    async restart() {
      if (stopped) throw new Error('nats-server was stopped; start a new one');
      if (child) await terminate(child, 'SIGTERM');
      await launch();
    },
  };
}

interface PortsFile {
  nats?: string[];
  monitoring?: string[];
  cluster?: string[];
}

async function waitForPortsFile(
  proc: ChildProcess,
  dir: string,
  stderr: () => string,
): Promise<PortsFile> {
  const file = join(dir, `nats-server_${proc.pid}.ports`);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(
        `nats-server exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${stderr().trim()}`,
      );
    }
    try {
      // The file may be caught half-written: a parse failure is just "not yet".
      return JSON.parse(await readFile(file, 'utf8')) as PortsFile;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `nats-server wrote no ports file within ${READY_TIMEOUT_MS} ms:\n${stderr().trim()}`,
      );
    }
    await sleep(POLL_MS);
  }
}

function portOf(url: string | undefined, what: string): number {
  const port = url === undefined ? NaN : Number(new URL(url).port);
  if (!Number.isInteger(port) || port <= 0)
    throw new Error(`nats-server's ports file has no ${what} port`);
  return port;
}

/** Sends `signal` and resolves once the process has exited; SIGKILL after a grace period. */
async function terminate(proc: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) {
    liveChildren.delete(proc);
    return;
  }
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
  liveChildren.delete(proc);
}

/** `nats-server` from PATH, or Debian's /usr/sbin, which a non-root PATH often lacks. */
function findNatsServer(): string {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
    '/usr/sbin',
    '/usr/local/sbin',
  ];
  for (const d of dirs) {
    const candidate = join(d, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(
    'nats-server is not on PATH: the NATS integration tests need it (.ci/run installs it with `apt-get install -y nats-server`)',
  );
}

/** A port nothing listens on right now; the cluster needs its route ports before any server starts. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function fetchJson(url: string): Promise<unknown> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return await res.json();
  } catch {
    return undefined;
  }
}

async function waitFor(
  timeoutMs: number,
  what: string,
  ready: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(POLL_MS * 5);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
