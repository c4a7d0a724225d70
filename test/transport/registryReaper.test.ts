import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/clock.js';
import { WorkerReaper } from '../../transport/natsReaper.js';
import { WorkerRegistration } from '../../transport/natsRegistry.js';
import {
  capture,
  FakeBucket,
  flush,
  input,
  record,
  reaperHarness,
} from '../helpers/registryBucket.js';

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
    expect(reaper.workers().map((r) => [r.id, r.heartbeatAt])).toEqual([
      ['a', 10_050],
      ['b', 10_000],
    ]);
    expect(h.lines.find((l) => l.msg === 'worker joined')).toMatchObject({
      level: 30,
      worker: 'a',
      capabilities: ['llm'],
    });
    await reaper.stop();
  });

  it('reports a deregistration as left, never as lost', async () => {
    const clock = new ManualClock(10_000);
    const h = reaperHarness(clock);
    const reaper = await h.start();
    const reg = await WorkerRegistration.startOnBucket(h.bucket, input('w1'), {
      clock,
      heartbeatMs: 200,
    });
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
    const reg = await WorkerRegistration.startOnBucket(h.bucket, input('w1'), {
      clock,
      heartbeatMs: 200,
    });
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
      level: 40,
      worker: 'w1',
      reason: 'missed_heartbeats',
      heartbeatAt: 10_000,
      silentForMs: 700,
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
    const reg = await WorkerRegistration.startOnBucket(h.bucket, input('w1'), {
      clock,
      heartbeatMs: 200,
    });
    await flush();
    reg.stopHeartbeats();
    h.bucket.beforePurge = () => void reg.heartbeat();
    clock.advance(700);
    await flush();
    expect(h.events).toEqual(['joined w1', 'lost w1 missed_heartbeats', 'joined w1']);
    expect(h.bucket.record('w1')?.heartbeatAt).toBe(10_700);
    expect(h.lines.find((l) => l.msg === 'lost worker key not purged')).toMatchObject({
      err: 'wrong last sequence',
    });
    await reaper.stop();
  });

  it('reports a known worker that another reaper purged as lost', async () => {
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
    const skipped = h.lines
      .filter((l) => l.msg === 'malformed worker record skipped')
      .map((l) => [l.key, l.reason]);
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
    expect(lines.find((l) => l.msg === 'registry callback threw')).toMatchObject({
      level: 50,
      callback: 'onJoined',
      err: 'boom',
    });
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
