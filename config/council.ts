/**
 * A council stage: several members (agents, ideally on different models) answer one question,
 * then deliberate over rounds in rotating roles, one of them the dissenter who argues against the
 * leading position, until the largest group of agreeing answers meets an exact quorum (`agree`
 * of `of`, in integers: 2/3 of 50 is 34, not 33). Dissent is kept: the result names every
 * minority position, its members, their rationale and confidence.
 */
import { z } from 'zod';

const idSchema = z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, _ or - only');

export const COUNCIL_ROLES = ['scribe', 'dissenter', 'strategist', 'analyst', 'arbiter'] as const;
export const DISSENTER = 'dissenter';

/** How two answers are judged the same. */
export const agreementSchema = z.union([
  /** `exact`: byte for byte; `normalized`: case, whitespace and punctuation aside. */
  z.enum(['exact', 'normalized']),
  /** The canonical JSON of one field of each ballot (`answer`, `answer.value`). */
  z.strictObject({ kind: z.literal('json'), field: z.string().min(1) }),
  /**
   * An agent asked whether two answers agree (answers the same once normalized need no asking),
   * each pair once per council; an answer it gives that is no verdict counts as "not the same".
   */
  z.strictObject({ kind: z.literal('judge'), agent: idSchema }),
]);
export type AgreementConfig = z.output<typeof agreementSchema>;

export const quorumSchema = z
  .strictObject({ agree: z.int().min(1), of: z.int().min(1) })
  .refine((q) => q.agree <= q.of, {
    message: 'expected a fraction in (0, 1]: agree at most of',
  });
export type QuorumConfig = z.output<typeof quorumSchema>;

export const councilSchema = z.strictObject({
  /** The question; `{{input}}` and `{{previous}}` as in a stage prompt. @default the stage's prompt */
  question: z.string().min(1).optional(),
  /** The agents who sit on it. */
  members: z.array(idSchema).min(1, 'expected at least 1 member'),
  /** Deliberation rounds after the first answers, at most. @default 3 */
  rounds: z.int().min(0).max(10).default(3),
  /** The roles, rotated by round: member i takes role (i + round) mod R. @default scribe, dissenter, strategist, analyst, arbiter */
  roles: z
    .array(z.string().min(1))
    .min(1, 'expected at least 1 role')
    .default([...COUNCIL_ROLES]),
  /** @default {agree: 2, of: 3} */
  quorum: quorumSchema.default({ agree: 2, of: 3 }),
  /** Members whose ballots count, at least: fewer is no quorum, whatever they say. @default 3 */
  minMembers: z.int().min(1).default(3),
  /** @default 'normalized' */
  agreement: agreementSchema.default('normalized'),
  /** Members see "Response A", "Response B", not who wrote them. @default true */
  anonymize: z.boolean().default(true),
  /**
   * No quorum after the last round: `escalate` asks a person at a gate (the positions and the
   * dissent before them), `fail` fails the stage, `plurality` takes the largest group and says
   * so. @default 'escalate'
   */
  onNoQuorum: z.enum(['escalate', 'fail', 'plurality']).default('escalate'),
  /** Writes the decision in the council's voice once it is reached (an arbiter, a scribe). @default none */
  synthesizer: idSchema.optional(),
});
export type CouncilConfig = z.output<typeof councilSchema>;
