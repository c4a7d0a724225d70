import { describe, expect, it } from 'vitest';
import { DurableCalls } from '../../runner/durableCalls.js';

const payload = {
  v: 1,
  id: 'k1',
  provider: 'slow',
  request: { prompt: 'p', caller: 'mission/m/stage/check/agent/checker' },
};
const started = (worker: string, delivery: number, maxDeliver = 5) => ({
  worker,
  delivery,
  ackWaitMs: 30_000,
  maxDeliver,
});
const lostRecord = (id: string) => ({
  id,
  heartbeatAt: Date.parse('2026-01-01T00:00:00.000Z'),
  heartbeatMs: 2000,
});

describe('DurableCalls (which calls a lost worker held, and when they come back)', () => {
  it('should report a call the lost worker held as its next delivery, due by its last heartbeat + one beat + the ack wait', () => {
    const calls = new DurableCalls();
    const call = calls.track('slow', payload);
    expect(call.started(started('w1', 1))).toBeUndefined();
    expect(calls.lost(lostRecord('w1'))).toEqual([
      {
        type: 'call.redelivery',
        provider: 'slow',
        caller: 'mission/m/stage/check/agent/checker',
        worker: 'w1',
        attempt: 2,
        maxDeliveries: 5,
        redeliverBy: '2026-01-01T00:00:32.000Z',
        ackWaitMs: 30_000,
        deadLetter: false,
      },
    ]);
    // Reported once, however often the loss is heard.
    expect(calls.lost(lostRecord('w1'))).toEqual([]);
    expect(call.started(started('w2', 2))).toEqual({
      type: 'call.redelivered',
      provider: 'slow',
      caller: 'mission/m/stage/check/agent/checker',
      worker: 'w2',
      attempt: 2,
      maxDeliveries: 5,
      from: 'w1',
    });
    // A retry after that (a nak, not a loss) is no redelivery from a lost worker.
    expect(call.started(started('w2', 3))).toBeUndefined();
  });

  it('should count runs itself: a redelivery the server numbers 1 again is still the second attempt', () => {
    const calls = new DurableCalls();
    const call = calls.track('slow', payload);
    call.started(started('w1', 1));
    expect(calls.lost(lostRecord('w1'))).toMatchObject([{ attempt: 2 }]);
    expect(call.started(started('w2', 1))).toMatchObject({ worker: 'w2', attempt: 2, from: 'w1' });
    expect(calls.lost(lostRecord('w2'))).toMatchObject([
      { worker: 'w2', attempt: 3, deadLetter: false },
    ]);
  });

  it('should say when the lost delivery was the last: the call is dead-lettered instead', () => {
    const calls = new DurableCalls();
    calls.track('slow', payload).started(started('w1', 3, 3));
    expect(calls.lost(lostRecord('w1'))).toMatchObject([
      { attempt: 4, maxDeliveries: 3, deadLetter: true },
    ]);
  });

  it('should report nothing for calls other workers hold, calls not started, and calls done', () => {
    const calls = new DurableCalls();
    calls.track('slow', payload).started(started('w2', 1));
    calls.track('slow', payload);
    const done = calls.track('slow', payload);
    done.started(started('w1', 1));
    done.done();
    expect(calls.size).toBe(2);
    expect(calls.lost(lostRecord('w1'))).toEqual([]);
  });
});
