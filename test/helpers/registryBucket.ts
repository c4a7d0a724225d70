import type { KvPutOptions, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator, Status } from '@nats-io/transport-node';
import { pino } from 'pino';
import type { ManualClock } from '../../kernel/clock.js';
import { WorkerReaper } from '../../transport/natsReaper.js';
import type {
  RegistryBucket,
  WorkerRecord,
  WorkerRecordInput,
} from '../../transport/natsRegistry.js';

/** An async queue: what the watch and the status stream look like to the reaper. */
export class Channel<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private waiters: ((r: IteratorResult<T, undefined>) => void)[] = [];
  private done = false;
  push(item: T): void {
    const w = this.waiters.shift();
    if (w) w({ value: item, done: false });
    else this.items.push(item);
  }
  stop(): void {
    this.done = true;
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return {
      next: () => {
        if (this.items.length > 0)
          return Promise.resolve({ value: this.items.shift()!, done: false });
        if (this.done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.waiters.push(resolve));
      },
    };
  }
}

export type Op = KvWatchEntry['operation'];

/** A KV bucket in memory, with JetStream's per-key sequences and last-value watch. */
export class FakeBucket implements RegistryBucket {
  private seq = 0;
  private readonly last = new Map<string, { op: Op; value: string; revision: number }>();
  private readonly watchers: Channel<KvWatchEntry>[] = [];
  readonly calls: { op: Op; key: string; value?: string; previousSeq?: number }[] = [];
  /** Make every put fail (a disconnected worker), or hang (a server that does not answer). */
  putMode: 'ok' | 'fail' | 'hang' = 'ok';
  /** Runs just before a purge is applied: lets a test slip a heartbeat in between. */
  beforePurge: (() => void) | undefined;

  async put(
    key: string,
    data: string | Uint8Array,
    _opts?: Partial<KvPutOptions>,
  ): Promise<number> {
    const value = typeof data === 'string' ? data : new TextDecoder().decode(data);
    this.calls.push({ op: 'PUT', key, value });
    if (this.putMode === 'fail') throw new Error('disconnected');
    if (this.putMode === 'hang') return new Promise(() => undefined);
    return this.apply('PUT', key, value);
  }

  async delete(key: string): Promise<void> {
    this.calls.push({ op: 'DEL', key });
    this.apply('DEL', key, '');
  }

  async purge(key: string, opts?: { previousSeq?: number }): Promise<void> {
    this.calls.push({ op: 'PURGE', key, previousSeq: opts?.previousSeq });
    this.beforePurge?.();
    if (opts?.previousSeq && this.last.get(key)?.revision !== opts.previousSeq)
      throw new Error('wrong last sequence');
    this.apply('PURGE', key, '');
  }

  async watch(): Promise<QueuedIterator<KvWatchEntry>> {
    const ch = new Channel<KvWatchEntry>();
    for (const [key, e] of this.last) ch.push(entry(key, e.op, e.value, e.revision));
    this.watchers.push(ch);
    return Object.assign(ch, { getProcessed: () => 0, getPending: () => 0, getReceived: () => 0 });
  }

  /** A put from outside the registry, such as garbage. */
  raw(key: string, value: string): void {
    this.apply('PUT', key, value);
  }

  record(key: string): WorkerRecord | undefined {
    const e = this.last.get(key);
    return e?.op === 'PUT' ? (JSON.parse(e.value) as WorkerRecord) : undefined;
  }

  private apply(op: Op, key: string, value: string): number {
    const revision = ++this.seq;
    this.last.set(key, { op, value, revision });
    for (const w of this.watchers) w.push(entry(key, op, value, revision));
    return revision;
  }
}

export function entry(key: string, operation: Op, value: string, revision: number): KvWatchEntry {
  const bytes = new TextEncoder().encode(value);
  return {
    bucket: 'MAESTRO_WORKERS',
    key,
    rawKey: key,
    value: bytes,
    length: bytes.length,
    created: new Date(0),
    revision,
    operation,
    isUpdate: true,
    string: () => value,
    json: <T>() => JSON.parse(value) as T,
  };
}

/** Lets the reaper's loops consume what was pushed. */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

export function input(id: string, over: Partial<WorkerRecordInput> = {}): WorkerRecordInput {
  return {
    id,
    capabilities: ['llm'],
    host: 'h1',
    pid: 42,
    version: '0.1.0',
    load: { inFlight: 0, concurrency: 4 },
    startedAt: 0,
    ...over,
  };
}

export function record(id: string, heartbeatAt: number): WorkerRecord {
  return { v: 1, ...input(id), heartbeatAt };
}

export function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { lines, logger };
}

export function reaperHarness(clock: ManualClock, bucket = new FakeBucket()) {
  const events: string[] = [];
  const status = new Channel<Status>();
  const { lines, logger } = capture();
  const start = () =>
    WorkerReaper.startOnBucket(bucket, {
      clock,
      scanMs: 100,
      missAfterMs: 600,
      status,
      logger,
      onJoined: (r) => events.push(`joined ${r.id}`),
      onLeft: (r) => events.push(`left ${r.id}`),
      onLost: (r, reason) => events.push(`lost ${r.id} ${reason}`),
    });
  return { bucket, events, status, lines, start };
}
