/**
 * The worker registry against a real nats-server 2.9 (no per-key TTL, no expiry events): real
 * clock, short timings (heartbeat 200 ms, lost after 600 ms of silence, scans every 100 ms).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  WorkerReaper,
  type WorkerLostReason,
  type WorkerReaperOptions,
} from '../../transport/natsReaper.js';
import {
  WORKERS_BUCKET,
  WorkerRegistration,
  type WorkerRecord,
  type WorkerRecordInput,
} from '../../transport/natsRegistry.js';
import { type NatsServerHandle, startNatsServer } from '../helpers/natsServer.js';

const HEARTBEAT_MS = 200;
const MISS_AFTER_MS = 600;
const SCAN_MS = 100;
// Timers on a loaded two-core machine fire late; what is asserted is the reaper's bound plus this.
const SLACK_MS = 250;

interface Event {
  type: 'joined' | 'left' | 'lost';
  id: string;
  at: number;
  record: WorkerRecord;
  reason?: WorkerLostReason;
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function client(url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
  cleanups.push(() => nc.close());
  return nc;
}

async function reaper(nc: NatsConnection, options: WorkerReaperOptions = {}) {
  const events: Event[] = [];
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  const push = (type: Event['type'], record: WorkerRecord, reason?: WorkerLostReason) =>
    events.push({ type, id: record.id, at: Date.now(), record, reason });
  const r = await WorkerReaper.start(nc, {
    scanMs: SCAN_MS,
    missAfterMs: MISS_AFTER_MS,
    logger,
    onJoined: (rec) => push('joined', rec),
    onLeft: (rec) => push('left', rec),
    onLost: (rec, reason) => push('lost', rec, reason),
    ...options,
  });
  cleanups.push(() => r.stop());
  const of = (id: string) =>
    events.filter((e) => e.id === id).map((e) => (e.reason ? `${e.type} ${e.reason}` : e.type));
  const waitFor = (id: string, type: Event['type'], nth = 1, timeout = 5_000) =>
    vi.waitFor(
      () => {
        const e = events.filter((x) => x.id === id && x.type === type)[nth - 1];
        if (!e) throw new Error(`no ${type} #${nth} for ${id}: ${JSON.stringify(of(id))}`);
        return e;
      },
      { timeout, interval: 10 },
    );
  return { reaper: r, events, lines, of, waitFor };
}

function worker(id: string, over: Partial<WorkerRecordInput> = {}): WorkerRecordInput {
  return {
    id,
    capabilities: ['llm'],
    host: 'test-host',
    pid: process.pid,
    version: '0.1.0',
    load: { inFlight: 0, concurrency: 2 },
    startedAt: Date.now(),
    ...over,
  };
}

async function register(
  nc: NatsConnection,
  record: WorkerRecordInput,
): Promise<WorkerRegistration> {
  const reg = await WorkerRegistration.start(nc, record, { heartbeatMs: HEARTBEAT_MS });
  cleanups.push(() => reg.stopHeartbeats());
  return reg;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('worker registry on nats-server', () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a registered worker is seen joining, with its capabilities, and its heartbeats refresh the record', async () => {
    const nc = await client(server.url);
    const r = await reaper(nc);
    const reg = await register(
      await client(server.url),
      worker('join-1', { capabilities: ['llm', 'codex'] }),
    );
    const joined = await r.waitFor('join-1', 'joined');
    expect(joined.record).toMatchObject({
      v: 1,
      id: 'join-1',
      capabilities: ['llm', 'codex'],
      host: 'test-host',
      pid: process.pid,
    });
    const first = joined.record.heartbeatAt;

    reg.setLoad(3);
    const seen = await vi.waitFor(
      () => {
        const w = r.reaper.workers().find((x) => x.id === 'join-1');
        if (!w || w.heartbeatAt <= first || w.load.inFlight !== 3)
          throw new Error('no fresh heartbeat yet');
        return w;
      },
      { timeout: 2_000, interval: 10 },
    );
    expect(seen.load).toEqual({ inFlight: 3, concurrency: 2 });
    const kv = await new Kvm(nc).open(WORKERS_BUCKET);
    expect((await kv.get('join-1'))?.json<WorkerRecord>().heartbeatAt).toBeGreaterThan(first);
    const status = await kv.status();
    expect([status.history, status.ttl]).toEqual([1, 60_000]); // the reaper created the bucket
    expect(r.of('join-1')).toEqual(['joined']);
    await reg.deregister();
  });

  it('a deregistered worker has left, and is not reported lost afterwards', async () => {
    const r = await reaper(await client(server.url));
    const reg = await register(await client(server.url), worker('leave-1'));
    await r.waitFor('leave-1', 'joined');
    await reg.deregister();
    await r.waitFor('leave-1', 'left');
    await sleep(MISS_AFTER_MS + 2 * SCAN_MS + SLACK_MS);
    expect(r.of('leave-1')).toEqual(['joined', 'left']);
    expect(r.reaper.workers().map((w) => w.id)).not.toContain('leave-1');
  });

  it('a worker whose heartbeats stop is lost within missAfterMs + scanMs; a late heartbeat joins it again', async () => {
    const nc = await client(server.url);
    const r = await reaper(nc);
    const reg = await register(await client(server.url), worker('silent-1'));
    await r.waitFor('silent-1', 'joined');
    reg.stopHeartbeats();
    const lastBeat = reg.record.heartbeatAt;
    const lost = await r.waitFor('silent-1', 'lost');
    const silentFor = lost.at - lastBeat;
    expect(lost.reason).toBe('missed_heartbeats');
    expect(silentFor).toBeGreaterThan(MISS_AFTER_MS);
    expect(silentFor).toBeLessThanOrEqual(MISS_AFTER_MS + SCAN_MS + SLACK_MS);
    console.info(`silent worker reported lost ${silentFor} ms after its last heartbeat`);

    // Its key is purged, and that purge is not reported again.
    const kv = await new Kvm(nc).open(WORKERS_BUCKET);
    await vi.waitFor(async () => expect((await kv.get('silent-1'))?.operation).toBe('PURGE'), {
      timeout: 2_000,
      interval: 20,
    });
    await sleep(2 * SCAN_MS);
    expect(r.of('silent-1')).toEqual(['joined', 'lost missed_heartbeats']);

    await reg.heartbeat();
    await r.waitFor('silent-1', 'joined', 2);
    expect(r.of('silent-1')).toEqual(['joined', 'lost missed_heartbeats', 'joined']);
    await reg.deregister();
    await r.waitFor('silent-1', 'left');
  });

  it('a worker process killed with SIGKILL is lost', async () => {
    const r = await reaper(await client(server.url));
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/fixtures/nats-registry-worker.ts',
        server.url,
        'killed-1',
        String(HEARTBEAT_MS),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const joined = await r.waitFor('killed-1', 'joined', 1, 15_000);
    expect(joined.record.pid).toBe(child.pid);
    // Let it heartbeat a few times: heartbeats from a live process keep it registered.
    await sleep(3 * HEARTBEAT_MS);
    expect(r.of('killed-1')).toEqual(['joined']);

    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    const lost = await r.waitFor('killed-1', 'lost');
    expect(lost.reason).toBe('missed_heartbeats');
    expect(lost.at - killedAt).toBeLessThanOrEqual(MISS_AFTER_MS + SCAN_MS + SLACK_MS);
    console.info(`killed worker reported lost ${lost.at - killedAt} ms after SIGKILL`);
  });

  it('skips, logs and counts garbage in the bucket', async () => {
    const nc = await client(server.url);
    const kv = await new Kvm(nc).create(WORKERS_BUCKET);
    await kv.put('garbage-1', 'not json {');
    const r = await reaper(nc);
    await vi.waitFor(() => expect(r.reaper.stats.malformed).toBe(1), {
      timeout: 2_000,
      interval: 10,
    });
    await kv.put('garbage-2', JSON.stringify({ v: 1, id: 'garbage-2', capabilities: 'llm' }));
    await vi.waitFor(() => expect(r.reaper.stats.malformed).toBe(2), {
      timeout: 2_000,
      interval: 10,
    });
    const skipped = r.lines.filter((l) => l.msg === 'malformed worker record skipped');
    expect(skipped.map((l) => [l.key, l.reason])).toEqual([
      ['garbage-1', expect.stringMatching(/^not JSON: /)],
      ['garbage-2', 'capabilities: Invalid input: expected array, received string'],
    ]);

    const reg = await register(await client(server.url), worker('after-garbage'));
    await r.waitFor('after-garbage', 'joined');
    expect(r.events.map((e) => e.id)).not.toContain('garbage-1');
    await reg.deregister();
    await kv.delete('garbage-1');
    await kv.delete('garbage-2');
  });
});

describe('worker registry across a server outage', () => {
  it('reports no one lost while the server is down for longer than missAfterMs, and heartbeats resume', async () => {
    const server = await startNatsServer();
    cleanups.push(() => server.stop());
    const r = await reaper(await client(server.url));
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'debug' },
      { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
    );
    const reg = await WorkerRegistration.start(await client(server.url), worker('outage-1'), {
      heartbeatMs: HEARTBEAT_MS,
      logger,
    });
    cleanups.push(() => reg.stopHeartbeats());
    await r.waitFor('outage-1', 'joined');

    const downAt = Date.now();
    await server.kill();
    await sleep(2 * MISS_AFTER_MS);
    await server.restart();
    const upAt = Date.now();
    const after = await vi.waitFor(
      () => {
        const w = r.reaper.workers().find((x) => x.id === 'outage-1');
        if (!w || w.heartbeatAt < upAt) throw new Error('no heartbeat since the restart');
        return w;
      },
      { timeout: 10_000, interval: 20 },
    );
    await sleep(MISS_AFTER_MS + 2 * SCAN_MS);
    expect(r.of('outage-1')).toEqual(['joined']);
    expect(r.reaper.workers().find((x) => x.id === 'outage-1')!.heartbeatAt).toBeGreaterThan(
      after.heartbeatAt,
    );
    expect(r.lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['registry disconnected: scans paused', 'registry reconnected']),
    );
    expect(lines.map((l) => l.msg)).toContain('registry disconnected: heartbeats paused');
    console.info(
      `server down ${upAt - downAt} ms; heartbeats seen again ${after.heartbeatAt - upAt} ms after it came back`,
    );
    await reg.deregister();
    await r.waitFor('outage-1', 'left');
  });
});
