import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/clock.js';
import { SystemError } from '../../kernel/errors.js';
import {
  InvalidPayloadError,
  InvalidSubjectError,
  type Json,
  MemoryTransport,
  type Message,
  NoRespondersError,
  PayloadTooLargeError,
  RequestTimeoutError,
  TransportClosedError,
  type TransportStatus,
} from '../../transport/index.js';

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function collect(t: MemoryTransport, subject: string, queue?: string): Json[] {
  const seen: Json[] = [];
  t.subscribe(subject, (m) => void seen.push(m.data), queue === undefined ? {} : { queue });
  return seen;
}

describe('MemoryTransport', () => {
  let t: MemoryTransport;
  afterEach(async () => {
    await t.close();
  });

  it('should deliver asynchronously to every matching subscriber, in publish order', async () => {
    t = new MemoryTransport();
    const exact = collect(t, 'a.b');
    const star = collect(t, 'a.*');
    const tail = collect(t, '>');
    const other = collect(t, 'a.c');
    t.publish('a.b', 1);
    t.publish('a.b', 2);
    expect(exact).toEqual([]);
    await flush();
    expect(exact).toEqual([1, 2]);
    expect(star).toEqual([1, 2]);
    expect(tail).toEqual([1, 2]);
    expect(other).toEqual([]);
  });

  it('should give each message to one queue group member, round robin, while plain subscribers see all', async () => {
    t = new MemoryTransport();
    const members = [collect(t, 'work', 'w'), collect(t, 'work', 'w'), collect(t, 'work', 'w')];
    const other = collect(t, 'work', 'other');
    const plain = collect(t, 'work');
    for (let i = 0; i < 6; i++) t.publish('work', i);
    await flush();
    expect(members).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(other).toEqual([0, 1, 2, 3, 4, 5]);
    expect(plain).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('should answer a request with the first response', async () => {
    t = new MemoryTransport({ clock: new ManualClock() });
    t.subscribe('math.double', (m) => {
      expect(m.reply).toMatch(/^_INBOX\.\d+$/);
      t.respond(m, (m.data as number) * 2);
      t.respond(m, -1);
    });
    await expect(t.request('math.double', 21, { timeoutMs: 100 })).resolves.toBe(42);
    await expect(t.request('math.double', 5, { timeoutMs: 100 })).resolves.toBe(10);
  });

  it('should reject at once when no one listens', async () => {
    const clock = new ManualClock();
    t = new MemoryTransport({ clock });
    const err = await t
      .request('maestro.work.llm', null, { timeoutMs: 100 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoRespondersError);
    expect(err).toBeInstanceOf(SystemError);
    expect((err as NoRespondersError).message).toBe("no responders: 'maestro.work.llm'");
    expect((err as NoRespondersError).subject).toBe('maestro.work.llm');
    expect(clock.pending).toBe(0);
  });

  it('should time out on the injected clock and clear the timer once answered', async () => {
    const clock = new ManualClock();
    t = new MemoryTransport({ clock });
    const pending: Message[] = [];
    t.subscribe('x.y', (m) => void pending.push(m));
    const slow = t.request('x.y', {}, { timeoutMs: 200 });
    let settled = false;
    slow.catch(() => {}).finally(() => (settled = true));
    clock.advance(199);
    await flush();
    expect(settled).toBe(false);
    clock.advance(1);
    await expect(slow).rejects.toThrow(RequestTimeoutError);
    await expect(slow).rejects.toThrow("request timed out after 200 ms: 'x.y'");
    t.respond(pending[0]!, 'late');
    await flush();

    const answered = t.request('x.y', {}, { timeoutMs: 200 });
    await flush();
    t.respond(pending[1]!, 'ok');
    await expect(answered).resolves.toBe('ok');
    expect(clock.pending).toBe(0);
  });

  it('should reject with the abort reason when the signal aborts', async () => {
    const clock = new ManualClock();
    t = new MemoryTransport({ clock });
    t.subscribe('x.y', () => {});
    const controller = new AbortController();
    const req = t.request('x.y', 1, { timeoutMs: 1000, signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(req).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
    await expect(
      t.request('x.y', 1, { timeoutMs: 1000, signal: controller.signal }),
    ).rejects.toThrow('stop');
    await expect(
      t.request('x.y', 1, { timeoutMs: 1000, signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('should copy payloads so nothing is shared by reference', async () => {
    t = new MemoryTransport();
    const sent = { list: [1, 2], nested: { ok: true } };
    const received: Message[] = [];
    t.subscribe('copy', (m) => void received.push(m));
    t.subscribe('copy', (m) => void received.push(m));
    t.publish('copy', sent);
    await flush();
    (received[0]!.data as { list: number[] }).list.push(3);
    expect(sent).toEqual({ list: [1, 2], nested: { ok: true } });
    expect(received[1]!.data).toEqual({ list: [1, 2], nested: { ok: true } });
    expect(received[0]!.data).not.toBe(sent);
  });

  it('should refuse a payload that is not JSON', () => {
    t = new MemoryTransport();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const bad: unknown[] = [() => 1, 1n, cycle, { f: () => 1 }, [Symbol('s')], NaN, undefined];
    for (const data of bad) {
      expect(() => t.publish('x.y', data as Json)).toThrow(InvalidPayloadError);
      expect(() => t.publish('x.y', data as Json)).toThrow(
        "payload is not JSON-serializable: 'x.y'",
      );
    }
  });

  it('should refuse a payload over the size limit, counting UTF-8 bytes', async () => {
    t = new MemoryTransport();
    const big = 'x'.repeat(1_199_998);
    expect(() => t.publish('x.y', big)).toThrow(PayloadTooLargeError);
    expect(() => t.publish('x.y', big)).toThrow(
      "payload of 1200000 bytes exceeds the limit of 1048576: 'x.y'",
    );
    const small = new MemoryTransport({ maxPayloadBytes: 10 });
    expect(() => small.publish('x.y', 'éééé')).not.toThrow();
    expect(() => small.publish('x.y', 'ééééé')).toThrow(
      "payload of 12 bytes exceeds the limit of 10: 'x.y'",
    );
    await small.close();
  });

  it('should refuse invalid subjects, and wildcards when sending', () => {
    t = new MemoryTransport();
    expect(() => t.subscribe('a..b', () => {})).toThrow("invalid subject: 'a..b'");
    expect(() => t.publish('a.*', 1)).toThrow(InvalidSubjectError);
    expect(() => t.publish('a.>', 1)).toThrow("invalid subject: 'a.>'");
  });

  it('should count handler errors and keep delivering', async () => {
    const reported: [unknown, Message][] = [];
    t = new MemoryTransport({ onHandlerError: (err, m) => void reported.push([err, m]) });
    const seen: Json[] = [];
    t.subscribe('e', (m) => {
      seen.push(m.data);
      if (m.data === 1) throw new Error('sync');
    });
    t.subscribe('e', async (m) => {
      if (m.data === 2) throw new Error('async');
    });
    t.publish('e', 1);
    t.publish('e', 2);
    t.publish('e', 3);
    await flush();
    expect(seen).toEqual([1, 2, 3]);
    expect(t.handlerErrors).toBe(2);
    expect(reported.map(([err, m]) => [(err as Error).message, m.data])).toEqual([
      ['sync', 1],
      ['async', 2],
    ]);
  });

  it('should stop delivery on unsubscribe, including messages already queued', async () => {
    t = new MemoryTransport();
    const seen: Json[] = [];
    const sub = t.subscribe('u', (m) => void seen.push(m.data));
    expect(sub.subject).toBe('u');
    t.publish('u', 1);
    await flush();
    t.publish('u', 2);
    sub.unsubscribe();
    sub.unsubscribe();
    t.publish('u', 3);
    await flush();
    expect(seen).toEqual([1]);
    await expect(t.request('u', 1, { timeoutMs: 10 })).rejects.toThrow(NoRespondersError);
  });

  it('should report status, and on close reject pending requests and refuse further calls', async () => {
    const clock = new ManualClock();
    t = new MemoryTransport({ clock });
    const statuses: TransportStatus[] = [];
    const stop = t.onStatus((s) => void statuses.push(s));
    const ignored: TransportStatus[] = [];
    t.onStatus((s) => void ignored.push(s))();
    const seen = collect(t, 'c');
    const req = t.request('c', 1, { timeoutMs: 1000 });
    await t.close();
    await expect(req).rejects.toThrow(TransportClosedError);
    await expect(req).rejects.toThrow('transport closed');
    expect(clock.pending).toBe(0);
    expect(statuses).toEqual([{ type: 'connected' }, { type: 'closed' }]);
    expect(ignored).toEqual([{ type: 'connected' }]);
    stop();
    await flush();
    expect(seen).toEqual([]);
    expect(() => t.publish('c', 1)).toThrow(TransportClosedError);
    expect(() => t.subscribe('c', () => {})).toThrow('transport closed');
    expect(() => t.respond({ subject: 'c', data: 1, reply: '_INBOX.1' }, 1)).toThrow(
      TransportClosedError,
    );
    await expect(t.request('c', 1, { timeoutMs: 10 })).rejects.toThrow(TransportClosedError);
    await t.close();
  });
});
