/**
 * A council stage's rounds (since 0.2): one event a round, with who held which role, every
 * member's ballot (its answer's hash, the answer within the log's size rules, rationale and
 * confidence) or abstention, the positions the agreement formed, and whether the quorum was met.
 * The council's result (decision and dissent) is its stage's `stage.finished` output.
 */
import { z } from 'zod';

const cast = z.union([
  z.object({
    agent: z.string(),
    role: z.string(),
    hash: z.string(),
    answer: z.string(),
    rationale: z.string().optional(),
    confidence: z.number().optional(),
  }),
  z.object({ agent: z.string(), role: z.string(), abstained: z.string() }),
]);

export const councilRound = z.object({
  type: z.literal('council.round'),
  /** The council worker's path (`mission/<id>/stage/<name>/council`). */
  path: z.string(),
  /** 0: the first, independent answers; 1, 2, ...: the deliberation rounds. */
  round: z.number(),
  casts: z.array(cast),
  /** Members who left (their worker kept failing), with why. */
  gone: z.array(z.object({ agent: z.string(), reason: z.string() })),
  /** Each position: the answer that opened it and its members, largest first. */
  positions: z.array(z.object({ answer: z.string(), members: z.array(z.string()) })),
  voters: z.number(),
  /** Ballots a position needed to meet the quorum. */
  needed: z.number(),
  outcome: z.enum(['quorum', 'no_quorum']),
  /** Why no quorum: `too_few` voters, a `tie` at the top, or the lead `short` of it. */
  reason: z.enum(['too_few', 'tie', 'short']).optional(),
});

export const councilEvents = [councilRound] as const;
