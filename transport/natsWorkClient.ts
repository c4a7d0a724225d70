/**
 * The orchestrator's side of the durable work queue: submit a keyed job and wait for its result.
 * A key's result is final once recorded in MAESTRO_RESULTS, so submitting a key again (after a
 * timeout, a restart, a replayed snapshot) returns that result instead of running the job again.
 * Aborting or timing out stops the waiting, not the job: it stays queued and its result is kept.
 */
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { headers, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { pino, type Logger } from 'pino';
import { InvalidPayloadError, RequestTimeoutError, TransportError } from './errors.js';
import {
  assertCapability,
  decodeWith,
  encodeJson,
  KEY_TOKEN_HEADER,
  keyToken,
  resultKey,
  resultSubject,
  WorkEnqueueError,
  WorkFailedError,
  workJobSchema,
  workResultSchema,
  workStartedSchema,
  workSubject,
  type WorkResult,
  type WorkStarted,
} from './natsWorkProtocol.js';
import { openResults, readResult } from './natsWorkStreams.js';
import { PROTOCOL_VERSION } from './protocol.js';
import type { Json } from './transport.js';

export interface WorkClientOptions {
  /** Records never carry payloads or keys, only capabilities and key tokens. @default silent */
  logger?: Logger;
}

export interface WorkJobInput {
  /** Idempotency key: the same key for the same capability is the same job. */
  key: string;
  payload: Json;
}

export interface SubmitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** A worker started the job (each delivery): which worker, which delivery, its ack wait. */
  onStarted?: (started: WorkStarted['started']) => void;
}

export class WorkClient {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #logger: Logger;
  #kv: Promise<KV> | undefined;
  #malformedResults = 0;

  constructor(nc: NatsConnection, options: WorkClientOptions = {}) {
    this.#nc = nc;
    this.#js = jetstream(nc);
    this.#logger = options.logger ?? pino({ level: 'silent' });
  }

  /** Result messages dropped because they did not parse. */
  get malformedResults(): number {
    return this.#malformedResults;
  }

  /** Enqueues the job (once per key) and resolves with its result; rejects with `WorkFailedError` for an error result. */
  async submit(capability: string, job: WorkJobInput, options: SubmitOptions): Promise<Json> {
    assertCapability(capability);
    const subject = workSubject(capability);
    if (typeof job.key !== 'string' || job.key === '')
      throw new TransportError(`job key must be a non-empty string: '${subject}'`);
    const envelope = workJobSchema.safeParse({
      v: PROTOCOL_VERSION,
      key: job.key,
      capability,
      payload: job.payload,
    });
    if (!envelope.success) throw new InvalidPayloadError(subject, { cause: envelope.error });
    options.signal?.throwIfAborted();
    const token = keyToken(capability, job.key);
    const kv = await (this.#kv ??= openResults(this.#nc));

    let deliver!: (result: WorkResult) => void;
    const arrived = new Promise<WorkResult>((resolve) => (deliver = resolve));
    // Subscribe before looking in KV: a result recorded after the look-up is published after this.
    const sub: Subscription = this.#nc.subscribe(resultSubject(capability, token), {
      callback: (err, msg) => {
        if (err) return;
        const decoded = decodeWith(workResultSchema, msg.data);
        if (!decoded.ok) {
          const started = decodeWith(workStartedSchema, msg.data);
          if (started.ok && started.value.key === job.key)
            return options.onStarted?.(started.value.started);
        }
        if (!decoded.ok || decoded.value.key !== job.key) {
          this.#malformedResults++;
          this.#logger.warn(
            { capability, token, reason: decoded.ok ? 'key mismatch' : decoded.reason },
            'malformed work result dropped',
          );
          return;
        }
        deliver(decoded.value);
      },
    });
    const cleanup: (() => void)[] = [() => sub.unsubscribe()];
    try {
      const stored = await readResult(kv, resultKey(capability, token));
      if (stored) return settle(capability, stored);
      const h = headers();
      h.set(KEY_TOKEN_HEADER, token);
      try {
        const ack = await this.#js.publish(subject, encodeJson(envelope.data), {
          msgID: token,
          headers: h,
        });
        this.#logger.debug(
          { capability, token, seq: ack.seq, duplicate: ack.duplicate },
          'work submitted',
        );
      } catch (err) {
        throw new WorkEnqueueError(subject, { cause: err });
      }
      const outcome = await Promise.race([
        arrived,
        new Promise<'timeout'>((resolve) => {
          const timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
          cleanup.push(() => clearTimeout(timer));
        }),
        new Promise<never>((_, reject) => {
          const signal = options.signal;
          if (!signal) return;
          if (signal.aborted) return reject(signal.reason);
          const onAbort = () => reject(signal.reason);
          signal.addEventListener('abort', onAbort, { once: true });
          cleanup.push(() => signal.removeEventListener('abort', onAbort));
        }),
      ]);
      if (outcome !== 'timeout') return settle(capability, outcome);
      // The result may have been recorded while its message was lost (a reconnect, a slow consumer).
      const late = await readResult(kv, resultKey(capability, token));
      if (late) return settle(capability, late);
      throw new RequestTimeoutError(subject, options.timeoutMs);
    } finally {
      for (const f of cleanup) f();
    }
  }
}

function settle(capability: string, result: WorkResult): Json {
  if (result.ok) return result.result as Json;
  throw new WorkFailedError(capability, result.error);
}
