/**
 * A council's rounds in words: who held which role, the positions and their sizes, and whether
 * the quorum was met (`◆ council round 1 (ada dissenter, bo strategist, …): 4 for "Postgres…",
 * 1 for "Kafka" — quorum met (4 of 5, 4 needed)`).
 */
import type { LoggedEvent } from '../../log/eventLog.js';

const quoted = (text: string) => `"${text.length > 60 ? `${text.slice(0, 59)}…` : text}"`;

export function councilSentence(e: LoggedEvent): string | undefined {
  if (e.type !== 'council.round') return undefined;
  const roles = e.casts.map((c) => `${c.agent} ${c.role}`).join(', ');
  const head = e.round === 0 ? 'council: first answers' : `council round ${e.round} (${roles})`;
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
