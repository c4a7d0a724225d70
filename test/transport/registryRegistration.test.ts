import type { Status } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/clock.js';
import { UserError } from '../../kernel/errors.js';
import { WorkerReaper } from '../../transport/natsReaper.js';
import { findLost, WorkerRegistration, WorkerRegistryError } from '../../transport/natsRegistry.js';
import { capture, Channel, FakeBucket, flush, input, record } from '../helpers/registryBucket.js';

describe('findLost', () => {
  const cases: { name: string; records: [string, number][]; now: number; lost: string[] }[] = [
    { name: 'nobody known', records: [], now: 10_000, lost: [] },
    { name: 'a fresh heartbeat', records: [['a', 9_500]], now: 10_000, lost: [] },
    { name: 'exactly missAfterMs old: not yet', records: [['a', 4_000]], now: 10_000, lost: [] },
    { name: 'one ms past missAfterMs', records: [['a', 3_999]], now: 10_000, lost: ['a'] },
    {
      name: 'a heartbeat from the future (clock skew)',
      records: [['a', 12_000]],
      now: 10_000,
      lost: [],
    },
    {
      name: 'several: oldest first, ties by id',
      records: [
        ['c', 1_000],
        ['b', 2_000],
        ['fresh', 9_999],
        ['a', 2_000],
        ['d', 0],
      ],
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
    [
      { heartbeatMs: Number.NaN },
      'WorkerRegistration.heartbeatMs must be a positive number, got NaN',
    ],
    [{ putTimeoutMs: -1 }, 'WorkerRegistration.putTimeoutMs must be a positive number, got -1'],
  ])('rejects registration options %o', async (options, message) => {
    await expect(WorkerRegistration.startOnBucket(bucket, input('w1'), options)).rejects.toThrow(
      new UserError(message),
    );
  });

  it.each([
    [input('has space'), 'worker record id: expected a KV key: letters, digits, -/_= and dots'],
    [input('.w1'), 'worker record id: expected a KV key: letters, digits, -/_= and dots'],
    [
      input('w1', { capabilities: [''] }),
      'worker record capabilities[0]: Too small: expected string to have >=1 characters',
    ],
    [
      input('w1', { load: { inFlight: 0, concurrency: 0 } }),
      'worker record load.concurrency: Too small: expected number to be >0',
    ],
  ])('rejects the record %#', async (record, message) => {
    const err = await WorkerRegistration.startOnBucket(bucket, record).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(message);
  });

  it.each([
    [{ scanMs: 0 }, 'WorkerReaper.scanMs must be a positive number, got 0'],
    [{ missAfterMs: -5 }, 'WorkerReaper.missAfterMs must be a positive number, got -5'],
  ])('rejects reaper options %o', async (options, message) => {
    await expect(WorkerReaper.startOnBucket(bucket, options)).rejects.toThrow(
      new UserError(message),
    );
  });
});

describe('WorkerRegistration (manual clock, bucket in memory)', () => {
  it('puts the record at start, then every heartbeatMs with a fresh heartbeatAt and the current load', async () => {
    const clock = new ManualClock(1_000);
    const bucket = new FakeBucket();
    const reg = await WorkerRegistration.startOnBucket(bucket, input('w1'), {
      clock,
      heartbeatMs: 200,
    });
    expect(bucket.record('w1')).toEqual({ v: 1, ...input('w1'), heartbeatAt: 1_000 });
    reg.setLoad(3);
    clock.advance(199);
    await flush();
    expect(bucket.calls.filter((c) => c.op === 'PUT')).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(bucket.record('w1')).toMatchObject({
      heartbeatAt: 1_200,
      load: { inFlight: 3, concurrency: 4 },
    });
    clock.advance(200);
    await flush();
    expect(bucket.record('w1')?.heartbeatAt).toBe(1_400);
    expect(reg.record.heartbeatAt).toBe(1_400);
  });

  it('logs failed heartbeats and retries them, never throwing', async () => {
    const clock = new ManualClock(0);
    const bucket = new FakeBucket();
    const { lines, logger } = capture();
    await WorkerRegistration.startOnBucket(bucket, input('w1'), {
      clock,
      heartbeatMs: 200,
      logger,
    });
    bucket.putMode = 'fail';
    for (let i = 0; i < 12; i++) {
      clock.advance(200);
      await flush();
    }
    const failed = lines.filter((l) => l.msg === 'heartbeat failed');
    expect(failed.map((l) => [l.level, l.failures])).toEqual([
      [40, 1],
      [20, 2],
      [20, 3],
      [20, 4],
      [20, 5],
      [20, 6],
      [20, 7],
      [20, 8],
      [20, 9],
      [20, 10],
      [40, 11],
      [20, 12],
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
    const reg = await WorkerRegistration.startOnBucket(bucket, input('w1'), {
      clock,
      heartbeatMs: 200,
      status,
      logger,
    });
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
    const err = await WorkerRegistration.startOnBucket(bucket, input('w1'), {
      clock: new ManualClock(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerRegistryError);
    expect(err).toMatchObject({
      message: "register failed: 'w1'",
      operation: 'register',
      workerId: 'w1',
    });
    expect((err as Error).cause).toEqual(new Error('disconnected'));
  });

  it('deregisters once: deletes the key and stops heartbeating; heartbeat() is then a no-op', async () => {
    const clock = new ManualClock(0);
    const bucket = new FakeBucket();
    const reg = await WorkerRegistration.startOnBucket(bucket, input('w1'), {
      clock,
      heartbeatMs: 200,
    });
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
    const reg = await WorkerRegistration.startOnBucket(bucket, input('w1'), {
      clock,
      heartbeatMs: 200,
    });
    reg.stopHeartbeats();
    clock.advance(1_000);
    await flush();
    expect(bucket.calls.map((c) => c.op)).toEqual(['PUT']);
    expect(bucket.record('w1')).toBeDefined();
    expect(clock.pending).toBe(0);
  });
});
