import { z } from 'zod';

/**
 * A human approval gate after a stage: its output waits, durably, for approve or reject. A
 * rejection with feedback runs the stage again with the feedback added to its prompt.
 */
export const approvalSchema = z.strictObject({
  /** Wait at most this long, then take `onTimeout`. @default no timeout */
  timeoutMs: z.int().positive().optional(),
  /** What a timeout decides; a rejection by timeout fails the mission (no revision). @default 'reject' */
  onTimeout: z.enum(['approve', 'reject']).default('reject'),
  /** Rejections that send the stage back to run again; one more fails the mission (`rejected`). @default 2 */
  maxRevisions: z.int().nonnegative().default(2),
});
export type ApprovalConfig = z.output<typeof approvalSchema>;
