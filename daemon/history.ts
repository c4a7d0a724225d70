/**
 * A state directory's history pruned with no daemon running (`maestro history prune` while the
 * daemon is down, under the state directory's lock): the finished missions are those of the index
 * plus those whose logs say they are over (an old state directory, indexed here once), and the
 * policy takes them as a daemon's prune would.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { loggedMissionSchema } from '../config/mission.js';
import { EventLog } from '../log/eventLog.js';
import { recoverMission } from '../log/missionRecovery.js';
import { dirname } from 'node:path';
import { warnCorrupt } from './archivedMission.js';
import type { MissionSummary, PruneResult } from './daemonApi.js';
import { DaemonMission } from './daemonMission.js';
import { MissionIndex } from './missionIndex.js';
import { expiredMissions, pruneLogs, type Retention } from './retention.js';

export interface PruneOptions {
  retention: Retention;
  archiveDir?: string;
  dryRun?: boolean;
  logger: Logger;
  now?: number;
}

export function pruneStateDir(stateDir: string, o: PruneOptions): PruneResult & { retain: string } {
  const index = new MissionIndex(stateDir, o.logger);
  const indexed = index.read();
  const dir = dirname(EventLog.pathFor(stateDir, 'x'));
  const finished = new Map<string, MissionSummary>();
  for (const f of existsSync(dir) ? readdirSync(dir).sort() : []) {
    if (!f.endsWith('.jsonl')) continue;
    const id = f.slice(0, -'.jsonl'.length);
    const known = indexed.get(id);
    if (known) {
      finished.set(id, known);
      continue;
    }
    const summary = summarize(stateDir, id, o.logger);
    if (!summary) continue;
    finished.set(id, summary);
    if (!o.dryRun) index.add(summary);
  }
  const expired = expiredMissions(finished.values(), o.retention, o.now ?? Date.now());
  const result = pruneLogs(expired, (id) => EventLog.pathFor(stateDir, id), o);
  if (!result.dryRun && result.pruned.length > 0) {
    for (const id of result.pruned) finished.delete(id);
    index.rewrite(finished.values(), {
      pruned: result.pruned.length,
      at: new Date(o.now ?? Date.now()).toISOString(),
      retain: o.retention.text,
      to: result.to,
    });
  }
  return { ...result, retain: o.retention.text };
}

/** A finished mission's summary from its log; undefined for one not over or not a mission's. */
function summarize(stateDir: string, id: string, logger: Logger): MissionSummary | undefined {
  const file = EventLog.pathFor(stateDir, id);
  const r = recoverMission(file, id);
  warnCorrupt(logger, r);
  if (!r.finished || !r.submitted) return undefined;
  const config = loggedMissionSchema.safeParse(r.submitted.config);
  if (!config.success) return undefined;
  return new DaemonMission(
    id,
    config.data,
    r.submitted.input,
    file,
    { stateDir, logger },
    r,
  ).summary();
}
