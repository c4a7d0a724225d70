/**
 * A running daemon's history prune: the finished missions it holds as summaries that its
 * retention (or the request's) lets go leave the state directory (`retention.ts` deletes or
 * archives their logs), the daemon's map and the index, which is rewritten without them.
 */
import { UserError } from '../kernel/errors.js';
import { EventLog } from '../log/eventLog.js';
import { ArchivedMission } from './archivedMission.js';
import type { MissionSummary, PruneRequest, PruneResult } from './daemonApi.js';
import type { DaemonHost } from './daemonHost.js';
import { expiredMissions, parseRetention, pruneLogs } from './retention.js';

export function pruneArchived(
  host: DaemonHost,
  request: PruneRequest,
  now: number,
): PruneResult & { retain: string } {
  const o = host.options;
  const retention = request.retain !== undefined ? parseRetention(request.retain) : o.retain;
  if (!retention)
    throw new UserError(
      "prune: this daemon has no retention policy (start it with --retain, or give 'retain')",
    );
  const kept = new Map<string, MissionSummary>();
  for (const m of host.missions.values())
    if (m instanceof ArchivedMission) kept.set(m.id, m.summary());
  const expired = expiredMissions(kept.values(), retention, now);
  const result = pruneLogs(expired, (id) => EventLog.pathFor(o.stateDir, id), {
    archiveDir: o.archiveDir,
    dryRun: request.dryRun,
  });
  if (!result.dryRun && result.pruned.length > 0) {
    for (const id of result.pruned) {
      host.missions.delete(id);
      kept.delete(id);
    }
    host.index.rewrite(kept.values(), {
      pruned: result.pruned.length,
      at: new Date(now).toISOString(),
      retain: retention.text,
      to: result.to,
    });
  }
  if (result.pruned.length > 0 || result.failed) {
    const went = result.dryRun
      ? 'would go'
      : result.to === 'deleted'
        ? 'deleted'
        : `archived to ${result.to}`;
    const stopped = result.failed ? `; stopped at ${result.failed.id}: ${result.failed.error}` : '';
    (result.failed ? o.logger.error : o.logger.info).call(
      o.logger,
      { pruned: result.pruned.length, bytes: result.bytes, to: result.to, failed: result.failed },
      `daemon: history pruned (${retention.text}): ${result.pruned.length} finished mission(s) ${went}${stopped}`,
    );
  }
  return { ...result, retain: retention.text };
}
