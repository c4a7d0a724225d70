/**
 * Remote workers register in the KV bucket `MAESTRO_WORKERS` and heartbeat into it; the
 * orchestrator's reaper turns that bucket into joins, clean departures and losses. A loss (missed
 * heartbeats) is, for a supervisor, a child that exited abnormally; a departure is a normal exit.
 *
 * nats-server 2.9 ignores per-key TTL and sends no watch event when a key expires by the bucket
 * TTL, so liveness is judged here, by scanning the last heartbeat of each known worker; the bucket
 * TTL is only a backstop that keeps the keys of long-dead workers from lingering.
 *
 * Both classes live in one file because they share the bucket, the record, its parsing and the
 * connection-status handling (about 450 lines): splitting them would export internals.
 */
import type { KV, KvWatchEntry } from '@nats-io/kv';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection, Status } from '@nats-io/transport-node';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import { systemClock, type Clock } from '../config/clock.js';
import { errorMessage, UserError } from '../config/errors.js';
import { TransportError } from './errors.js';
import { describeParseError, PROTOCOL_VERSION } from './protocol.js';

export const WORKERS_BUCKET = 'MAESTRO_WORKERS';

// A worker id is its KV key: subject tokens of letters, digits and `-/_=`, separated by dots.
const workerIdSchema = z.string().regex(/^[-/=\w]+(\.[-/=\w]+)*$/, 'expected a KV key: letters, digits, -/_= and dots');
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

  static async start(nc: NatsConnection, record: WorkerRecordInput, options: WorkerRegistrationOptions = {}): Promise<WorkerRegistration> {
    const heartbeatMs = positive('WorkerRegistration.heartbeatMs', options.heartbeatMs ?? 2000);
    const ttl = positive('WorkerRegistration.bucketTtlMs', options.bucketTtlMs ?? Math.max(60_000, 10 * heartbeatMs));
    checkRecord(record, options.clock ?? systemClock);
    const kv = await openWorkersBucket(nc, ttl);
    return WorkerRegistration.startOnBucket(kv, record, { ...options, status: options.status ?? nc.status() });
  }

  /** As `start`, on a bucket already open. */
  static async startOnBucket(kv: RegistryBucket, record: WorkerRecordInput, options: WorkerRegistrationOptions = {}): Promise<WorkerRegistration> {
    const heartbeatMs = positive('WorkerRegistration.heartbeatMs', options.heartbeatMs ?? 2000);
    const putTimeoutMs = positive('WorkerRegistration.putTimeoutMs', options.putTimeoutMs ?? Math.max(1000, heartbeatMs));
    const clock = options.clock ?? systemClock;
    checkRecord(record, clock);
    const logger = (options.logger ?? pino({ level: 'silent' })).child({ worker: record.id });
    const reg = new WorkerRegistration(kv, record, heartbeatMs, putTimeoutMs, clock, logger, options.status);
    try {
      await reg.heartbeat();
    } catch (err) {
      stopIterable(options.status);
      throw new WorkerRegistryError('register', record.id, { cause: err });
    }
    reg.schedule();
    if (options.status) void follow(options.status, (st) => reg.onStatus(st), () => reg.stopped, logger, 'status');
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
    this.last = { ...this.base, v: PROTOCOL_VERSION, load: this.load, heartbeatAt: epochMs(this.clock) };
    const put = this.kv.put(this.base.id, JSON.stringify(this.last), { timeout: this.putTimeoutMs });
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

export type WorkerLostReason = 'missed_heartbeats';

/** Heartbeats a worker may miss before it is lost, when the reaper judges it by its own interval. */
const MISSED_BEATS = 3;

export interface WorkerReaperOptions {
  /** @default 1000 */
  scanMs?: number;
  /**
   * A worker whose last heartbeat is older than this is lost. When not given, each worker is
   * judged by the interval its record declares: lost after 3 missed beats (`3 × heartbeatMs`), and
   * a record that declares none after 6000 (3 × the default heartbeat).
   */
  missAfterMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** Bucket TTL, used only when this call creates the bucket. @default 60000 */
  bucketTtlMs?: number;
  logger?: Logger;
  /** A worker appeared, or came back after being lost. */
  onJoined?: (record: WorkerRecord) => void;
  /** A worker deregistered: a normal exit. */
  onLeft?: (record: WorkerRecord) => void;
  /** A worker missed its heartbeats: an abnormal exit. Reported once; its key is removed. */
  onLost?: (record: WorkerRecord, reason: WorkerLostReason) => void;
  /** Connection status events; `start` passes `nc.status()`. Scans pause while disconnected. */
  status?: AsyncIterable<Status>;
}

interface Known {
  record: WorkerRecord;
  revision: number;
}

export interface WorkerReaperStats {
  joined: number;
  left: number;
  lost: number;
  /** Entries in the bucket that were not a valid record: skipped. */
  malformed: number;
}

/** The orchestrator's view of the registry: who is there, who left, who stopped answering. */
export class WorkerReaper {
  private readonly known = new Map<string, Known>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly counts: WorkerReaperStats = { joined: 0, left: 0, lost: 0, malformed: 0 };
  private timer: unknown;
  private stopped = false;
  private connected = true;
  private resumeAt = 0;
  private watcher: { stop(): void } | undefined;

  private constructor(
    private readonly kv: RegistryBucket,
    private readonly scanMs: number,
    private readonly missAfterMs: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: WorkerReaperOptions,
  ) {}

  static async start(nc: NatsConnection, options: WorkerReaperOptions = {}): Promise<WorkerReaper> {
    checkReaperOptions(options);
    const kv = await openWorkersBucket(nc, positive('WorkerReaper.bucketTtlMs', options.bucketTtlMs ?? 60_000));
    return WorkerReaper.startOnBucket(kv, { ...options, status: options.status ?? nc.status() });
  }

  /** As `start`, on a bucket already open. */
  static async startOnBucket(kv: RegistryBucket, options: WorkerReaperOptions = {}): Promise<WorkerReaper> {
    const { scanMs, missAfterMs } = checkReaperOptions(options);
    const logger = options.logger ?? pino({ level: 'silent' });
    const reaper = new WorkerReaper(kv, scanMs, missAfterMs, options.clock ?? systemClock, logger, options);
    let watch: Awaited<ReturnType<RegistryBucket['watch']>>;
    try {
      watch = await kv.watch();
    } catch (err) {
      stopIterable(options.status);
      throw err;
    }
    reaper.watcher = watch;
    const stopped = () => reaper.stopped;
    void follow(watch, (e) => reaper.onEntry(e), stopped, logger, 'registry watch');
    if (options.status) void follow(options.status, (st) => reaper.onStatus(st), stopped, logger, 'status');
    reaper.timer = reaper.clock.setTimeout(() => reaper.scan(), scanMs);
    return reaper;
  }

  /** The workers believed alive, by id. */
  workers(): WorkerRecord[] {
    return [...this.known.values()].map((k) => k.record).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get stats(): Readonly<WorkerReaperStats> {
    return { ...this.counts };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.watcher?.stop();
    stopIterable(this.options.status);
    await Promise.allSettled([...this.pending]);
  }

  private onStatus(s: Status): void {
    if (s.type === 'disconnect') {
      this.connected = false;
      this.logger.warn('registry disconnected: scans paused');
    } else if (s.type === 'reconnect') {
      this.connected = true;
      // Heartbeats sent while we were away arrive only now: give every worker a full window.
      this.resumeAt = this.clock.now() + this.missAfterMs;
      this.logger.info({ resumeAt: this.resumeAt }, 'registry reconnected');
    }
  }

  private onEntry(e: KvWatchEntry): void {
    const prev = this.known.get(e.key);
    if (e.operation === 'DEL' || e.operation === 'PURGE') {
      if (!prev) return; // already reported, or never known
      this.known.delete(e.key);
      // Workers delete their own key; only a reaper purges (this one's purges were reported already).
      if (e.operation === 'DEL') this.reportLeft(prev.record);
      else this.reportLost(prev.record, 'missed_heartbeats');
      return;
    }
    const record = this.parse(e);
    if (!record) return;
    this.known.set(e.key, { record, revision: e.revision });
    if (!prev) {
      this.counts.joined++;
      this.logger.info({ worker: record.id, capabilities: record.capabilities }, 'worker joined');
      this.notify('onJoined', () => this.options.onJoined?.(record));
    }
  }

  private parse(e: KvWatchEntry): WorkerRecord | undefined {
    let reason: string;
    try {
      const parsed = workerRecordSchema.safeParse(JSON.parse(e.string()));
      if (parsed.success && parsed.data.id === e.key) return parsed.data;
      reason = parsed.success ? `id: expected the key '${e.key}', got '${parsed.data.id}'` : describeParseError(parsed.error);
    } catch (err) {
      reason = `not JSON: ${errorMessage(err)}`;
    }
    this.counts.malformed++;
    this.logger.warn({ key: e.key, revision: e.revision, reason }, 'malformed worker record skipped');
    return undefined;
  }

  private scan(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => this.scan(), this.scanMs);
    const now = this.clock.now();
    if (!this.connected || now < this.resumeAt) return;
    const records = [...this.known.values()].map((k) => k.record);
    for (const record of findLost(records, now, (r) => this.windowOf(r))) {
      const { revision } = this.known.get(record.id)!;
      this.known.delete(record.id);
      this.reportLost(record, 'missed_heartbeats', now - record.heartbeatAt);
      // Only if no heartbeat landed since: a worker that was merely late then stays registered.
      const purge = this.kv
        .purge(record.id, { previousSeq: revision })
        .catch((err: unknown) => this.logger.debug({ worker: record.id, err: errorMessage(err) }, 'lost worker key not purged'))
        .finally(() => this.pending.delete(purge));
      this.pending.add(purge);
    }
  }

  /** A worker's miss window: the one given to the reaper, else 3 beats of the worker's own interval. */
  private windowOf(record: WorkerRecord): number {
    if (this.options.missAfterMs === undefined && record.heartbeatMs !== undefined) return MISSED_BEATS * record.heartbeatMs;
    return this.missAfterMs;
  }

  private reportLeft(record: WorkerRecord): void {
    this.counts.left++;
    this.logger.info({ worker: record.id }, 'worker left');
    this.notify('onLeft', () => this.options.onLeft?.(record));
  }

  private reportLost(record: WorkerRecord, reason: WorkerLostReason, silentForMs?: number): void {
    this.counts.lost++;
    this.logger.warn({ worker: record.id, reason, heartbeatAt: record.heartbeatAt, silentForMs }, 'worker lost');
    this.notify('onLost', () => this.options.onLost?.(record, reason));
  }

  private notify(callback: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error({ callback, err: errorMessage(err) }, 'registry callback threw');
    }
  }
}

/** Feeds `source` to `handle` until it ends or `stopped()`; an error ends it, logged. */
async function follow<T>(source: AsyncIterable<T>, handle: (item: T) => void, stopped: () => boolean, logger: Logger, what: string): Promise<void> {
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
function stopIterable(source: AsyncIterable<unknown> | undefined): void {
  (source as { stop?: () => void } | undefined)?.stop?.();
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new UserError(`${name} must be a positive number, got ${String(value)}`);
  return value;
}

function checkReaperOptions(options: WorkerReaperOptions): { scanMs: number; missAfterMs: number } {
  return {
    scanMs: positive('WorkerReaper.scanMs', options.scanMs ?? 1000),
    missAfterMs: positive('WorkerReaper.missAfterMs', options.missAfterMs ?? 6000),
  };
}

function checkRecord(record: WorkerRecordInput, clock: Clock): void {
  const parsed = workerRecordSchema.safeParse({ ...record, v: PROTOCOL_VERSION, heartbeatAt: epochMs(clock) });
  if (!parsed.success) throw new UserError(`worker record ${describeParseError(parsed.error)}`);
}

function epochMs(clock: Clock): number {
  return Math.max(0, Math.trunc(clock.now()));
}
