/**
 * How long finished missions are kept: an age (`7d`: finished more than a week ago go) or a
 * count (`1000`: the newest thousand finished stay), or `forever`. Only finished missions are
 * ever pruned; their logs are deleted or moved, gzipped, to an archive folder, and the index is
 * rewritten without them with one line saying what went where. The order is the crash-safe one:
 * archive copy first (written whole, then renamed), then the log's removal, then the index; a
 * crash between two steps leaves a log that the next prune takes again, never a lost one.
 */
import {
  accessSync,
  constants,
  mkdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { UserError } from '../kernel/errors.js';
import { ArchiveNotWritableError, type MissionSummary, type PruneResult } from './daemonApi.js';

export type Retention =
  | { kind: 'age'; ms: number; text: string }
  | { kind: 'count'; keep: number; text: string }
  | { kind: 'forever'; text: 'forever' };

/** A week, as `maestro daemon` keeps by default. */
export const DEFAULT_RETAIN = '7d';

const UNIT_MS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

export class RetentionParseError extends UserError {
  override name = 'RetentionParseError';
  constructor(readonly given: string) {
    super(
      `expected an age (30m, 12h, 7d, 2w), a count of finished missions to keep (1000) or 'forever', got '${given}'`,
    );
  }
}

export function parseRetention(text: string): Retention {
  const t = text.trim();
  if (t === 'forever') return { kind: 'forever', text: 'forever' };
  const age = /^(\d+)([mhdw])$/.exec(t);
  if (age && Number(age[1]) > 0)
    return { kind: 'age', ms: Number(age[1]) * UNIT_MS[age[2]!]!, text: t };
  if (/^\d+$/.test(t) && Number.isSafeInteger(Number(t)))
    return { kind: 'count', keep: Number(t), text: t };
  throw new RetentionParseError(text);
}

/** What a policy keeps, in words: `that ended over 7d ago`, `beyond the newest 1000`. */
export function retentionWords(r: Retention): string {
  if (r.kind === 'age') return `that ended over ${r.text} ago`;
  if (r.kind === 'count') return `beyond the newest ${r.keep}`;
  return 'none (retain forever)';
}

/** The finished missions the policy lets go, oldest first. Missions not over are never among them. */
export function expiredMissions(
  summaries: Iterable<MissionSummary>,
  retention: Retention,
  now: number,
): MissionSummary[] {
  const finished = [...summaries]
    .filter((s) => s.state === 'succeeded' || s.state === 'failed' || s.state === 'stopped')
    .sort((a, b) => endOf(a).localeCompare(endOf(b)) || a.id.localeCompare(b.id));
  if (retention.kind === 'forever') return [];
  if (retention.kind === 'count')
    return finished.slice(0, Math.max(0, finished.length - retention.keep));
  const cut = new Date(now - retention.ms).toISOString();
  return finished.filter((s) => endOf(s) < cut);
}

function endOf(s: MissionSummary): string {
  return s.finishedAt ?? s.submittedAt;
}

/**
 * Takes the expired missions' logs off the state directory (into `archiveDir`, gzipped, when
 * given). Throws `ArchiveNotWritableError` before touching anything when the archive refuses a
 * probe write. `logOf` names each mission's log file.
 */
export function pruneLogs(
  expired: MissionSummary[],
  logOf: (id: string) => string,
  options: { archiveDir?: string; dryRun?: boolean },
): PruneResult {
  const to = options.archiveDir ?? 'deleted';
  const result: PruneResult = { pruned: [], to, bytes: 0, dryRun: options.dryRun === true };
  if (options.archiveDir !== undefined) checkArchive(options.archiveDir);
  for (const s of expired) {
    const file = logOf(s.id);
    try {
      let text: Buffer;
      try {
        text = readFileSync(file);
      } catch (err) {
        // Gone already (an earlier prune the index does not know of yet): nothing to take.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      if (!result.dryRun && options.archiveDir !== undefined) {
        const target = join(options.archiveDir, `${s.id}.jsonl.gz`);
        writeFileSync(`${target}.tmp`, gzipSync(text));
        renameSync(`${target}.tmp`, target);
      }
      if (!result.dryRun) unlinkSync(file);
      result.bytes += text.length;
      result.pruned.push(s.id);
    } catch (err) {
      result.failed = { id: s.id, error: (err as Error).message };
      break;
    }
  }
  return result;
}

/** Makes the archive folder if needed and writes a probe file; throws `ArchiveNotWritableError`. */
export function checkArchive(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    const probe = join(dir, `.maestro-probe-${process.pid}`);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (err) {
    throw new ArchiveNotWritableError(dir, (err as NodeJS.ErrnoException).code ?? 'EIO');
  }
}
