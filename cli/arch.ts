/**
 * `maestro arch stats`: what each architecture achieved in this repository's state directory
 * (`<state-dir>/arch-stats.jsonl`), aggregated by task family, stage, topology and models. A line
 * the store cannot read is named on stderr with its number and left out; it never fails the
 * command.
 */
import { readStats, type ArchStatsRow } from '../actors/coding/archStats.js';
import { UsageError, type Io } from './io.js';
import { table } from './status.js';

export interface ArchFlags {
  json?: boolean;
  'state-dir'?: string;
}

export function archCommand(rest: string[], flags: ArchFlags, io: Io): number {
  const [sub, ...extra] = rest;
  if (sub !== 'stats')
    throw new UsageError(
      sub === undefined
        ? 'maestro arch: expected a subcommand: stats'
        : `maestro arch: unknown subcommand '${sub}' (expected: stats)`,
      { command: 'arch' },
    );
  if (extra.length)
    throw new UsageError(`maestro arch stats: unexpected argument '${extra[0]}'`, {
      command: 'arch',
    });
  const stateDir = flags['state-dir'] ?? process.env.MAESTRO_STATE_DIR ?? '.maestro';
  const stats = readStats(stateDir);
  for (const s of stats.skipped) io.err(`maestro arch: ${stats.file}:${s.line}: skipped: ${s.why}`);
  if (flags.json) io.out(JSON.stringify(stats, null, 2));
  else if (stats.rows.length === 0) io.out(`no outcomes recorded yet in ${stateDir}`);
  else
    for (const line of table([
      ['FAMILY', 'STAGE', 'TOPOLOGY', 'MODELS', 'RUNS', 'OK', 'RATE', 'MEAN TOKENS', 'MEAN TURNS'],
      ...stats.rows.map(cells),
    ]))
      io.out(line.trimEnd());
  return 0;
}

function cells(r: ArchStatsRow): string[] {
  return [
    r.family,
    r.stage,
    r.topology,
    r.models.length ? r.models.join(',') : '-',
    String(r.runs),
    String(r.successes),
    `${(r.rate * 100).toFixed(1)}%`,
    r.meanTokens === undefined ? '-' : String(Math.round(r.meanTokens)),
    r.meanTurns === undefined ? '-' : (Math.round(r.meanTurns * 10) / 10).toString(),
  ];
}
