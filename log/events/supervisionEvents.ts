/** Supervisors' decisions, agents' calls, and remote workers joining, leaving and lost. */
import { z } from 'zod';
import { tokenUsageSchema } from './common.js';

/** OTP's report keys: supervisor, errorContext, reason, offender; and what was done. */
export const supervisorDecision = z.object({
  type: z.literal('supervisor.decision'),
  at: z.number(),
  supervisor: z.string(),
  errorContext: z.string(),
  reason: z.string(),
  // Logs of releases before 0.1 have no pid, shutdown or significant.
  offender: z
    .object({
      id: z.string(),
      path: z.string(),
      pid: z.string().optional(),
      restart: z.string().optional(),
      shutdown: z.union([z.string(), z.number()]).optional(),
      significant: z.boolean().optional(),
      type: z.string().optional(),
      restarts: z.number().optional(),
    })
    .optional(),
  exit: z.string().optional(),
  action: z.string(),
  group: z.array(z.string()).optional(),
  delayMs: z.number().optional(),
});

/** One model call of an agent: its answer's size, usage and cost, or its error. */
export const agentCall = z.object({
  type: z.literal('agent.call'),
  path: z.string().optional(),
  agent: z.string().optional(),
  provider: z.string().optional(),
  attempt: z.number().optional(),
  ok: z.boolean(),
  model: z.string().optional(),
  usage: tokenUsageSchema.optional(),
  costUsd: z.number().optional(),
  latencyMs: z.number().optional(),
  chars: z.number().optional(),
  error: z.string().optional(),
  errorName: z.string().optional(),
  /** The answer, so that a resumed mission replays it instead of asking again (since 0.2). */
  text: z.string().optional(),
  /**
   * sha256 of the prompt (of a plan task's step and inputs, without the board it was shown),
   * first 16 hex: an answer is replayed only for the question it answered.
   */
  promptHash: z.string().optional(),
});

export const workerJoined = z.object({
  type: z.literal('worker.joined'),
  worker: z.string(),
  capabilities: z.array(z.string()),
  host: z.string().optional(),
  pid: z.number().optional(),
});

export const workerLeft = z.object({ type: z.literal('worker.left'), worker: z.string() });

export const workerLost = z.object({
  type: z.literal('worker.lost'),
  worker: z.string(),
  capabilities: z.array(z.string()),
  reason: z.string(),
  heartbeatAt: z.string(),
  silentForMs: z.number(),
  /** Calls it held, each delivered again. */
  calls: z.number(),
});

export const workerMismatch = z.object({
  type: z.literal('worker.mismatch'),
  worker: z.string(),
  provider: z.string(),
  differences: z.array(z.string()).optional(),
  message: z.string(),
});

/** A lost worker held this call: JetStream delivers it again once its ack wait runs out. */
export const callRedelivery = z.object({
  type: z.literal('call.redelivery'),
  provider: z.string(),
  caller: z.string().optional(),
  worker: z.string(),
  attempt: z.number(),
  maxDeliveries: z.number(),
  redeliverBy: z.string(),
  ackWaitMs: z.number().optional(),
  /** The lost delivery was the last one: the call goes to the dead letters and fails instead. */
  deadLetter: z.boolean().optional(),
});

export const callRedelivered = z.object({
  type: z.literal('call.redelivered'),
  provider: z.string(),
  caller: z.string().optional(),
  worker: z.string(),
  attempt: z.number(),
  maxDeliveries: z.number(),
  from: z.string(),
});

export const supervisionEvents = [
  supervisorDecision,
  agentCall,
  workerJoined,
  workerLeft,
  workerLost,
  workerMismatch,
  callRedelivery,
  callRedelivered,
] as const;
