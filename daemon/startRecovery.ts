/**
 * A daemon's start: which missions its state directory holds (`catalog`: the index's finished
 * ones as summaries, a `recovering` placeholder for every other log), and the reading of those
 * logs (`recoverOne`: resumed if not over, archived if over), in slices behind the API
 * (`recoverInSlices`) with a progress line every few seconds when there are many; and what
 * `GET /api/health` says of it all (`healthOf`).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loggedMissionSchema } from '../config/mission.js';
import { recoverMission } from '../log/missionRecovery.js';
import { ArchivedMission, warnCorrupt } from './archivedMission.js';
import type { DaemonHealth, MissionSummary } from './daemonApi.js';
import type { DaemonHost } from './daemonHost.js';
import { DaemonMission } from './daemonMission.js';
import { RecoveringMission } from './recoveringMission.js';

/** How often a long recovery at start says how far it is. */
const PROGRESS_EVERY_MS = 2000;
/** Work between two yields to the event loop, so the API keeps answering. */
const SLICE_MS = 20;

export const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * The finished missions of the index, as summaries, and a `recovering` placeholder for every
 * other log, whose id goes to `pending`; a mission already known (submitted, or read on demand
 * meanwhile) stays as it is. Pauses (a yield) every few thousand files.
 */
export function* catalog(
  host: DaemonHost,
  dir: string,
  names: string[],
  indexed: Map<string, MissionSummary>,
  pending: string[],
): Generator<void> {
  // A compaction (or a restore) killed before its rename leaves its temporary file; the log
  // itself is whole (the rename is what replaces it), so the leftover only goes.
  for (const f of names.filter((n) => n.endsWith('.jsonl.tmp') || n.endsWith('.jsonl.restore')))
    rmSync(join(dir, f), { force: true });
  const logs = names.filter((n) => n.endsWith('.jsonl')).sort();
  for (const [i, f] of logs.entries()) {
    if (i > 0 && i % 5000 === 0) yield;
    const id = f.slice(0, -'.jsonl'.length);
    const known = host.missions.get(id);
    if (known && !(known instanceof RecoveringMission)) continue;
    const file = join(dir, f);
    const summary = indexed.get(id);
    // Over, by the index: its log is read when someone asks, not now.
    if (summary) host.missions.set(id, new ArchivedMission(id, summary, file, host.options));
    else {
      if (!known) host.missions.set(id, new RecoveringMission(id, file));
      pending.push(id);
    }
  }
}

/** Reads one mission's log: resumes it if it is not over, archives it if it is. */
export function recoverOne(host: DaemonHost, id: string): 'resumed' | 'finished' | 'skipped' {
  const o = host.options;
  const placeholder = host.missions.get(id);
  if (!(placeholder instanceof RecoveringMission)) return 'skipped';
  // Replaced where it is (the list keeps its order), or dropped: a log that cannot be resumed
  // is not listed.
  const file = placeholder.logFile;
  const started = Date.now();
  const recovered = recoverMission(file, id);
  warnCorrupt(o.logger, recovered);
  if (!recovered.submitted) {
    o.logger.warn(
      { mission: id, file },
      'daemon: a log with no mission.submitted is skipped (not a daemon mission, or torn at its first line)',
    );
    host.missions.delete(id);
    return 'skipped';
  }
  const parsed = loggedMissionSchema.safeParse(recovered.submitted.config);
  if (!parsed.success) {
    o.logger.error(
      { mission: id, file, issue: parsed.error.issues[0]?.message },
      'daemon: the config in this log no longer validates; the mission is not resumed',
    );
    host.missions.delete(id);
    return 'skipped';
  }
  const m = new DaemonMission(id, parsed.data, recovered.submitted.input, file, o, recovered);
  host.missions.set(id, m);
  if (recovered.finished) {
    host.archiveIfOver(m);
    return 'finished';
  }
  host.launch(m);
  o.logger.info(
    { mission: id, lines: recovered.lines, ms: Date.now() - started },
    'daemon: mission resumed',
  );
  return 'resumed';
}

/** `recoverOne` for each of `pending`, a slice at a time; the ids resumed. Stops when the daemon does. */
export async function recoverInSlices(host: DaemonHost, pending: string[]): Promise<string[]> {
  const log = host.options.logger;
  await nextTurn();
  const resumed: string[] = [];
  const began = Date.now();
  let slice = began;
  let told = began;
  for (const [i, id] of pending.entries()) {
    if (host.stopping()) break;
    try {
      if (recoverOne(host, id) === 'resumed') resumed.push(id);
    } catch (err) {
      // One log that cannot be read stops neither the others nor the daemon.
      host.missions.delete(id);
      log.error({ mission: id, err }, 'daemon: this mission could not be recovered');
    }
    if (Date.now() - slice < SLICE_MS) continue;
    await nextTurn();
    slice = Date.now();
    if (slice - told < PROGRESS_EVERY_MS) continue;
    told = slice;
    log.info(
      { read: i + 1, of: pending.length },
      `daemon: recovering missions: ${i + 1} of ${pending.length} logs read`,
    );
  }
  if (pending.length > 0)
    log.info(
      { read: pending.length, resumed: resumed.length, ms: Date.now() - began },
      `daemon: recovery done: ${pending.length} log(s) read, ${resumed.length} mission(s) resumed`,
    );
  return resumed;
}

/** How the daemon is, from memory: its missions (total, live, still to read) and its heap. */
export function healthOf(missions: DaemonHost['missions'], startedAt: number): DaemonHealth {
  const m = process.memoryUsage();
  let live = 0;
  let recovering = 0;
  for (const x of missions.values()) {
    if (x instanceof RecoveringMission) recovering++;
    else if (!x.over) live++;
  }
  return {
    ok: true,
    pid: process.pid,
    uptimeMs: Date.now() - startedAt,
    missions: { total: missions.size, live, recovering },
    memory: { rssBytes: m.rss, heapUsedBytes: m.heapUsed },
  };
}
