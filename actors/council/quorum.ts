/**
 * A council's arithmetic, pure and table-tested: the quorum in integers (`agreeing * of >=
 * voters * agree`: 2/3 of 50 is 34, where a float `>= 0.66` takes 33), answers grouped into
 * positions by an agreement function, the round's outcome (a tie between the largest positions
 * is no quorum: nothing breaks it), and which member holds which role in a round.
 */
import { DISSENTER, type QuorumConfig } from '../../config/council.js';

/** Whether `agreeing` of `voters` meet the quorum; no voters never do. */
export function meetsQuorum(agreeing: number, voters: number, quorum: QuorumConfig): boolean {
  return voters > 0 && agreeing * quorum.of >= voters * quorum.agree;
}

/** The fewest of `voters` that meet the quorum: ceil(voters * agree / of), in integers. */
export function quorumSize(voters: number, quorum: QuorumConfig): number {
  return Math.ceil((voters * quorum.agree) / quorum.of);
}

/**
 * `items` grouped by `same`, each joining the first group whose first item it agrees with; the
 * groups in order of first appearance, each in its items' order.
 */
export function clusterBy<T>(items: readonly T[], same: (a: T, b: T) => boolean): T[][] {
  const groups: T[][] = [];
  for (const item of items) {
    const group = groups.find((g) => same(g[0]!, item));
    if (group) group.push(item);
    else groups.push([item]);
  }
  return groups;
}

export type RoundOutcome =
  /** `leader`: the index of the position that met the quorum. */
  | { outcome: 'quorum'; leader: number; needed: number }
  | {
      outcome: 'no_quorum';
      /** `too_few`: fewer voters than the minimum; `tie`: two positions share the lead; `short`: the lead is below the quorum. */
      reason: 'too_few' | 'tie' | 'short';
      /** The position that leads, when one does alone. */
      leader?: number;
      needed: number;
    };

/** The outcome of a round whose positions have `sizes` votes, of `voters` ballots counted. */
export function roundOutcome(
  sizes: readonly number[],
  voters: number,
  quorum: QuorumConfig,
  minMembers: number,
): RoundOutcome {
  const needed = quorumSize(voters, quorum);
  const top = Math.max(0, ...sizes);
  const leaders = sizes.flatMap((s, i) => (s === top ? [i] : []));
  const leader = leaders.length === 1 ? leaders[0] : undefined;
  const lead = leader === undefined ? {} : { leader };
  if (voters < minMembers) return { outcome: 'no_quorum', reason: 'too_few', needed, ...lead };
  if (leaders.length !== 1) return { outcome: 'no_quorum', reason: 'tie', needed };
  if (!meetsQuorum(top, voters, quorum))
    return { outcome: 'no_quorum', reason: 'short', needed, ...lead };
  return { outcome: 'quorum', leader: leader!, needed };
}

/**
 * The role of member `i` (of `n`) in deliberation round `round` (1, 2, ...): `roles[(i + round)
 * mod R]`, with exactly one dissenter: when the rotation gives none (fewer members than roles),
 * member `round mod n` dissents; when it gives several (more members than roles), the first of
 * them keeps it and the others take the next role that is not the dissenter's.
 */
export function roleOf(i: number, round: number, roles: readonly string[], n: number): string {
  return rolesOf(round, roles, n)[i]!;
}

export function rolesOf(round: number, roles: readonly string[], n: number): string[] {
  const r = roles.length;
  const plain = roles.filter((x) => x !== DISSENTER);
  const base = Array.from({ length: n }, (_, i) => roles[(i + round) % r]!);
  const dissenters = base.flatMap((x, i) => (x === DISSENTER ? [i] : []));
  if (dissenters.length === 0) {
    base[round % n] = DISSENTER;
    return base;
  }
  for (const i of dissenters.slice(1))
    base[i] = plain.length === 0 ? 'member' : plain[(i + round) % plain.length]!;
  return base;
}

/** A text as the `normalized` agreement compares it: lower case, punctuation dropped, spaces one. */
export function normalizeAnswer(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** JSON with its object keys sorted: the same value is the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}
