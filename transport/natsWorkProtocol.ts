/**
 * Names, envelopes and errors of the durable work queue (JetStream). A job is keyed by an
 * idempotency key; subjects, KV keys and message ids use a token derived from the capability and
 * the key (a SHA-256, base64url), so any key is safe on the wire and never appears in a subject.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidSubjectError, TransportError } from './errors.js';
import { PROTOCOL_VERSION, wireErrorSchema, type WireError } from './protocol.js';
import type { Json } from './transport.js';

export const WORK_STREAM = 'MAESTRO_WORK';
export const DLQ_STREAM = 'MAESTRO_DLQ';
export const RESULTS_BUCKET = 'MAESTRO_RESULTS';
/** Header on every job and dead letter: the job's token (never the key itself). */
export const KEY_TOKEN_HEADER = 'Maestro-Key-Token';
export const DEAD_LETTER_DELIVERIES_HEADER = 'Maestro-Dead-Letter-Deliveries';

export function workSubject(capability: string): string {
  return `maestro.work.${capability}`;
}
export function deadLetterSubject(capability: string): string {
  return `maestro.dlq.${capability}`;
}
/**
 * Where a job's start notices and result go: under its capability, so that NATS permissions can
 * let a worker answer only the jobs of the capabilities it serves (maestro nats-config).
 */
export function resultSubject(capability: string, token: string): string {
  return `maestro.result.${capability}.${token}`;
}

/** The job's key in the results bucket: under its capability too, for the same permissions. */
export function resultKey(capability: string, token: string): string {
  return `${capability}.${token}`;
}
export function consumerName(capability: string): string {
  return `maestro-${capability}`;
}

const CAPABILITY = /^[A-Za-z0-9_-]{1,64}$/;

/** A capability is one subject token, also valid in a consumer name. */
export function assertCapability(capability: string): void {
  if (typeof capability !== 'string' || !CAPABILITY.test(capability))
    throw new InvalidSubjectError(workSubject(String(capability)));
}

/** The subject-, KV- and header-safe token of a job: the same key for another capability is another job. */
export function keyToken(capability: string, key: string): string {
  return createHash('sha256').update(capability).update('\0').update(key).digest('base64url');
}

export const workJobSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  key: z.string().min(1),
  capability: z.string().regex(CAPABILITY),
  payload: z.json(),
});
export type WorkJob = z.output<typeof workJobSchema>;

export const workResultSchema = z.discriminatedUnion('ok', [
  z.strictObject({
    v: z.literal(PROTOCOL_VERSION),
    key: z.string().min(1),
    ok: z.literal(true),
    result: z.json(),
  }),
  z.strictObject({
    v: z.literal(PROTOCOL_VERSION),
    key: z.string().min(1),
    ok: z.literal(false),
    error: wireErrorSchema,
  }),
]);
export type WorkResult = z.output<typeof workResultSchema>;

/**
 * Sent by a worker on the job's result subject when it starts running it: who holds the job,
 * which delivery this is, and how long JetStream waits for a sign of life before delivering it
 * again; so the caller can say which calls a lost worker held and when they come back.
 */
export const workStartedSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  key: z.string().min(1),
  started: z.strictObject({
    worker: z.string().min(1),
    /** 1 on the first delivery. */
    delivery: z.int().positive(),
    ackWaitMs: z.int().positive(),
    /** Deliveries in all; after the last one a failing job is dead-lettered. */
    maxDeliver: z.int().positive(),
  }),
});
export type WorkStarted = z.output<typeof workStartedSchema>;

/** `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>` as nats-server 2.9 sends it. */
export const maxDeliveriesAdvisorySchema = z.looseObject({
  type: z.literal('io.nats.jetstream.advisory.v1.max_deliver'),
  stream: z.string(),
  consumer: z.string(),
  stream_seq: z.int().positive(),
  deliveries: z.int().nonnegative(),
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Parses bytes as JSON then with `schema`; returns the first problem instead of throwing. */
export function decodeWith<T>(
  schema: z.ZodType<T>,
  data: Uint8Array,
): { ok: true; value: T } | { ok: false; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(data));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const path = issue?.path.join('.') ?? '';
  return { ok: false, reason: path ? `${path}: ${issue?.message}` : (issue?.message ?? 'invalid') };
}

/** A job that ended with an error result: the handler's (non-retryable or out of retries) or a dead letter. */
export class WorkFailedError extends TransportError {
  override name = 'WorkFailedError';
  constructor(
    readonly capability: string,
    readonly remote: WireError,
  ) {
    super(`work failed: ${remote.message}: '${workSubject(capability)}'`);
  }
  /** The job was moved to the dead-letter stream after its last delivery. */
  get deadLettered(): boolean {
    return this.remote.kind === 'dead_letter';
  }
}

/** Jetstream refused the job (no stream, no JetStream, a timeout). */
export class WorkEnqueueError extends TransportError {
  override name = 'WorkEnqueueError';
  constructor(
    readonly subject: string,
    options?: { cause?: unknown },
  ) {
    super(`work not enqueued: '${subject}'`, options);
  }
}

export function okResult(key: string, result: Json): WorkResult {
  return { v: PROTOCOL_VERSION, key, ok: true, result };
}
export function errorResult(key: string, error: WireError): WorkResult {
  return { v: PROTOCOL_VERSION, key, ok: false, error };
}
