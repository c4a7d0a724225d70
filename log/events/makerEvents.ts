/** A MAKER task's votes and its snapshots (a resumed task goes on from the last one). */
import { z } from 'zod';
import { usageSchema } from './common.js';

export const makerVote = z.object({
  type: z.literal('maker.vote'),
  path: z.string(),
  k: z.number().optional(),
  step: z.number(),
  outcome: z.enum(['decided', 'exhausted']),
  samples: z.number(),
  margin: z.number().optional(),
  answer: z.string().optional(),
  /** Red-flagged samples, by rule. */
  flagged: z.partialRecord(z.string(), z.number()).optional(),
  /** Votes per distinct answer, when more than one answer was seen. */
  tallies: z.record(z.string(), z.number()).optional(),
});

export const makerSnapshot = z.object({
  type: z.literal('maker.snapshot'),
  path: z.string(),
  step: z.number(),
  /** The task's state after `step` steps, as its step task serializes it. */
  state: z.unknown(),
  previous: z.string().optional(),
  samples: z.number(),
  flagged: z.number(),
  exhausted: z.number().optional(),
  usage: usageSchema.optional(),
});

export const makerEvents = [makerVote, makerSnapshot] as const;
