/** Shapes several mission log events share. */
import { z } from 'zod';

/** What a mission has spent: tokens, money, samples (model calls) and wall time. */
export const usageSchema = z.object({
  tokens: z.number(),
  costUsd: z.number(),
  samples: z.number(),
  wallTimeMs: z.number(),
});

/** Why something failed or ended early: a machine-readable reason and a sentence. */
export const failureSchema = z.object({ reason: z.string(), message: z.string() });

/** Tokens a model call used, as its provider reported them. */
export const tokenUsageSchema = z.object({
  promptTokens: z.number().optional(),
  completionTokens: z.number().optional(),
  totalTokens: z.number().optional(),
  /** Guessed from the text's length: the provider reported none. */
  estimated: z.boolean().optional(),
});
