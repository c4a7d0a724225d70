/**
 * `maestro history prune`: takes the finished missions the retention lets go off the state
 * directory. With the daemon running (it holds the directory's lock), through its API; with no
 * daemon, here, under the lock, so the two never prune the same directory at once.
 */
import { pino } from 'pino';
import type { PruneResult } from '../daemon/daemonApi.js';
import { MaestroClient, resolveDaemon, type DaemonFlags } from '../daemon/daemonClient.js';
import { pruneStateDir } from '../daemon/history.js';
import {
  DEFAULT_RETAIN,
  parseRetention,
  RetentionParseError,
  retentionWords,
} from '../daemon/retention.js';
import { acquireStateLock, StateDirLockedError } from '../log/stateLock.js';
import { UsageError, type Io } from './io.js';

export interface HistoryFlags extends DaemonFlags {
  json?: boolean;
  retain?: string;
  archive?: string;
  'dry-run'?: boolean;
}

export async function historyCommand(rest: string[], flags: HistoryFlags, io: Io): Promise<number> {
  const [sub, ...extra] = rest;
  if (sub !== 'prune')
    throw new UsageError(
      sub === undefined
        ? 'maestro history: expected a subcommand: prune'
        : `maestro history: unknown subcommand '${sub}' (expected: prune)`,
      { command: 'history' },
    );
  if (extra.length)
    throw new UsageError(`maestro history prune: unexpected argument '${extra[0]}'`, {
      command: 'history',
    });
  const retain = flags.retain ?? DEFAULT_RETAIN;
  const retention = retentionFlag(retain);
  const stateDir = flags['state-dir'] ?? process.env.MAESTRO_STATE_DIR ?? '.maestro';
  let result: PruneResult & { retain: string };
  let lock: ReturnType<typeof acquireStateLock>;
  try {
    lock = acquireStateLock(stateDir);
  } catch (err) {
    if (!(err instanceof StateDirLockedError)) throw err;
    // The daemon runs: it prunes, where its own --archive says.
    if (flags.archive !== undefined)
      throw new UsageError(
        `maestro history prune: --archive: the daemon running on '${stateDir}' (pid ${err.owner.pid}) archives where its own --archive says; leave --archive out, or stop the daemon first`,
        { command: 'history' },
      );
    const client = new MaestroClient(resolveDaemon({ ...flags, 'state-dir': stateDir }));
    result = await client.prune({ retain, dryRun: flags['dry-run'] === true });
    return report(result, flags, io, 'the daemon');
  }
  try {
    result = pruneStateDir(stateDir, {
      retention,
      archiveDir: flags.archive,
      dryRun: flags['dry-run'] === true,
      // Warnings (a corrupt line) go to stderr; the result to stdout.
      logger: pino({ level: 'warn' }, pino.destination(2)),
    });
  } finally {
    lock.release();
  }
  return report(result, flags, io, stateDir);
}

export function retentionFlag(value: string): ReturnType<typeof parseRetention> {
  try {
    return parseRetention(value);
  } catch (err) {
    if (err instanceof RetentionParseError)
      throw new UsageError(`--retain: ${err.message}`, { cause: err });
    throw err;
  }
}

function report(
  r: PruneResult & { retain: string },
  flags: HistoryFlags,
  io: Io,
  where: string,
): number {
  if (flags.json) io.out(JSON.stringify(r, null, 2));
  else {
    const verb = r.dryRun ? 'would prune' : 'pruned';
    const to = r.to === 'deleted' ? 'deleted' : `archived to ${r.to}`;
    const which = retentionWords(parseRetention(r.retain));
    io.out(
      `maestro history: ${verb} ${r.pruned.length} finished mission(s) ${which} (${where})${r.pruned.length ? `: ${to}, ${kib(r.bytes)} of logs` : ''}`,
    );
  }
  if (!r.failed) return 0;
  io.err(
    `maestro history: stopped at ${r.failed.id}: ${r.failed.error}; it and the missions after it stay`,
  );
  return 1;
}

function kib(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}
