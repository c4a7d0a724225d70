/**
 * The orchestrator's side of the worker registry (see natsRegistry.ts): it watches the bucket
 * for joins and clean departures, and scans the last heartbeat of each known worker, since
 * nats-server 2.9 sends no event when a key expires. A worker silent past its window is lost:
 * reported once, its key purged.
 */
import type { KvWatchEntry } from '@nats-io/kv';
import type { NatsConnection, Status } from '@nats-io/transport-node';
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from '../kernel/clock.js';
import { errorMessage } from '../kernel/errors.js';
import { describeParseError } from './protocol.js';
import {
  findLost,
  follow,
  openWorkersBucket,
  positive,
  stopIterable,
  workerRecordSchema,
  type RegistryBucket,
  type WorkerRecord,
} from './natsRegistry.js';

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
    const kv = await openWorkersBucket(
      nc,
      positive('WorkerReaper.bucketTtlMs', options.bucketTtlMs ?? 60_000),
    );
    return WorkerReaper.startOnBucket(kv, { ...options, status: options.status ?? nc.status() });
  }

  /** As `start`, on a bucket already open. */
  static async startOnBucket(
    kv: RegistryBucket,
    options: WorkerReaperOptions = {},
  ): Promise<WorkerReaper> {
    const { scanMs, missAfterMs } = checkReaperOptions(options);
    const logger = options.logger ?? pino({ level: 'silent' });
    const reaper = new WorkerReaper(
      kv,
      scanMs,
      missAfterMs,
      options.clock ?? systemClock,
      logger,
      options,
    );
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
    if (options.status)
      void follow(options.status, (st) => reaper.onStatus(st), stopped, logger, 'status');
    reaper.timer = reaper.clock.setTimeout(() => reaper.scan(), scanMs);
    return reaper;
  }

  /** The workers believed alive, by id. */
  workers(): WorkerRecord[] {
    return [...this.known.values()]
      .map((k) => k.record)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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
      reason = parsed.success
        ? `id: expected the key '${e.key}', got '${parsed.data.id}'`
        : describeParseError(parsed.error);
    } catch (err) {
      reason = `not JSON: ${errorMessage(err)}`;
    }
    this.counts.malformed++;
    this.logger.warn(
      { key: e.key, revision: e.revision, reason },
      'malformed worker record skipped',
    );
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
        .catch((err: unknown) =>
          this.logger.debug(
            { worker: record.id, err: errorMessage(err) },
            'lost worker key not purged',
          ),
        )
        .finally(() => this.pending.delete(purge));
      this.pending.add(purge);
    }
  }

  /** A worker's miss window: the one given to the reaper, else 3 beats of the worker's own interval. */
  private windowOf(record: WorkerRecord): number {
    if (this.options.missAfterMs === undefined && record.heartbeatMs !== undefined)
      return MISSED_BEATS * record.heartbeatMs;
    return this.missAfterMs;
  }

  private reportLeft(record: WorkerRecord): void {
    this.counts.left++;
    this.logger.info({ worker: record.id }, 'worker left');
    this.notify('onLeft', () => this.options.onLeft?.(record));
  }

  private reportLost(record: WorkerRecord, reason: WorkerLostReason, silentForMs?: number): void {
    this.counts.lost++;
    this.logger.warn(
      { worker: record.id, reason, heartbeatAt: record.heartbeatAt, silentForMs },
      'worker lost',
    );
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

function checkReaperOptions(options: WorkerReaperOptions): { scanMs: number; missAfterMs: number } {
  return {
    scanMs: positive('WorkerReaper.scanMs', options.scanMs ?? 1000),
    missAfterMs: positive('WorkerReaper.missAfterMs', options.missAfterMs ?? 6000),
  };
}
