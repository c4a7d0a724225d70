/**
 * `maestro inspect missions`: the daemon's missions, newest first, filtered by state and by a
 * text in their name or id, paged (`--limit`, `--offset`); in words, or `--json`. What the
 * inspector page's mission list is to a browser. `maestro inspect timeline MISSION` is a
 * mission's history in words (the same as `maestro replay`).
 */
import { MaestroClient, resolveDaemon } from '../daemon/daemonClient.js';
import { MISSION_STATES, type MissionState, type MissionSummary } from '../daemon/daemonApi.js';
import { UsageError, type Io } from './io.js';

export interface InspectMissionsFlags {
  status?: string;
  name?: string;
  limit?: string;
  offset?: string;
  json?: boolean;
  url?: string;
  token?: string;
  'state-dir'?: string;
}

export async function inspectMissions(flags: InspectMissionsFlags, io: Io): Promise<number> {
  const states = flags.status
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of states ?? [])
    if (!MISSION_STATES.includes(s as MissionState))
      throw new UsageError(
        `maestro inspect missions: --status: expected ${MISSION_STATES.join(', ')} (comma-separated), got '${s}'`,
        { command: 'inspect' },
      );
  const limit = count(flags.limit, '--limit', 50);
  const offset = count(flags.offset, '--offset', 0);
  const client = new MaestroClient(resolveDaemon(flags));
  const text = flags.name?.toLowerCase();
  const all = (await client.list())
    .filter((m) => !states || states.includes(m.state))
    .filter(
      (m) => !text || m.name.toLowerCase().includes(text) || m.id.toLowerCase().includes(text),
    )
    .sort((a, b) => b.submittedAt.localeCompare(a.submittedAt));
  const page = all.slice(offset, offset + limit);
  if (flags.json) {
    io.out(JSON.stringify({ total: all.length, offset, missions: page }, null, 2));
    return 0;
  }
  if (page.length === 0) {
    io.out(
      all.length === 0 ? 'no missions match' : `no missions past ${offset} (of ${all.length})`,
    );
    return 0;
  }
  for (const m of page) io.out(line(m));
  if (all.length > offset + page.length)
    io.out(`… ${all.length - offset - page.length} more (--offset ${offset + page.length})`);
  return 0;
}

function line(m: MissionSummary): string {
  const where = m.stage ? ` at ${m.stage}` : '';
  return `${m.state.padEnd(17)} ${m.id}  ${m.name}${where}  (${m.submittedAt}${m.finishedAt ? ` → ${m.finishedAt}` : ''})`;
}

function count(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(
      `maestro inspect missions: ${flag}: expected a whole number, got '${value}'`,
      {
        command: 'inspect',
      },
    );
  return n;
}
