/**
 * `maestro daemon`: the long-running root of the supervision tree. Takes the state directory's
 * lock, resumes the missions it finds there, serves the HTTP API and the inspector on one
 * server (127.0.0.1 by default), and on SIGTERM or SIGINT stops taking work, suspends every
 * mission in order, syncs the logs and exits 0. `<state-dir>/daemon.json` (mode 0600) tells
 * `maestro status`, `approve`, `submit` and `stop` where the daemon is and its token.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoggedEvent } from '../log/eventLog.js';
import { ensureStateDir } from '../log/stateDir.js';
import { acquireStateLock } from '../log/stateLock.js';
import { DaemonMetrics } from '../daemon/daemonMetrics.js';
import { checkArchive, DEFAULT_RETAIN } from '../daemon/retention.js';
import { retentionFlag } from './history.js';
import { loadConfigFile } from '../config/loader.js';
import { registerSecret } from '../kernel/secrets.js';
import {
  CLOSED_POLICY,
  daemonConfigSchema,
  parseAllowCli,
  type SubmitPolicy,
} from '../daemon/submitPolicy.js';
import { InspectorHub } from '../inspector/hub.js';
import { startInspectorServer } from '../inspector/server.js';
import { daemonMissionSource, describeEvent, inspectorWrite } from './inspectorSources.js';
import { Daemon } from '../daemon/daemon.js';
import { createApiHandler } from '../daemon/daemonHttp.js';
import { keptToken, TOKEN_FILE } from '../daemon/daemonToken.js';
import type { Io } from './io.js';
import { UsageError } from './io.js';
import type { NatsFlags } from './natsFlags.js';
import type { NatsEventStream } from '../transport/natsEventStream.js';
import type { NatsHub } from '../runner/natsRuntime.js';
import { daemonTerminal } from './render/daemonTerminal.js';
import { prefixed } from './render/prefix.js';

export interface DaemonFlags extends NatsFlags {
  'state-dir'?: string;
  listen?: string;
  token?: string;
  'rotate-token'?: boolean;
  'auth-reads'?: boolean;
  'nats-open-reads'?: boolean;
  'log-level'?: string;
  config?: string;
  'allow-cli'?: string[];
  'allow-env'?: string[];
  'shutdown-ms'?: string;
  'sync-ms'?: string;
  'wait-workers-ms'?: string;
  retain?: string;
  archive?: string;
  json?: boolean;
  pretty?: boolean;
}

export const DEFAULT_LISTEN = '127.0.0.1:7433';
/** Finished missions the inspector keeps showing; older ones leave its graph (not their logs). */
const INSPECTOR_KEEPS_ENDED = 20;

export async function daemonCommand(
  flags: DaemonFlags,
  io: Io,
  stopSignal?: AbortSignal,
): Promise<number> {
  const stateDir = flags['state-dir'] ?? process.env.MAESTRO_STATE_DIR ?? '.maestro';
  const { host, port } = parseListen(flags.listen ?? process.env.MAESTRO_LISTEN ?? DEFAULT_LISTEN);
  const shutdownMs = wholeMs(flags['shutdown-ms'], '--shutdown-ms');
  const syncEveryMs = wholeMs(flags['sync-ms'], '--sync-ms');
  const waitWorkersMs = wholeMs(flags['wait-workers-ms'], '--wait-workers-ms');
  const retain = retentionFlag(flags.retain ?? DEFAULT_RETAIN);
  const archiveDir = flags.archive;
  if (archiveDir !== undefined) {
    try {
      checkArchive(archiveDir);
    } catch (err) {
      throw new UsageError(`maestro daemon: --archive: ${(err as Error).message}`, { cause: err });
    }
  }
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
  if (flags['log-level'] !== undefined && !levels.includes(flags['log-level']))
    throw new UsageError(
      `maestro daemon: --log-level: expected one of ${levels.join(', ')}, got '${flags['log-level']}'`,
    );
  const submitPolicy = await submitPolicyOf(flags);
  const terminal = daemonTerminal(flags, io);
  const { logger, say } = terminal;
  const nats = flags.nats?.length
    ? (await import('./natsConnect.js')).natsOptionsFromFlags(flags, 'maestro-daemon')
    : undefined;
  if (flags['nats-open-reads'] && !nats)
    throw new UsageError('maestro daemon: --nats-open-reads: needs --nats URL');
  const given = flags.token ?? process.env.MAESTRO_TOKEN;
  if (given !== undefined && flags['rotate-token'])
    throw new UsageError(
      'maestro daemon: --rotate-token: the token is given (--token or MAESTRO_TOKEN), nothing to rotate',
    );
  ensureStateDir(stateDir, 'create its lock, mission logs and keys');
  const lock = acquireStateLock(stateDir);
  const kept =
    given === undefined ? keptToken(stateDir, { rotate: flags['rotate-token'] }) : undefined;
  const token = given ?? kept!.token;
  registerSecret(token);
  if (kept?.how === 'replaced')
    say(`maestro daemon: ${join(stateDir, TOKEN_FILE)} held no token: a new one replaces it`);
  // The inspector shows the missions running and the last few that ended; older ones go.
  const hub = new InspectorHub({ keepEnded: INSPECTOR_KEEPS_ENDED, describe: describeEvent });
  hub.start();
  let stream: NatsEventStream | undefined;
  let metrics: DaemonMetrics | undefined;
  const onEvent = (e: LoggedEvent): void => {
    stream?.append(e);
    metrics?.observe(e);
    terminal.onEvent(e);
  };
  const infoFile = join(stateDir, 'daemon.json');
  let server: Awaited<ReturnType<typeof startInspectorServer>> | undefined;
  let natsHub: NatsHub | undefined;
  try {
    if (nats) {
      // One connection for the API, the event stream and every mission's workers; made before
      // any mission resumes, so a daemon that cannot reach NATS starts nothing.
      const { connectNatsHub } = await import('../runner/natsRuntime.js');
      try {
        natsHub = await connectNatsHub(nats, logger);
      } catch (err) {
        io.err(prefixed('maestro daemon', (err as Error).message));
        return 1;
      }
    }
    const daemon = new Daemon({
      stateDir,
      logger,
      natsHub,
      observer: hub,
      shutdownMs,
      syncEveryMs,
      waitWorkersMs,
      mirror: onEvent,
      submitPolicy,
      ...(retain.kind !== 'forever' && { retain }),
      archiveDir,
    });
    const authReads = flags['auth-reads'] === true || !loopback;
    server = await startInspectorServer(hub, {
      host,
      port,
      token,
      logger,
      // The page's mission list and histories: every mission in the state dir, not only the hub's.
      missions: daemonMissionSource(daemon, hub, stateDir),
      ...(authReads && { readToken: token }),
      // Away from loopback, reading missions needs the token too.
      api: createApiHandler(daemon, {
        token,
        authReads,
        logger,
        metrics: (metrics = new DaemonMetrics(() => daemon.list())),
      }),
      onWrite: (msg) => inspectorWrite(daemon, msg),
    });
    if (natsHub) {
      // The same API over NATS request/reply (maestro.daemon.<verb>).
      const { serveDaemonOverNats } = await import('../daemon/daemonNats.js');
      serveDaemonOverNats(daemon, natsHub.transport, {
        token,
        openReads: flags['nats-open-reads'] === true,
        logger,
      });
      // Every mission's events also go to JetStream, signed; logs the disk lacks come back from
      // there, if they are this daemon's own.
      const [{ NatsEventStream: Stream }, { restoreLogs }, { loadEventKey }, { EventSigner }] =
        await Promise.all([
          import('../transport/natsEventStream.js'),
          import('../log/restoreLogs.js'),
          import('../log/eventKey.js'),
          import('../transport/eventSignature.js'),
        ]);
      const signer = new EventSigner(loadEventKey(stateDir).key);
      stream = await Stream.open(natsHub.transport.connection, { logger, signer });
      const { restored, refused } = await restoreLogs(stateDir, stream, signer, logger);
      if (restored.length)
        say(`maestro daemon: restored ${restored.length} mission log(s) from JetStream`, {
          restored,
        });
      if (refused.length)
        say(
          `maestro daemon: refused ${refused.length} mission log(s) from JetStream, not signed by this daemon's event key (see the warnings); their local logs, if any, are used as they are`,
          { refused: refused.map((r) => r.mission) },
        );
    }
    // The API answers from here on; the index and the logs it does not name are read behind it.
    const { loaded, recovered } = daemon.startInBackground();
    writeFileSync(infoFile, JSON.stringify({ url: server.url, token, pid: process.pid }), {
      mode: 0o600,
    });
    say(`maestro daemon: ${server.url} (api under /api, inspector at /); state in ${stateDir}`, {
      url: server.url,
      stateDir,
    });
    const recovery = loaded.then(async ({ finished, recovering }) => {
      say(
        `maestro daemon: ${finished} finished mission(s) in the index; ${recovering} log(s) to read`,
        { finished, recovering },
      );
      const { resumed } = await recovered;
      if (recovering > 0)
        say(
          `maestro daemon: ${recovering} log(s) read: ${resumed.length} mission(s) resumed, ${recovering - resumed.length} finished or skipped`,
          { resumed: resumed.length, read: recovering },
        );
    });
    await new Promise<void>((resolve) => {
      let stopping = false;
      const onSignal = (sig: string) => {
        if (stopping) {
          say('maestro daemon: stopping at once');
          process.exit(130);
        }
        stopping = true;
        say(`maestro daemon: ${sig}: suspending running missions (again to quit at once)`, {
          signal: sig,
        });
        resolve();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      stopSignal?.addEventListener('abort', () => onSignal('stop'), { once: true });
    });
    await daemon.shutdown();
    await recovery;
    await stream?.flush();
    say('maestro daemon: stopped; missions not over resume on the next start');
    return 0;
  } finally {
    await natsHub?.close();
    await server?.close();
    hub.stop();
    rmSync(infoFile, { force: true });
    lock.release();
    logger.flush();
  }
}

/** The daemon config file's `submissions`, plus `--allow-cli` and `--allow-env`. */
async function submitPolicyOf(flags: DaemonFlags): Promise<SubmitPolicy> {
  const base =
    flags.config === undefined
      ? CLOSED_POLICY
      : (await loadConfigFile(flags.config, daemonConfigSchema)).submissions;
  const cli = (flags['allow-cli'] ?? []).map((v) => {
    try {
      return parseAllowCli(v);
    } catch (err) {
      throw new UsageError(
        `--allow-cli: expected an absolute command and its args ('/usr/bin/codex exec {prompt}'), got '${v}'`,
        { cause: err },
      );
    }
  });
  for (const name of flags['allow-env'] ?? [])
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new UsageError(`--allow-env: expected an environment variable name, got '${name}'`);
  return {
    ...base,
    cli: [...base.cli, ...cli],
    env: [...new Set([...base.env, ...(flags['allow-env'] ?? [])])],
  };
}

export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port > 65535)
    throw new UsageError(`--listen: expected HOST:PORT or PORT, got '${value}'`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

function wholeMs(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`${flag}: expected a whole number of ms, got '${value}'`);
  return n;
}
