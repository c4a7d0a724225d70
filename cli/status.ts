/**
 * `maestro status [MISSION]`: the daemon's missions as a table, or one mission's state, stages,
 * pending approvals, result or error, and usage. A failed mission's status is still exit 0: the
 * command worked; an unknown mission is the daemon's 404, printed as a user error.
 */
import type { MissionStatus } from '../daemon/daemonApi.js';
import { MaestroClient, resolveDaemon, type DaemonFlags } from '../daemon/daemonClient.js';
import type { Io } from './io.js';
import { makerProgressText } from './render/makerLine.js';
import { troubledAgents } from './render/agentLine.js';
import { reasonText } from './render/prefix.js';

export interface StatusFlags extends DaemonFlags {
  json?: boolean;
}

export async function statusCommand(
  id: string | undefined,
  flags: StatusFlags,
  io: Io,
): Promise<number> {
  const client = new MaestroClient(resolveDaemon(flags));
  if (id === undefined) {
    const missions = await client.list();
    if (flags.json) io.out(JSON.stringify(missions, null, 2));
    else if (missions.length === 0) io.out('no missions');
    else
      for (const line of table([
        ['ID', 'STATE', 'STAGE', 'SUBMITTED'],
        ...missions.map((m) => [m.id, m.state, m.stage ?? '-', m.submittedAt]),
      ]))
        io.out(line);
    return 0;
  }
  const status = await client.status(id);
  if (flags.json) io.out(JSON.stringify(status, null, 2));
  else for (const line of describeStatus(status)) io.out(line);
  return 0;
}

export function describeStatus(s: MissionStatus): string[] {
  const lines = [`mission ${s.id} (${s.name}): ${s.state}`];
  const field = (name: string, value: string): void =>
    void lines.push(`  ${`${name}:`.padEnd(11)}${value}`);
  if (s.stage !== undefined) field('stage', s.stage);
  field('done', s.done.length ? s.done.map((d) => d.name).join(', ') : '-');
  field('stages', s.stages.join(', '));
  for (const p of s.plans ?? []) {
    field(
      'plan',
      `${p.stage}: ${p.finished.length}/${p.tasks.length} tasks finished${p.failed.length ? `, failed: ${p.failed.join(', ')}` : ''}${p.replans ? `, ${p.replans} replan(s)` : ''}`,
    );
  }
  for (const m of s.maker ?? [])
    field('maker', `${m.stage}: ${makerProgressText(m)}${m.done ? ', done' : ''}`);
  // Agents whose calls failed or that were restarted; every agent's counts are in --json.
  for (const line of troubledAgents(s.agents ?? [])) field('agent', line);
  for (const a of s.approvals.filter((a) => a.status === 'pending'))
    field('approval', `${a.id} pending since ${a.requestedAt} (maestro approve ${a.id})`);
  field('submitted', s.submittedAt);
  if (s.finishedAt !== undefined) field('finished', s.finishedAt);
  if (s.usage)
    field(
      'usage',
      `${s.usage.tokens} tokens, $${s.usage.costUsd.toFixed(4)}, ${s.usage.samples} samples, ${(s.usage.wallTimeMs / 1000).toFixed(1)} s`,
    );
  if (s.error) field('error', reasonText(s.error));
  if (s.result !== undefined)
    lines.push('  result:', ...s.result.split('\n').map((l) => `    ${l}`));
  return lines;
}

/** Rows padded into columns, two spaces apart; the last column is not padded. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '),
  );
}
