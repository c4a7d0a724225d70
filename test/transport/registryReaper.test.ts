import type { KvPutOptions, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator, Status } from '@nats-io/transport-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../config/clock.js';
import { UserError } from '../../config/errors.js';
import { WorkerReaper } from '../../transport/natsReaper.js';
import {
  findLost,
  WorkerRegistration,
  WorkerRegistryError,
  type RegistryBucket,
  type WorkerRecord,
  type WorkerRecordInput,
} from '../../transport/natsRegistry.js';

/** An async queue: what the watch and the status stream look like to the reaper. */
class Channel<T> implements AsyncIterable<T> {
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
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
        if (this.done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.waiters.push(resolve));
      },
    };
  }
}

type Op = KvWatchEntry['operation'];

/** A KV bucket in memory, with JetStream's per-key sequences and last-value watch. */
class FakeBucket implements RegistryBucket {
  private seq = 0;
  private readonly last = new Map<string, { op: Op; value: string; revision: number }>();
  private readonly watchers: Channel<KvWatchEntry>[] = [];
  readonly calls: { op: Op; key: string; value?: string; previousSeq?: number }[] = [];
  /** Make every put fail (a disconnected worker), or hang (a server that does not answer). */
  putMode: 'ok' | 'fail' | 'hang' = 'ok';
  /** Runs just before a purge is applied: lets a test slip a heartbeat in between. */
  beforePurge: (() => void) | undefined;

  async put(key: string, data: string | Uint8Array, _opts?: Partial<KvPutOptions>): Promise<number> {
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
    if (opts?.previousSeq && this.last.get(key)?.revision !== opts.previousSeq) throw new Error('wrong last sequence');
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

function entry(key: string, operation: Op, value: string, revision: number): KvWatchEntry {
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
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function input(id: string, over: Partial<WorkerRecordInput> = {}): WorkerRecordInput {
  return { id, capabilities: ['llm'], host: 'h1', pid: 42, version: '0.1.0', load: { inFlight: 0, concurrency: 4 }, startedAt: 0, ...over };
}

function record(id: string, heartbeatAt: number): WorkerRecord {
  return { v: 1, ...input(id), heartbeatAt };
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { lines, logger };
}

function reaperHarness(clock: ManualClock, bucket = new FakeBucket()) {
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

describe('findLost', () => {
  const cases: { name: string; records: [string, number][]; now: number; lost: string[] }[] = [
    { name: 'nobody known', records: [], now: 10_000, lost: [] },
    { name: 'a fresh heartbeat', records: [['a', 9_500]], now: 10_000, lost: [] },
    { name: 'exactly missAfterMs old: not yet', records: [['a', 4_000]], now: 10_000, lost: [] },
    { name: 'one ms past missAfterMs', records: [['a', 3_999]], now: 10_000, lost: ['a'] },
    { name: 'a heartbeat from the future (clock skew)', records: [['a', 12_000]], now: 10_000, lost: [] },
    {
      name: 'several: oldest first, ties by id',
      records: [['c', 1_000], ['b', 2_000], ['fresh', 9_999], ['a', 2_000], ['d', 0]],
      now: 10_000,
      lost: ['d', 'c', 'a', 'b'],
    },
  ];
  it.each(cases)('$name', ({ records, now, lost }) => {
    const input = records.map(([id, at]) => record(id, at));
    const before = input.map((r) => r.id);
    expect(findLost(input, now, 6_000).map((r) => r.id)).toEqual(lost);
    expect(input.map((r) => r.id)).toEqual(before);
  });
});

describe('option and record validation', () => {
  const bucket = new FakeBucket();
  it.each([
    [{ heartbeatMs: 0 }, 'WorkerRegistration.heartbeatMs must be a positive number, got 0'],
    [{ heartbeatMs: Number.NaN }, 'WorkerRegistration.heartbeatMs must be a positive number, got NaN'],
    [{ putTimeoutMs: -1 }, 'WorkerRegistration.putTimeoutMs must be a positive number, got -1'],
  ])('rejects registration options %o', async (options, message) => {
    await expect(WorkerRegistration.startOnBucket(bucket, input('w1'), options)).rejects.toThrow(new UserError(message));
  });

  it.each([
    [input('has space'), "worker record id: expected a KV key: letters, digits, -/_= and dots"],
    [input('.w1'), "worker record id: expected a KV key: letters, digits, -/_= and dots"],
    [input('w1', { capabilities: [''] }), 'worker record capabilities[0]: Too small: expected string to have >=1 characters'],
    [input('w1', { load: { inFlight: 0, concurrency: 0 } }), 'worker record load.concurrency: Too small: expected number to be >0'],
  ])('rejects the record %#', async (record, message) => {
    const err = await WorkerRegistration.startOnBucket(bucket, record).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(message);
  });

  it.each([
    [{ scanMs: 0 }, 'WorkerReaper.scanMs must be a positive number, got 0'],
    [{ missAfterMs: -5 }, 'WorkerReaper.missAfterMs must be a positive number, got -5'],
  ])('rejects reaper options %o', async (options, message) => {
    await expect(WorkerReaper.startOnBucket(bucket, options)).rejects.toThrow(new UserError(message));
  });
});

describe('WorkerRegistration (manual clock, bucket in memory)', () => {
  it('puts the record at start, then every heartbeatMs with a fresh heartbeatAt and the current load', async () => {
    const clock = new ManualClock(1_000);
    const bucket = new FakeBucket();
    const reg = await WorkerRegistration.startOnBucket(bucket, input('w1'), { clock, heartbeatMs: 200 });
    expect(bucket.record('w1')).toEqual({ v: 1, ...input('w1'), heartbeatAt: 1_000 });
    reg.setLoad(3);
    clock.advance(199);
    await flush();
    expect(bucket.calls.filter((c) => c.op === 'PUT')).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(bucket.record('w1')).toMatchObject({ heartbeatAt: 1_200, load: { inFlight: 3, concurrency: 4 } });
    clock.advance(200);
    await flush();
    expect(bucket.record('w1')?.heartbeatAt).toBe(1_400);
    expect(reg.record.heartbeatAt).toBe(1_400);
  });

  it('logs failed heartbeats and retries them, never throwing', async () => {
    const clock = new ManualClock(0);
    const bucket = new FakeBucket();
    const { lines, logger } = capture();
    await WorkerRegistration.startOnBucket(bucket, input('w1'), { clock, heartbeatMs: 200, logger });
    bucket.putMode = 'fail';
    for (let i = 0; i < 12; i++) {
      clock.advance(200);
      await flush();
    }
    const failed = lines.filter((l) => l.msg === 'heartbeat failed');
    expect(failed.map((l) => [l.level, l.failures])).toEqual([
      [40, 1], [20, 2], [20, 3], [20, 4], [20, 5], [20, 6], [20, 7], [20, 8], [20, 9], [20, 10], [40, 11], [20, 12],
    ]);
    expect(failed[0]).toMatchObject({ worker: 'w1', err: 'disconnected' });
    bucket.putMode = 'ok';
    clock.advance(200);
    await flush();
    expect(bucket.record('w1')?.heartbeatAt).toBe(2_600);
    expect(lines.at(-1)).toMatchObject({ msg: 'heartbeat restored', failures: 12 });
  });

  it('skips beats while a put is still waiting, rather than stacking them', async () => {
    const clock = new ManualClock(0);
    const bucket = new FakeBucket();
    await WorkerRegistration.startOnBucket(bucket, input('w1'), { clock, heartbeatMs: 200 });
    bucket.putMode = 'hang';
    for (let i = 0; i < 5; i++) {
      clock.advance(200);
      await flush();
    }
    expect(bucket.calls.filter((c) => c.op === 'PUT')).toHaveLength(2);
  });

  it('pauses beats while disconnected and beats at once on reconnecting, not waiting for a put lost in between', async () => {
    const clock = new ManualClock(0);
    const bucket = new FakeBucket();
    const status = new Channel<Status>();
    const { lines, logger } = capture();
    const reg = await WorkerRegistration.startOnBucket(bucket, input('w1'), { clock, heartbeatMs: 200, status, logger });
    bucket.putMode = 'hang';
    clock.advance(200); // this put's answer never comes
    await flush();
    status.push({ type: 'disconnect', server: 'x' });
    await flush();
    clock.advance(1_000);
    await flush();
    expect(bucket.calls.filter((c) => c.op === 'PUT')).toHaveLength(2);
    bucket.putMode = 'ok';
    clock.advance(50);
    status.push({ type: 'reconnect', server: 'x' });
    await flush();
    expect(bucket.calls.filter((c) => c.op === 'PUT')).toHaveLength(3);
    expect(bucket.record('w1')?.heartbeatAt).toBe(1_250);
    expect(lines.map((l) => l.msg)).toContain('registry disconnected: heartbeats paused');
    reg.stopHeartbeats();
    status.push({ type: 'reconnect', server: 'x' });
    await flush();
    expect(bucket.calls.filter((c) => c.op === 'PUT')).toHaveLength(3);
  });

  it('fails to start with WorkerRegistryError when the first put fails', async () => {
    const bucket = new FakeBucket();
    bucket.putMode = 'fail';
    const err = await WorkerRegistration.startOnBucket(bucket, input('w1'), { clock: new ManualClock() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerRegistryError);
    expect(err).toMatchObject({ message: "register failed: 'w1'", operation: 'register', workerId: 'w1' });
    expect((err as Error).cause).toEqual(new Error('disconnected'));
  });

  it('deregisters once: deletes the key and stops heartbeating; heartbeat() is then a no-op', async () => {
    const clock = new ManualClock(0);
    const bucket = new FakeBucket();
    const reg = await WorkerRegistration.startOnBucket(bucket, input('w1'), { clock, heartbeatMs: 200 });
    await Promise.all([reg.deregister(), reg.deregister()]);
    await reg.deregister();
    await reg.heartbeat();
    clock.advance(1_000);
    await flush();
    expect(bucket.calls.map((c) => c.op)).toEqual(['PUT', 'DEL']);
    expect(clock.pending).toBe(0);
  });

  it('stopHeartbeats leaves the key in place', async () => {
    const clock = new ManualClock(0);
    const bucket = new FakeBucket();
    const reg = await WorkerRegistration.startOnBucket(bucket, input('w1'), { clock, heartbeatMs: 200 });
    reg.stopHeartbeats();
    clock.advance(1_000);
    await flush();
    expect(bucket.calls.map((c) => c.op)).toEqual(['PUT']);
    expect(bucket.record('w1')).toBeDefined();
    expect(clock.pending).toBe(0);
  });
});

describe('WorkerReaper (manual clock, bucket in memory)', () => {
  it('reports workers already registered and new ones as joined, once each', async () => {
    const clock = new ManualClock(10_000);
    const h = reaperHarness(clock);
    h.bucket.raw('a', JSON.stringify(record('a', 10_000)));
    const reaper = await h.start();
    h.bucket.raw('b', JSON.stringify(record('b', 10_000)));
    h.bucket.raw('a', JSON.stringify(record('a', 10_050)));
    await flush();
    expect(h.events).toEqual(['joined a', 'joined b']);
    expect(reaper.workers().map((r) => [r.id, r.heartbeatAt])).toEqual([['a', 10_050], ['b', 10_000]]);
    expect(h.lines.find((l) => l.msg === 'worker joined')).toMatchObject({ level: 30, worker: 'a', capabilities: ['llm'] });
    await reaper.stop();
  });

  it('reports a deregistration as left, never as lost', async () => {
    const clock = new ManualClock(10_000);
    const h = reaperHarness(clock);
    const reaper = await h.start();
    const reg = await WorkerRegistration.startOnBucket(h.bucket, input('w1'), { clock, heartbeatMs: 200 });
    await flush();
    await reg.deregister();
    await flush();
    clock.advance(5_000);
    await flush();
    expect(h.events).toEqual(['joined w1', 'left w1']);
    expect(reaper.stats).toEqual({ joined: 1, left: 1, lost: 0, malformed: 0 });
    await reaper.stop();
  });

  it('reports a silent worker lost once, on the first scan past missAfterMs, and purges its key', async () => {
    const clock = new ManualClock(10_000);
    const h = reaperHarness(clock);
    const reaper = await h.start();
    const reg = await WorkerRegistration.startOnBucket(h.bucket, input('w1'), { clock, heartbeatMs: 200 });
    await flush();
    reg.stopHeartbeats();
    clock.advance(600); // scans at 10_100 … 10_600: 600 ms old is not yet lost
    await flush();
    expect(h.events).toEqual(['joined w1']);
    clock.advance(100); // scan at 10_700
    await flush();
    expect(h.events).toEqual(['joined w1', 'lost w1 missed_heartbeats']);
    expect(h.bucket.calls.at(-1)).toEqual({ op: 'PURGE', key: 'w1', previousSeq: 1 });
    expect(h.bucket.record('w1')).toBeUndefined();
    expect(h.lines.find((l) => l.msg === 'worker lost')).toMatchObject({
      level: 40, worker: 'w1', reason: 'missed_heartbeats', heartbeatAt: 10_000, silentForMs: 700,
    });
    clock.advance(2_000);
    await flush();
    expect(h.events).toHaveLength(2); // its own purge is not reported again, as left or lost
    expect(reaper.workers()).toEqual([]);

    await reg.heartbeat(); // a late heartbeat: a new join
    await flush();
    expect(h.events.at(-1)).toBe('joined w1');
    expect(reaper.stats).toEqual({ joined: 2, left: 0, lost: 1, malformed: 0 });
    await reaper.stop();
  });

  it('keeps the key of a worker whose heartbeat lands between the judgement and the purge', async () => {
    const clock = new ManualClock(10_000);
    const h = reaperHarness(clock);
    const reaper = await h.start();
    const reg = await WorkerRegistration.startOnBucket(h.bucket, input('w1'), { clock, heartbeatMs: 200 });
    await flush();
    reg.stopHeartbeats();
    h.bucket.beforePurge = () => void reg.heartbeat();
    clock.advance(700);
    await flush();
    expect(h.events).toEqual(['joined w1', 'lost w1 missed_heartbeats', 'joined w1']);
    expect(h.bucket.record('w1')?.heartbeatAt).toBe(10_700);
    expect(h.lines.find((l) => l.msg === 'lost worker key not purged')).toMatchObject({ err: 'wrong last sequence' });
    await reaper.stop();
  });

  it("reports a known worker that another reaper purged as lost", async () => {
    const clock = new ManualClock(10_000);
    const h = reaperHarness(clock);
    const reaper = await h.start();
    h.bucket.raw('w1', JSON.stringify(record('w1', 10_000)));
    await h.bucket.purge('w1');
    await flush();
    expect(h.events).toEqual(['joined w1', 'lost w1 missed_heartbeats']);
    await reaper.stop();
  });

  it('skips, logs and counts malformed records, and goes on', async () => {
    const clock = new ManualClock(10_000);
    const h = reaperHarness(clock);
    h.bucket.raw('garbage', '\u0000not json{');
    const reaper = await h.start();
    h.bucket.raw('partial', JSON.stringify({ v: 1, id: 'partial' }));
    h.bucket.raw('other', JSON.stringify(record('w9', 10_000)));
    h.bucket.raw('future', JSON.stringify({ ...record('future', 10_000), v: 2 }));
    h.bucket.raw('w1', JSON.stringify(record('w1', 10_000)));
    await flush();
    expect(h.events).toEqual(['joined w1']);
    expect(reaper.stats.malformed).toBe(4);
    const skipped = h.lines.filter((l) => l.msg === 'malformed worker record skipped').map((l) => [l.key, l.reason]);
    expect(skipped).toEqual([
      ['garbage', expect.stringMatching(/^not JSON: /)],
      ['partial', 'capabilities: Invalid input: expected array, received undefined'],
      ['other', "id: expected the key 'other', got 'w9'"],
      ['future', 'v: Invalid input: expected 1'],
    ]);
    await reaper.stop();
  });

  it('pauses scans while disconnected and gives every worker a full window after reconnecting', async () => {
    const clock = new ManualClock(10_000);
    const h = reaperHarness(clock);
    const reaper = await h.start();
    h.bucket.raw('w1', JSON.stringify(record('w1', 10_000)));
    h.bucket.raw('w2', JSON.stringify(record('w2', 10_000)));
    h.status.push({ type: 'disconnect', server: 'x' });
    await flush();
    clock.advance(3_000);
    await flush();
    expect(h.events).toEqual(['joined w1', 'joined w2']);
    h.status.push({ type: 'reconnect', server: 'x' }); // at 13_000: scans resume at 13_600
    await flush();
    clock.advance(300);
    h.bucket.raw('w1', JSON.stringify(record('w1', 13_300))); // w1 heartbeats again, w2 stays silent
    await flush();
    clock.advance(299);
    await flush();
    expect(h.events).toEqual(['joined w1', 'joined w2']);
    clock.advance(1);
    await flush();
    expect(h.events).toEqual(['joined w1', 'joined w2', 'lost w2 missed_heartbeats']);
    expect(h.lines.map((l) => l.msg)).toContain('registry disconnected: scans paused');
    await reaper.stop();
  });

  it('survives a callback that throws', async () => {
    const clock = new ManualClock(10_000);
    const bucket = new FakeBucket();
    const { lines, logger } = capture();
    const left: string[] = [];
    const reaper = await WorkerReaper.startOnBucket(bucket, {
      clock,
      logger,
      onJoined: () => {
        throw new Error('boom');
      },
      onLeft: (r) => left.push(r.id),
    });
    bucket.raw('w1', JSON.stringify(record('w1', 10_000)));
    await bucket.delete('w1');
    await flush();
    expect(left).toEqual(['w1']);
    expect(lines.find((l) => l.msg === 'registry callback threw')).toMatchObject({ level: 50, callback: 'onJoined', err: 'boom' });
    await reaper.stop();
  });

  it('stops: no more scans, no more events', async () => {
    const clock = new ManualClock(10_000);
    const h = reaperHarness(clock);
    const reaper = await h.start();
    await reaper.stop();
    expect(clock.pending).toBe(0);
    h.bucket.raw('w1', JSON.stringify(record('w1', 10_000)));
    await flush();
    expect(h.events).toEqual([]);
  });
});
