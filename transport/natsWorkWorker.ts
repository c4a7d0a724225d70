/**
 * The worker's side of the durable work queue. Each capability has one durable pull consumer that
 * all its workers share; a worker keeps at most `concurrency` jobs in flight, one pull per free
 * slot, so nothing waits in a local buffer while its ack timer runs. A job whose key already has a
 * recorded result is answered from the record and never run again; a long job heartbeats with
 * `working()`; a retryable failure is handed back with `nak(delay)` until its last delivery.
 */
import { jetstream, type Consumer, type JsMsg } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { pino, type Logger } from 'pino';
import { errorMessage } from '../kernel/errors.js';
import {
  assertCapability,
  consumerName,
  decodeWith,
  encodeJson,
  errorResult,
  keyToken,
  okResult,
  resultKey,
  resultSubject,
  WORK_STREAM,
  workJobSchema,
  workResultSchema,
  type WorkResult,
  type WorkStarted,
} from './natsWorkProtocol.js';
import { PROTOCOL_VERSION, wireErrorSchema, type WireError } from './protocol.js';
import { ensureWorkConsumer, openResults, readResult, recordResult } from './natsWorkStreams.js';
import type { Json } from './transport.js';

export interface WorkHandlerContext {
  key: string;
  /** 1 on the first delivery. */
  deliveryCount: number;
  /** Aborted when the worker is stopped. */
  signal: AbortSignal;
}

/**
 * Runs a job. A failure it throws that ends the job (not retryable, or on the last delivery) is
 * recorded as its name, message and `kind`, or as its `wire` field when that is a wire error (a
 * provider's serialized error, so the caller can rebuild it).
 */
export type WorkHandler = (payload: Json, context: WorkHandlerContext) => Promise<Json>;

export interface WorkerStartOptions {
  /** Jobs worked on at once. @default 1 */
  concurrency?: number;
  /** A job neither acked nor heartbeaten for this long is delivered again. @default 30_000 */
  ackWaitMs?: number;
  /** Deliveries of a job, retries included; after the last one it is dead-lettered. @default 5 */
  maxDeliver?: number;
  /** Delay before the redelivery after the n-th retryable failure; the last one repeats. @default [1000, 5000, 15000] */
  backoffMs?: number[];
  /** How long one pull waits for a job (at least 1000); `drain()` may wait this long. @default 5000 */
  pullExpiresMs?: number;
  /** @default every error except one with `retryable: false` */
  isRetryable?: (err: unknown) => boolean;
}

export interface WorkWorkerStats {
  /** Jobs run to a success result here. */
  completed: number;
  /** Jobs answered from a recorded result without running. */
  replayed: number;
  /** Jobs that ended with an error result here. */
  failed: number;
  /** Retryable failures handed back for redelivery. */
  retried: number;
  /** Job messages that did not parse, terminated. */
  malformed: number;
  inFlight: number;
}

interface Lane {
  capability: string;
  consumer: Consumer;
  handler: WorkHandler;
  options: Required<WorkerStartOptions>;
  loops: Promise<void>[];
}

export class WorkWorker {
  readonly #nc: NatsConnection;
  readonly #logger: Logger;
  readonly #lanes: Lane[] = [];
  readonly #stopping = new AbortController();
  readonly #workerId: string | undefined;
  #draining = false;
  #kv: Promise<KV> | undefined;
  readonly #stats: WorkWorkerStats = {
    completed: 0,
    replayed: 0,
    failed: 0,
    retried: 0,
    malformed: 0,
    inFlight: 0,
  };

  /** `workerId`: named to the caller when a job starts here (a `started` notice on its result subject). */
  constructor(nc: NatsConnection, options: { logger?: Logger; workerId?: string } = {}) {
    this.#nc = nc;
    this.#logger = options.logger ?? pino({ level: 'silent' });
    this.#workerId = options.workerId;
  }

  get stats(): Readonly<WorkWorkerStats> {
    return { ...this.#stats };
  }

  /** Creates or updates the capability's consumer and starts taking its jobs. */
  async start(
    capability: string,
    handler: WorkHandler,
    options: WorkerStartOptions = {},
  ): Promise<void> {
    assertCapability(capability);
    if (this.#draining || this.#stopping.signal.aborted) throw new Error('work worker is stopping');
    const opts: Required<WorkerStartOptions> = {
      concurrency: options.concurrency ?? 1,
      ackWaitMs: options.ackWaitMs ?? 30_000,
      maxDeliver: options.maxDeliver ?? 5,
      backoffMs: options.backoffMs ?? [1000, 5000, 15000],
      pullExpiresMs: Math.max(1000, options.pullExpiresMs ?? 5000),
      isRetryable: options.isRetryable ?? defaultIsRetryable,
    };
    await ensureWorkConsumer(this.#nc, capability, opts);
    this.#kv ??= openResults(this.#nc);
    const consumer = await jetstream(this.#nc).consumers.get(WORK_STREAM, consumerName(capability));
    const lane: Lane = { capability, consumer, handler, options: opts, loops: [] };
    for (let i = 0; i < opts.concurrency; i++) lane.loops.push(this.#slot(lane));
    this.#lanes.push(lane);
  }

  /** Takes no new jobs, lets the ones in flight finish and be acked, then resolves. */
  async drain(): Promise<void> {
    this.#draining = true;
    await Promise.all(this.#lanes.flatMap((l) => l.loops));
  }

  /**
   * Stops at once, like a crash: handlers are aborted and jobs in flight are neither acked nor
   * answered, so they are delivered again after `ackWaitMs`.
   */
  async stop(): Promise<void> {
    this.#stopping.abort(new Error('work worker stopped'));
  }

  async #slot(lane: Lane): Promise<void> {
    const stopped = this.#stopping.signal;
    while (!this.#draining && !stopped.aborted) {
      let msg: JsMsg | null;
      try {
        msg = await lane.consumer.next({ expires: lane.options.pullExpiresMs });
      } catch (err) {
        if (this.#draining || stopped.aborted) return;
        this.#logger.warn(
          { capability: lane.capability, err: errorMessage(err) },
          'work pull failed',
        );
        await sleep(1000);
        continue;
      }
      if (!msg) continue;
      // A pull issued before the stop: hand its job back at once rather than sit on it.
      if (this.#draining || stopped.aborted) return tryTo(() => msg.nak());
      await this.#handle(lane, msg);
    }
  }

  async #handle(lane: Lane, msg: JsMsg): Promise<void> {
    const { capability, options } = lane;
    const decoded = decodeWith(workJobSchema, msg.data);
    if (!decoded.ok || decoded.value.capability !== capability) {
      this.#stats.malformed++;
      this.#logger.warn(
        { capability, seq: msg.seq, reason: decoded.ok ? 'capability mismatch' : decoded.reason },
        'malformed job terminated',
      );
      return tryTo(() => msg.term());
    }
    const job = decoded.value;
    const token = keyToken(capability, job.key);
    const stopped = this.#stopping.signal;
    this.#stats.inFlight++;
    // Heartbeats for the whole job, the result's recording included.
    const heartbeat = setInterval(
      () => {
        // A stopped worker is a dead one even if its handler ignores the abort: its job must time out.
        if (stopped.aborted) clearInterval(heartbeat);
        else tryTo(() => msg.working());
      },
      Math.max(1, Math.floor(options.ackWaitMs / 3)),
    );
    try {
      const kv = await this.#kv!;
      const stored = await readResult(kv, resultKey(capability, token));
      if (stored) {
        this.#answer(capability, token, stored, msg);
        this.#stats.replayed++;
        return;
      }
      const deliveryCount = msg.info.deliveryCount;
      this.#started(capability, token, job.key, deliveryCount, options);
      let outcome: WorkResult | undefined;
      try {
        const value = await lane.handler(job.payload as Json, {
          key: job.key,
          deliveryCount,
          signal: stopped,
        });
        outcome = okResult(job.key, value);
        if (!workResultSchema.safeParse(outcome).success) {
          outcome = errorResult(job.key, {
            name: 'InvalidResultError',
            message: 'handler result is not JSON',
            retryable: false,
          });
        }
      } catch (err) {
        if (stopped.aborted) return;
        const retryable = options.isRetryable(err);
        if (retryable && deliveryCount < options.maxDeliver) {
          const delays = options.backoffMs;
          const delay =
            delays.length === 0 ? 0 : delays[Math.min(deliveryCount - 1, delays.length - 1)]!;
          this.#stats.retried++;
          this.#logger.info(
            { capability, token, deliveryCount, delayMs: delay, err: errorMessage(err) },
            'work failed, will retry',
          );
          return tryTo(() => msg.nak(delay));
        }
        outcome = errorResult(job.key, { ...wireError(err), retryable, deliveries: deliveryCount });
      }
      // A stopped worker is a dead one: whatever its handler returned late, it records nothing.
      if (stopped.aborted) return;
      const standing = await recordResult(kv, resultKey(capability, token), outcome);
      this.#answer(capability, token, standing, msg);
      if (outcome.ok) this.#stats.completed++;
      else this.#stats.failed++;
    } catch (err) {
      // The result could not be read or recorded: hand the job back rather than lose it.
      if (stopped.aborted) return;
      this.#logger.warn(
        { capability, token, err: errorMessage(err) },
        'work result not recorded, job handed back',
      );
      tryTo(() => msg.nak(options.backoffMs[0] ?? 0));
    } finally {
      clearInterval(heartbeat);
      this.#stats.inFlight--;
    }
  }

  /** Tells whoever waits for the job that it runs here, and which delivery it is. */
  #started(
    capability: string,
    token: string,
    key: string,
    delivery: number,
    options: Required<WorkerStartOptions>,
  ): void {
    if (this.#workerId === undefined) return;
    const notice: WorkStarted = {
      v: PROTOCOL_VERSION,
      key,
      started: {
        worker: this.#workerId,
        delivery,
        ackWaitMs: options.ackWaitMs,
        maxDeliver: options.maxDeliver,
      },
    };
    tryTo(() => this.#nc.publish(resultSubject(capability, token), encodeJson(notice)));
  }

  /** Publishes the standing result for whoever waits, then acks: the job is done. */
  #answer(capability: string, token: string, result: WorkResult, msg: JsMsg): void {
    this.#nc.publish(resultSubject(capability, token), encodeJson(result));
    msg.ack();
  }
}

function defaultIsRetryable(err: unknown): boolean {
  return !(
    typeof err === 'object' &&
    err !== null &&
    (err as { retryable?: unknown }).retryable === false
  );
}

function wireError(err: unknown): WireError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    kind?: unknown;
    wire?: unknown;
  };
  const own = wireErrorSchema.safeParse(e.wire);
  if (own.success) return own.data;
  const kind = typeof e.kind === 'string' ? { kind: e.kind } : {};
  return {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: errorMessage(err),
    ...kind,
  };
}

function tryTo(f: () => void): void {
  try {
    f();
  } catch {
    // The connection is gone: the server redelivers after the ack wait.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
