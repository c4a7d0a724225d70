/** A stage's human approval gate: asked, answered (once: a second answer changes nothing), closed. */
import { z } from 'zod';

export const approvalDecision = z.enum(['approve', 'reject']);

export const approvalRequested = z.object({
  type: z.literal('approval.requested'),
  /** `<mission>/<stage>/<attempt>`: stable across restarts. */
  id: z.string(),
  stage: z.string(),
  index: z.number(),
  attempt: z.number(),
  output: z.string(),
  requestedAt: z.string().optional(),
  timeoutAt: z.string().optional(),
  onTimeout: approvalDecision.optional(),
});

export const approvalAnswered = z.object({
  type: z.literal('approval.answered'),
  id: z.string(),
  decision: approvalDecision,
  feedback: z.string().optional(),
  /** `api`, `nats`, `inspector`, `terminal` or `timeout`. */
  by: z.string().optional(),
});

/** The mission ended at the gate (stopped, failed) before anyone answered. */
export const approvalClosed = z.object({
  type: z.literal('approval.closed'),
  id: z.string(),
  reason: z.string(),
  message: z.string(),
});

export const approvalEvents = [approvalRequested, approvalAnswered, approvalClosed] as const;
