/**
 * The messages Maestro sends over a transport, each with a zod schema and a version `v`. A
 * receiver parses every payload; one that fails is dropped (or answered with an error when a
 * reply is expected), logged and counted, never a crash.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

export const AGENT_CALL_SUBJECT_PREFIX = 'maestro.agent.call.';

/** Subject on which the providers serving `providerId` take agent calls (one queue group). */
export function agentCallSubject(providerId: string): string {
  return `${AGENT_CALL_SUBJECT_PREFIX}${providerId}`;
}
export const AGENT_CALL_QUEUE = 'maestro.providers';

export const agentCallRequestSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  /** Idempotency key: the same key is the same call. */
  id: z.string().min(1),
  provider: z.string().min(1),
  /**
   * The hash of the provider definition the mission names (config/providerIdentity.ts): a
   * worker that runs another one refuses the call rather than run a provider nobody asked for.
   */
  definition: z.string().min(1).optional(),
  request: z.strictObject({
    model: z.string().optional(),
    system: z.string().optional(),
    prompt: z.string(),
    temperature: z.number().optional(),
    maxTokens: z.int().positive().optional(),
    idempotencyKey: z.string().optional(),
    caller: z.string().optional(),
  }),
});
export type AgentCallRequest = z.output<typeof agentCallRequestSchema>;

const usageSchema = z.strictObject({
  promptTokens: z.number().nonnegative(),
  completionTokens: z.number().nonnegative(),
  totalTokens: z.number().nonnegative(),
  estimated: z.boolean().optional(),
});

export const wireErrorSchema = z.looseObject({
  name: z.string(),
  message: z.string(),
  kind: z.string().optional(),
  retryable: z.boolean().optional(),
  provider: z.string().optional(),
});
export type WireError = z.output<typeof wireErrorSchema>;

export const agentCallReplySchema = z.discriminatedUnion('ok', [
  z.strictObject({
    v: z.literal(PROTOCOL_VERSION),
    ok: z.literal(true),
    result: z.strictObject({
      text: z.string(),
      usage: usageSchema,
      costUsd: z.number().nonnegative(),
      latencyMs: z.number().nonnegative(),
      provider: z.string(),
      model: z.string(),
    }),
  }),
  z.strictObject({ v: z.literal(PROTOCOL_VERSION), ok: z.literal(false), error: wireErrorSchema }),
]);
export type AgentCallReply = z.output<typeof agentCallReplySchema>;

/** A parse failure as one line: `request.prompt: expected string` (first issue only). */
export function describeParseError(error: z.ZodError): string {
  const i = error.issues[0];
  if (!i) return 'invalid message';
  const path = i.path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
  return path ? `${path}: ${i.message}` : i.message;
}
