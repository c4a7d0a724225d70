/**
 * The JetStream resources behind the durable work queue, created idempotently: the work-queue
 * stream, the dead-letter stream, and the KV bucket of results that makes a key's result final.
 */
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { TransportError } from './errors.js';
import {
  consumerName,
  decodeWith,
  DLQ_STREAM,
  encodeJson,
  RESULTS_BUCKET,
  WORK_STREAM,
  workResultSchema,
  workSubject,
  type WorkResult,
} from './natsWorkProtocol.js';

export interface WorkStreamsOptions {
  /** A key submitted again within this window is not enqueued twice. @default 120_000 */
  duplicateWindowMs?: number;
  /** How long a key's result is kept; must exceed `duplicateWindowMs`. @default 3_600_000 */
  resultTtlMs?: number;
  /** How long dead letters are kept; 0 keeps them until deleted. @default 604_800_000 (7 days) */
  deadLetterMaxAgeMs?: number;
  /** @default 'file' */
  storage?: 'file' | 'memory';
}

export async function ensureWorkStreams(
  nc: NatsConnection,
  options: WorkStreamsOptions = {},
): Promise<void> {
  const duplicateWindowMs = options.duplicateWindowMs ?? 120_000;
  const resultTtlMs = options.resultTtlMs ?? 3_600_000;
  const deadLetterMaxAgeMs = options.deadLetterMaxAgeMs ?? 604_800_000;
  const storage = options.storage === 'memory' ? StorageType.Memory : StorageType.File;
  // A resubmit inside the window is swallowed by de-duplication: only the stored result answers it.
  if (!(resultTtlMs > duplicateWindowMs)) {
    throw new TransportError(
      `resultTtlMs (${resultTtlMs}) must exceed duplicateWindowMs (${duplicateWindowMs})`,
    );
  }
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, {
    name: WORK_STREAM,
    subjects: ['maestro.work.>'],
    retention: RetentionPolicy.Workqueue,
    storage,
    duplicate_window: nanos(duplicateWindowMs),
  });
  await ensureStream(jsm, {
    name: DLQ_STREAM,
    subjects: ['maestro.dlq.>'],
    retention: RetentionPolicy.Limits,
    storage,
    max_age: nanos(deadLetterMaxAgeMs),
    duplicate_window: nanos(Math.min(duplicateWindowMs, deadLetterMaxAgeMs || duplicateWindowMs)),
  });
  await new Kvm(nc).create(RESULTS_BUCKET, { history: 1, ttl: resultTtlMs, storage });
}

/** Creates the stream unless it exists (also when another process races us); refuses one with another retention. */
export async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string; retention: RetentionPolicy },
): Promise<void> {
  const existing = await streamInfo(jsm, config.name);
  if (!existing) {
    try {
      await jsm.streams.add(config);
      return;
    } catch (err) {
      // Another process may have created it in between; anything else is real.
      if (!(await streamInfo(jsm, config.name))) throw err;
      return ensureStream(jsm, config);
    }
  }
  if (existing.retention !== config.retention) {
    throw new TransportError(
      `stream ${config.name} exists with retention '${existing.retention}', expected '${config.retention}'`,
    );
  }
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamConfig | undefined> {
  try {
    return (await jsm.streams.info(name)).config;
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)
      return undefined;
    throw err;
  }
}

/** Binds to the results bucket (no round trip); `ensureWorkStreams` must have created it. */
export function openResults(nc: NatsConnection): Promise<KV> {
  return new Kvm(nc).open(RESULTS_BUCKET);
}

export async function readResult(kv: KV, token: string): Promise<WorkResult | undefined> {
  const entry = await kv.get(token);
  if (entry?.operation !== 'PUT') return undefined;
  const decoded = decodeWith(workResultSchema, entry.value);
  return decoded.ok ? decoded.value : undefined;
}

/**
 * Stores `result` as the key's result unless one is stored already (compare-and-set on an empty
 * key), and returns the result that stands: the first one recorded wins, for every worker.
 */
export async function recordResult(kv: KV, token: string, result: WorkResult): Promise<WorkResult> {
  try {
    await kv.create(token, encodeJson(result));
    return result;
  } catch (err) {
    const stored = await readResult(kv, token);
    if (stored) return stored;
    throw err;
  }
}

export interface WorkConsumerConfig {
  ackWaitMs: number;
  maxDeliver: number;
}

/**
 * The durable pull consumer every worker of `capability` shares, created or brought to `config`.
 * Retry delays are not the server's `backoff`: on 2.9 a consumer backoff replaces `ack_wait` by its
 * first step, so the worker applies them itself with `nak(delay)`.
 */
export async function ensureWorkConsumer(
  nc: NatsConnection,
  capability: string,
  config: WorkConsumerConfig,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const name = consumerName(capability);
  const wanted = { ack_wait: nanos(config.ackWaitMs), max_deliver: config.maxDeliver };
  const existing = await consumerInfo(jsm, name);
  if (existing) {
    if (
      existing.config.ack_wait !== wanted.ack_wait ||
      existing.config.max_deliver !== wanted.max_deliver
    ) {
      await jsm.consumers.update(WORK_STREAM, name, wanted);
    }
    return;
  }
  try {
    await jsm.consumers.add(WORK_STREAM, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: workSubject(capability),
      ...wanted,
    });
  } catch (err) {
    // Another worker of the same capability may have created it in between.
    if (!(await consumerInfo(jsm, name))) throw err;
  }
}

async function consumerInfo(
  jsm: JetStreamManager,
  name: string,
): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(WORK_STREAM, name);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)
      return undefined;
    throw err;
  }
}
