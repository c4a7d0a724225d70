/**
 * Remote workers register in the KV bucket `MAESTRO_WORKERS` and heartbeat into it; the
 * orchestrator's reaper turns that bucket into joins, clean departures and losses. A loss (missed
 * heartbeats) is, for a supervisor, a child that exited abnormally; a departure is a normal exit.
 *
 * nats-server 2.9 ignores per-key TTL and sends no watch event when a key expires by the bucket
 * TTL, so liveness is judged here, by scanning the last heartbeat of each known worker; the bucket
 * TTL is only a backstop that keeps the keys of long-dead workers from lingering.
 *
 * This file holds the record, the bucket and the worker's side (`WorkerRegistration`); the
 * orchestrator's side is `WorkerReaper` in natsReaper.ts.
 */
import type { KV } from '@nats-io/kv';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection, Status } from '@nats-io/transport-node';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import { systemClock, type Clock } from '../kernel/clock.js';
import { errorMessage, UserError } from '../kernel/errors.js';
import { TransportError } from './errors.js';
import { describeParseError, PROTOCOL_VERSION } from './protocol.js';

export const WORKERS_BUCKET = 'MAESTRO_WORKERS';

// A worker id is its KV key: subject tokens of letters, digits and `-/_=`, separated by dots.
const workerIdSchema = z
  .string()
  .regex(/^[-/=\w]+(\.[-/=\w]+)*$/, 'expected a KV key: letters, digits, -/_= and dots');
const msEpoch = z.int().nonnegative();

// Not strict: reapers of older versions ignore fields added later; a breaking change bumps `v`.
export const workerRecordSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  id: workerIdSchema,
  capabilities: z.array(z.string().min(1)),
  host: z.string(),
  pid: z.int().nonnegative(),
  version: z.string(),
  load: z.object({ inFlight: z.int().nonnegative(), concurrency: z.int().positive() }),
  startedAt: msEpoch,
  heartbeatAt: msEpoch,
  /** How often this worker heartbeats; the reaper judges it by that (3 missed beats). Absent: the reaper's default. */
  heartbeatMs: z.int().positive().optional(),
  /**
   * What it runs for each capability: the identity of the provider definition
   * (config/providerIdentity.ts), so an orchestrator can refuse a worker that would run another
   * provider than its mission names. Absent: a worker of an older version.
   */
  definitions: z
    .record(z.string(), z.object({ hash: z.string(), fields: z.record(z.string(), z.string()) }))
    .optional(),
});
export type WorkerRecord = z.output<typeof workerRecordSchema>;
export type WorkerRecordInput = Omit<WorkerRecord, 'v' | 'heartbeatAt'>;

/** The part of a KV bucket the registry uses; a `KV` from `@nats-io/kv` is one. */
export type RegistryBucket = Pick<KV, 'put' | 'delete' | 'purge' | 'watch'>;

/** Registering, heartbeating or deregistering a worker failed. */
export class WorkerRegistryError extends TransportError {
  override name = 'WorkerRegistryError';
  constructor(
    readonly operation: 'register' | 'deregister',
    readonly workerId: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation} failed: '${workerId}'`, options);
  }
}

/**
 * Workers judged lost: the last heartbeat is more than `missAfterMs` (one for all, or each
 * record's own) before `now`. Oldest first, ties by id. A heartbeat stamped in the future (clock
 * skew) is not lost until `now` catches up.
 */
export function findLost<T extends Pick<WorkerRecord, 'id' | 'heartbeatAt'>>(
  records: Iterable<T>,
  now: number,
  missAfterMs: number | ((record: T) => number),
): T[] {
  const window = typeof missAfterMs === 'number' ? () => missAfterMs : missAfterMs;
  return [...records]
    .filter((r) => now - r.heartbeatAt > window(r))
    .sort((a, b) => a.heartbeatAt - b.heartbeatAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Opens the bucket, creating it when missing (an existing bucket keeps its own settings). */
export async function openWorkersBucket(nc: NatsConnection, ttlMs: number): Promise<KV> {
  return new Kvm(nc).create(WORKERS_BUCKET, { history: 1, ttl: ttlMs });
}

export interface WorkerRegistrationOptions {
  /** @default 2000 */
  heartbeatMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** Bucket TTL, used only when this call creates the bucket. @default max(60000, 10 × heartbeatMs) */
  bucketTtlMs?: number;
  /** How long one heartbeat put may take. @default max(1000, heartbeatMs) */
  putTimeoutMs?: number;
  logger?: Logger;
  /** Connection status events; `start` passes `nc.status()`. Beats pause while disconnected. */
  status?: AsyncIterable<Status>;
}

/** A worker's entry in the registry: put at start, refreshed every `heartbeatMs`, deleted on deregister. */
export class WorkerRegistration {
  private load: WorkerRecord['load'];
  private last: WorkerRecord;
  private timer: unknown;
  private inFlight: Promise<unknown> | undefined;
  private stopped = false;
  private deregistered: Promise<void> | undefined;
  private failures = 0;
  private connected = true;

  private constructor(
    private readonly kv: RegistryBucket,
    private readonly base: WorkerRecordInput,
    private readonly heartbeatMs: number,
    private readonly putTimeoutMs: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly status: AsyncIterable<Status> | undefined,
  ) {
    this.load = { ...base.load };
    this.last = { ...base, v: PROTOCOL_VERSION, load: this.load, heartbeatAt: epochMs(clock) };
  }

  static async start(
    nc: NatsConnection,
    record: WorkerRecordInput,
    options: WorkerRegistrationOptions = {},
  ): Promise<WorkerRegistration> {
    const heartbeatMs = positive('WorkerRegistration.heartbeatMs', options.heartbeatMs ?? 2000);
    const ttl = positive(
      'WorkerRegistration.bucketTtlMs',
      options.bucketTtlMs ?? Math.max(60_000, 10 * heartbeatMs),
    );
    checkRecord(record, options.clock ?? systemClock);
    const kv = await openWorkersBucket(nc, ttl);
    return WorkerRegistration.startOnBucket(kv, record, {
      ...options,
      status: options.status ?? nc.status(),
    });
  }

  /** As `start`, on a bucket already open. */
  static async startOnBucket(
    kv: RegistryBucket,
    record: WorkerRecordInput,
    options: WorkerRegistrationOptions = {},
  ): Promise<WorkerRegistration> {
    const heartbeatMs = positive('WorkerRegistration.heartbeatMs', options.heartbeatMs ?? 2000);
    const putTimeoutMs = positive(
      'WorkerRegistration.putTimeoutMs',
      options.putTimeoutMs ?? Math.max(1000, heartbeatMs),
    );
    const clock = options.clock ?? systemClock;
    checkRecord(record, clock);
    const logger = (options.logger ?? pino({ level: 'silent' })).child({ worker: record.id });
    const reg = new WorkerRegistration(
      kv,
      record,
      heartbeatMs,
      putTimeoutMs,
      clock,
      logger,
      options.status,
    );
    try {
      await reg.heartbeat();
    } catch (err) {
      stopIterable(options.status);
      throw new WorkerRegistryError('register', record.id, { cause: err });
    }
    reg.schedule();
    if (options.status)
      void follow(
        options.status,
        (st) => reg.onStatus(st),
        () => reg.stopped,
        logger,
        'status',
      );
    return reg;
  }

  /** The record as last put (or being put). */
  get record(): WorkerRecord {
    return this.last;
  }

  /** Calls in flight now; the next heartbeat carries it. */
  setLoad(inFlight: number): void {
    this.load = { ...this.load, inFlight: Math.max(0, Math.trunc(inFlight)) };
  }

  /** Puts the record now with a fresh `heartbeatAt`; rejects when the put fails. Does nothing once deregistered. */
  async heartbeat(): Promise<void> {
    if (this.deregistered) return;
    this.last = {
      ...this.base,
      v: PROTOCOL_VERSION,
      load: this.load,
      heartbeatAt: epochMs(this.clock),
    };
    const put = this.kv.put(this.base.id, JSON.stringify(this.last), {
      timeout: this.putTimeoutMs,
    });
    this.inFlight = put;
    try {
      await put;
    } finally {
      if (this.inFlight === put) this.inFlight = undefined;
    }
  }

  /** Stops heartbeating but leaves the key: the reaper will report this worker lost. */
  stopHeartbeats(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    stopIterable(this.status);
  }

  /** Stops heartbeating and deletes the key: a clean departure. Calling it again does nothing more. */
  deregister(): Promise<void> {
    this.deregistered ??= (async () => {
      this.stopHeartbeats();
      // A heartbeat landing after the delete would register the worker again.
      await this.inFlight?.catch(() => undefined);
      try {
        await this.kv.delete(this.base.id);
      } catch (err) {
        throw new WorkerRegistryError('deregister', this.base.id, { cause: err });
      }
    })();
    return this.deregistered;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => this.tick(), this.heartbeatMs);
  }

  private tick(): void {
    this.schedule();
    // A put still waiting (a slow server) is not stacked on, and one sent while disconnected
    // would only wait for its timeout: this beat is skipped.
    if (this.inFlight || this.stopped || !this.connected) return;
    this.beat();
  }

  private onStatus(st: Status): void {
    if (st.type === 'disconnect') {
      this.connected = false;
      this.logger.warn('registry disconnected: heartbeats paused');
    } else if (st.type === 'reconnect') {
      this.connected = true;
      // At once, without waiting for a put sent before the disconnect: its answer never comes.
      if (!this.stopped) this.beat();
    }
  }

  private beat(): void {
    this.heartbeat()
      .then(() => {
        if (this.failures > 0) this.logger.info({ failures: this.failures }, 'heartbeat restored');
        this.failures = 0;
      })
      .catch((err: unknown) => {
        this.failures++;
        // The first failure, then every tenth: a long outage should not flood the log.
        const level = this.failures % 10 === 1 ? 'warn' : 'debug';
        this.logger[level]({ failures: this.failures, err: errorMessage(err) }, 'heartbeat failed');
      });
  }
}

/** Feeds `source` to `handle` until it ends or `stopped()`; an error ends it, logged. */
export async function follow<T>(
  source: AsyncIterable<T>,
  handle: (item: T) => void,
  stopped: () => boolean,
  logger: Logger,
  what: string,
): Promise<void> {
  try {
    for await (const item of source) {
      if (stopped()) break;
      handle(item);
    }
  } catch (err) {
    if (!stopped()) logger.error({ err: errorMessage(err) }, `${what} ended`);
  }
}

/** NATS's status and watch iterators end on `stop()`; a plain async iterable has none. */
export function stopIterable(source: AsyncIterable<unknown> | undefined): void {
  (source as { stop?: () => void } | undefined)?.stop?.();
}

export function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new UserError(`${name} must be a positive number, got ${String(value)}`);
  return value;
}

function checkRecord(record: WorkerRecordInput, clock: Clock): void {
  const parsed = workerRecordSchema.safeParse({
    ...record,
    v: PROTOCOL_VERSION,
    heartbeatAt: epochMs(clock),
  });
  if (!parsed.success) throw new UserError(`worker record ${describeParseError(parsed.error)}`);
}

function epochMs(clock: Clock): number {
  return Math.max(0, Math.trunc(clock.now()));
}
