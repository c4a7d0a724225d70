/**
 * A council's rounds in words: who held which role, the positions and their sizes, and whether
 * the quorum was met (`◆ council round 1 (dissenter ada): 4 for "Postgres…", 1 for "Kafka" —
 * quorum met, 4 of 5 needed 4`).
 */
import type { LoggedEvent } from '../../log/eventLog.js';

const quoted = (text: string) => `"${text.length > 60 ? `${text.slice(0, 59)}…` : text}"`;

export function councilSentence(e: LoggedEvent): string | undefined {
  if (e.type !== 'council.round') return undefined;
  const dissenter = e.casts.find((c) => c.role === 'dissenter')?.agent;
  const head =
    e.round === 0
      ? 'council: first answers'
      : `council round ${e.round}${dissenter ? ` (dissenter ${dissenter})` : ''}`;
  const positions =
    e.positions.map((p) => `${p.members.length} for ${quoted(p.answer)}`).join(', ') || 'no ballot';
  const abstained = e.casts.filter((c) => 'abstained' in c).length;
  const gone = e.gone.length ? `; ${e.gone.map((g) => g.agent).join(', ')} left` : '';
  const verdict =
    e.outcome === 'quorum'
      ? `quorum met (${e.positions[0]?.members.length} of ${e.voters}, ${e.needed} needed)`
      : `no quorum (${e.reason === 'tie' ? 'a tie' : e.reason === 'too_few' ? 'too few voters' : `${e.needed} of ${e.voters} needed`})`;
  return `${e.outcome === 'quorum' ? '◆' : '·'} ${head}: ${positions}${abstained ? `, ${abstained} abstained` : ''}${gone} — ${verdict}`;
}
