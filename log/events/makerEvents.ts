/**
 * A MAKER task's votes, its snapshots (a resumed task goes on from the last one) and the samples
 * of a step it was stopped in.
 */
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

/**
 * The samples a step had drawn when its runner was stopped (a graceful shutdown) before its vote
 * was decided: a resumed runner counts them instead of drawing them again (since 0.2). One line
 * per stop, not per sample: a kill -9 leaves none, and the step draws its samples again.
 */
export const makerSamples = z.object({
  type: z.literal('maker.samples'),
  path: z.string(),
  step: z.number(),
  /** sha256 of the step's prompt, first 16 hex: the samples answer that prompt only. */
  promptHash: z.string(),
  samples: z.array(
    z.object({
      /** The sample's index in its vote (its caller's `#<step>.<index>`). */
      index: z.number(),
      text: z.string(),
      completionTokens: z.number().optional(),
      /** A lost draw: the call failed with this error (counted as the red flag `lost`). */
      lost: z.string().optional(),
    }),
  ),
});

export const makerEvents = [makerVote, makerSnapshot, makerSamples] as const;
