/**
 * A council round counted, and the council's result, pure: ballots grouped into positions by
 * their agreement key (largest first; equal sizes in order of first appearance), the quorum
 * judged over those who voted (abstentions and members gone do not count), and the result with
 * its dissent: every minority position, its members, their rationale and confidence, kept even
 * when the quorum is met.
 */
import type { CouncilConfig } from '../../config/council.js';
import type { LogEventOf } from '../../log/missionLogEvent.js';
import { type Ballot, type Cast, isBallot } from './ballot.js';
import { clusterBy, type RoundOutcome, roundOutcome } from './quorum.js';

/** The longest answer text a round's event keeps (the log's size rules; the hash is whole). */
const LOGGED_ANSWER_CHARS = 4000;

export interface Position {
  key: string;
  /** The answer that opened it. */
  answer: string;
  ballots: Ballot[];
}

export interface RoundTally {
  round: number;
  roles: Record<string, string>;
  casts: Cast[];
  positions: Position[];
  voters: number;
  outcome: RoundOutcome;
}

export function tallyRound(
  round: number,
  casts: readonly Cast[],
  roles: Record<string, string>,
  config: Pick<CouncilConfig, 'quorum' | 'minMembers'>,
): RoundTally {
  const ballots = casts.filter(isBallot);
  const groups = clusterBy(ballots, (a, b) => a.key === b.key);
  // Stable: equal sizes keep their order of first appearance.
  const positions = groups
    .map((g) => ({ key: g[0]!.key, answer: g[0]!.answer, ballots: g }))
    .sort((a, b) => b.ballots.length - a.ballots.length);
  const outcome = roundOutcome(
    positions.map((p) => p.ballots.length),
    ballots.length,
    config.quorum,
    config.minMembers,
  );
  return { round, roles, casts: [...casts], positions, voters: ballots.length, outcome };
}

export function roundEvent(
  path: string,
  t: RoundTally,
  gone: readonly { agent: string; reason: string }[],
): LogEventOf<'council.round'> {
  return {
    type: 'council.round',
    path,
    round: t.round,
    casts: t.casts.map((c) => {
      const role = t.roles[c.agent] ?? 'member';
      if (!isBallot(c)) return { agent: c.agent, role, abstained: c.abstained };
      return {
        agent: c.agent,
        role,
        hash: c.hash,
        answer: c.answer.slice(0, LOGGED_ANSWER_CHARS),
        ...(c.rationale !== undefined && { rationale: c.rationale.slice(0, LOGGED_ANSWER_CHARS) }),
        ...(c.confidence !== undefined && { confidence: c.confidence }),
      };
    }),
    gone: [...gone],
    positions: t.positions.map((p) => ({
      answer: p.answer.slice(0, LOGGED_ANSWER_CHARS),
      members: p.ballots.map((b) => b.agent),
    })),
    voters: t.voters,
    needed: t.outcome.needed,
    outcome: t.outcome.outcome,
    ...(t.outcome.outcome === 'no_quorum' && { reason: t.outcome.reason }),
  };
}

export interface CouncilPosition {
  answer: string;
  size: number;
  members: { agent: string; rationale?: string; confidence?: number }[];
}

export interface CouncilResult {
  /**
   * `decided`: a position met the quorum; `plurality`: none did and the largest was taken, as
   * asked (`onNoQuorum: plurality`); `escalated`: none did, for a person to decide at the gate;
   * `no_quorum`: none did (`onNoQuorum: fail`).
   */
  outcome: 'decided' | 'plurality' | 'escalated' | 'no_quorum';
  decision?: string;
  quorum: { agree: number; of: number; needed: number; voters: number };
  /** Every position of the last round, the leading one first. */
  positions: CouncilPosition[];
  /** The minority positions (all but the decision's), each with its members' reasons. */
  dissent: CouncilPosition[];
  abstained: { agent: string; reason: string }[];
  gone: { agent: string; reason: string }[];
  /** The decision in the council's voice (its `synthesizer`), or why there is none. */
  synthesis?: string;
  synthesisError?: string;
  metrics: {
    /** Deliberation rounds held after the first answers. */
    rounds: number;
    /** The largest position's share of the votes, each round (round 0 first). */
    agreement: number[];
    /** Rounds after which another position led than before. */
    leaderChanges: number;
    /** Members' calls (ballots asked), abstentions included. */
    calls: number;
    costUsd: number;
  };
}

export function councilResult(
  rounds: readonly RoundTally[],
  config: Pick<CouncilConfig, 'quorum' | 'onNoQuorum'>,
  gone: readonly { agent: string; reason: string }[],
  spent: { calls: number; costUsd: number },
): CouncilResult {
  const last = rounds.at(-1)!;
  const met = last.outcome.outcome === 'quorum';
  const outcome: CouncilResult['outcome'] = met
    ? 'decided'
    : config.onNoQuorum === 'plurality' && last.outcome.leader !== undefined
      ? 'plurality'
      : config.onNoQuorum === 'escalate'
        ? 'escalated'
        : 'no_quorum';
  const view = (p: Position): CouncilPosition => ({
    answer: p.answer,
    size: p.ballots.length,
    members: p.ballots.map((b) => ({
      agent: b.agent,
      ...(b.rationale !== undefined && { rationale: b.rationale }),
      ...(b.confidence !== undefined && { confidence: b.confidence }),
    })),
  });
  const positions = last.positions.map(view);
  const decided = outcome === 'decided' || outcome === 'plurality';
  const leaders = rounds.map((r) => r.positions[0]?.key);
  return {
    outcome,
    ...(decided && { decision: last.positions[0]!.answer }),
    quorum: { ...config.quorum, needed: last.outcome.needed, voters: last.voters },
    positions,
    dissent: positions.slice(1),
    abstained: last.casts.flatMap((c) =>
      isBallot(c) ? [] : [{ agent: c.agent, reason: c.abstained }],
    ),
    gone: [...gone],
    metrics: {
      rounds: rounds.length - 1,
      agreement: rounds.map((r) =>
        r.voters === 0 ? 0 : (r.positions[0]?.ballots.length ?? 0) / r.voters,
      ),
      leaderChanges: leaders.slice(1).filter((k, i) => k !== leaders[i]).length,
      calls: spent.calls,
      costUsd: spent.costUsd,
    },
  };
}
