import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type NatsConnection, nkeys } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, SystemError } from '../../kernel/errors.js';
import { redactText } from '../../kernel/secrets.js';
import {
  type Json,
  type Message,
  NatsConnectError,
  type NatsOptionsInput,
  NatsTransport,
  type NatsTransportOptions,
  NoRespondersError,
  parseNatsOptions,
  PayloadTooLargeError,
  RequestTimeoutError,
  toConnectionOptions,
  TransportClosedError,
  TransportError,
  type TransportStatus,
} from '../../transport/index.js';
import {
  freePort,
  type NatsServerHandle,
  startNatsCluster,
  startNatsServer,
} from '../helpers/natsServer.js';
import { eventually } from '../helpers/eventually.js';

describe('NatsTransport', () => {
  let server: NatsServerHandle;
  const open: { close(): Promise<void> }[] = [];

  async function transport(
    options: NatsOptionsInput = {},
    extra: NatsTransportOptions = {},
  ): Promise<NatsTransport> {
    const t = await NatsTransport.connect({ servers: server.url, ...options }, extra);
    open.push(t);
    return t;
  }

  async function raw(url = server.url): Promise<NatsConnection> {
    const nc = await connect({ servers: url });
    open.push(nc);
    return nc;
  }

  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('should answer a request through a subscriber on another connection', async () => {
    const responder = await transport();
    const requester = await transport();
    responder.subscribe('math.double', (m) =>
      responder.respond(m, { doubled: (m.data as { n: number }).n * 2 }),
    );
    await responder.connection.flush();
    await expect(requester.request('math.double', { n: 21 }, { timeoutMs: 1000 })).resolves.toEqual(
      { doubled: 42 },
    );
    const seen: Message[] = [];
    requester.subscribe('events.>', (m) => void seen.push(m));
    await requester.connection.flush();
    responder.publish('events.mission.1', ['a', 1, null, { ok: true }]);
    await eventually(() =>
      expect(seen).toEqual([{ subject: 'events.mission.1', data: ['a', 1, null, { ok: true }] }]),
    );
  });

  it('should share a queue group between two subscribers, each message to one of them', async () => {
    const [a, b, requester] = await Promise.all([transport(), transport(), transport()]);
    const counts = { a: 0, b: 0 };
    a.subscribe('maestro.work.llm', (m) => void (counts.a++, a.respond(m, 'a')), {
      queue: 'workers',
    });
    b.subscribe('maestro.work.llm', (m) => void (counts.b++, b.respond(m, 'b')), {
      queue: 'workers',
    });
    await Promise.all([a.connection.flush(), b.connection.flush()]);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        requester.request('maestro.work.llm', i, { timeoutMs: 2000 }),
      ),
    );
    expect(counts.a + counts.b).toBe(100);
    expect(counts.a).toBeGreaterThan(0);
    expect(counts.b).toBeGreaterThan(0);
    expect(answers.filter((x) => x === 'a')).toHaveLength(counts.a);
  });

  it('should reject with NoRespondersError when no one listens', async () => {
    const t = await transport();
    const started = Date.now();
    const err = await t
      .request('maestro.work.none', null, { timeoutMs: 5000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoRespondersError);
    expect(err).toBeInstanceOf(SystemError);
    expect((err as NoRespondersError).message).toBe("no responders: 'maestro.work.none'");
    expect((err as NoRespondersError).subject).toBe('maestro.work.none');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('should reject with RequestTimeoutError when the responder is silent', async () => {
    const t = await transport();
    t.subscribe('slow.x', () => {});
    await t.connection.flush();
    const err = await t.request('slow.x', 1, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect((err as Error).message).toBe("request timed out after 100 ms: 'slow.x'");
  });

  it('should reject with the abort reason when the signal aborts', async () => {
    const t = await transport();
    t.subscribe('slow.y', () => {});
    await t.connection.flush();
    const controller = new AbortController();
    const req = t.request('slow.y', 1, { timeoutMs: 5000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await expect(req).rejects.toThrow('stop');
    await expect(
      t.request('slow.y', 1, { timeoutMs: 5000, signal: controller.signal }),
    ).rejects.toThrow('stop');
  });

  it("should refuse a payload over the server's max_payload before sending it", async () => {
    const small = await startNatsServer({ jetstream: false, config: 'max_payload: 1024\n' });
    try {
      const t = await NatsTransport.connect({ servers: small.url });
      open.push(t);
      expect(t.connection.info?.max_payload).toBe(1024);
      const seen: Json[] = [];
      t.subscribe('big', (m) => void seen.push(m.data));
      expect(() => t.publish('big', 'x'.repeat(1100))).toThrow(PayloadTooLargeError);
      expect(() => t.publish('big', 'x'.repeat(1100))).toThrow(
        "payload of 1102 bytes exceeds the limit of 1024: 'big'",
      );
      await expect(t.request('big', 'é'.repeat(600), { timeoutMs: 100 })).rejects.toThrow(
        "payload of 1202 bytes exceeds the limit of 1024: 'big'",
      );
      t.publish('big', 'x'.repeat(1022));
      await eventually(() => expect(seen).toEqual(['x'.repeat(1022)]));
    } finally {
      await Promise.all(open.splice(0).map((c) => c.close()));
      await small.stop();
    }
  });

  it('should drop and count a message that is not JSON, and keep delivering', async () => {
    const logged: unknown[] = [];
    const t = await transport(
      {},
      {
        logger: { warn: (o: unknown) => void logged.push(o), debug: () => {} } as unknown as Logger,
      },
    );
    const seen: Json[] = [];
    t.subscribe('mixed', (m) => void seen.push(m.data));
    await t.connection.flush();
    const plain = await raw();
    plain.publish('mixed', 'not json {');
    plain.publish('mixed');
    plain.publish('mixed', JSON.stringify({ good: true }));
    await eventually(() => expect(seen).toEqual([{ good: true }]));
    expect(t.counters).toEqual({ malformed: 2, handlerErrors: 0, malformedReplies: 0 });
    // (Issue 12: one line per second with a count, not one per message: a flood costs a counter.)
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ subject: 'mixed', dropped: 1, reason: 'not JSON', total: 1 });

    plain.subscribe('bad.reply', { callback: (_err, m) => void m.respond('<html>') });
    await plain.flush();
    await expect(t.request('bad.reply', 1, { timeoutMs: 1000 })).rejects.toThrow(
      "reply is not JSON: 'bad.reply'",
    );
    expect(t.counters.malformed).toBe(3);
  });

  it('should count handler errors and keep the subscription', async () => {
    const reported: string[] = [];
    const t = await transport(
      {},
      { onHandlerError: (err: unknown) => void reported.push((err as Error).message) },
    );
    const seen: Json[] = [];
    t.subscribe('e', (m) => {
      seen.push(m.data);
      if (m.data === 1) throw new Error('sync');
    });
    t.subscribe('e', async (m) => {
      if (m.data === 2) throw new Error('async');
    });
    await t.connection.flush();
    for (const n of [1, 2, 3]) t.publish('e', n);
    await eventually(() => expect(seen).toEqual([1, 2, 3]));
    await eventually(() => expect(t.handlerErrors).toBe(2));
    expect(t.counters.handlerErrors).toBe(2);
    expect(reported).toEqual(['sync', 'async']);
  });

  it('should report a restart as disconnected, reconnecting, connected, and serve requests after it', async () => {
    const own = await startNatsServer({ jetstream: false });
    try {
      const connectTo = { servers: own.url, reconnectTimeWaitMs: 50 };
      const responder = await NatsTransport.connect(connectTo);
      const requester = await NatsTransport.connect(connectTo);
      open.push(responder, requester);
      responder.subscribe('svc.echo', (m) => responder.respond(m, m.data), { queue: 'svc' });
      await responder.connection.flush();
      await expect(requester.request('svc.echo', 'before', { timeoutMs: 1000 })).resolves.toBe(
        'before',
      );

      const statuses: TransportStatus[] = [];
      responder.onStatus((s) => void statuses.push(s));
      await own.kill();
      await eventually(() => expect(statuses.map((s) => s.type)).toContain('reconnecting'));
      // Made while the server is down: it waits for the connection, inside its timeout. On the
      // responder's own connection, so its subscription is back before the request is sent.
      const during = responder.request('svc.echo', 'during', { timeoutMs: 5000 });
      await own.restart();
      await expect(during).resolves.toBe('during');
      expect(statuses).toEqual([
        { type: 'connected', server: `127.0.0.1:${own.port}` },
        { type: 'disconnected', server: `127.0.0.1:${own.port}` },
        { type: 'reconnecting' },
        { type: 'connected', server: `127.0.0.1:${own.port}` },
      ]);
      await expect(requester.request('svc.echo', 'after', { timeoutMs: 2000 })).resolves.toBe(
        'after',
      );
    } finally {
      await Promise.all(open.splice(0).map((c) => c.close()));
      await own.stop();
    }
  });

  it('should time out a request made while the server is down', async () => {
    const own = await startNatsServer({ jetstream: false });
    try {
      const t = await NatsTransport.connect({ servers: own.url, reconnectTimeWaitMs: 50 });
      open.push(t);
      const statuses: TransportStatus['type'][] = [];
      t.onStatus((s) => void statuses.push(s.type));
      await own.kill();
      await eventually(() => expect(statuses).toContain('reconnecting'));
      const started = Date.now();
      await expect(t.request('svc.down', 1, { timeoutMs: 150 })).rejects.toThrow(
        "request timed out after 150 ms: 'svc.down'",
      );
      expect(Date.now() - started).toBeLessThan(1000);
      const controller = new AbortController();
      const aborted = t.request('svc.down', 1, { timeoutMs: 5000, signal: controller.signal });
      controller.abort(new Error('stop'));
      await expect(aborted).rejects.toThrow('stop');
    } finally {
      await Promise.all(open.splice(0).map((c) => c.close()));
      await own.stop();
    }
  });

  it('should reject pending requests on close, report closed and refuse further calls', async () => {
    const t = await NatsTransport.connect({ servers: server.url });
    const statuses: TransportStatus[] = [];
    t.onStatus((s) => void statuses.push(s));
    t.subscribe('never', () => {});
    await t.connection.flush();
    const pending = t.request('never', 1, { timeoutMs: 5000 });
    await t.close();
    await expect(pending).rejects.toThrow(TransportClosedError);
    expect(statuses.map((s) => s.type)).toEqual(['connected', 'closed']);
    expect(() => t.publish('x', 1)).toThrow(TransportClosedError);
    expect(() => t.subscribe('x', () => {})).toThrow('transport closed');
    await expect(t.request('x', 1, { timeoutMs: 10 })).rejects.toThrow(TransportClosedError);
    const late: TransportStatus[] = [];
    t.onStatus((s) => void late.push(s));
    expect(late).toEqual([{ type: 'closed' }]);
    await t.close();
  });

  it('should let running handlers answer before close completes, and take no new messages', async () => {
    const responder = await NatsTransport.connect({ servers: server.url });
    const requester = await transport();
    let started = 0;
    responder.subscribe('slow.work', async (m) => {
      started++;
      await new Promise((r) => setTimeout(r, 150));
      responder.respond(m, { done: m.data });
    });
    await responder.connection.flush();
    const answer = requester.request('slow.work', 1, { timeoutMs: 2000 });
    await eventually(() => expect(started).toBe(1));
    const closing = responder.close();
    await expect(answer).resolves.toEqual({ done: 1 });
    await closing;
    expect(responder.connection.isClosed()).toBe(true);
    await expect(requester.request('slow.work', 2, { timeoutMs: 500 })).rejects.toThrow(
      NoRespondersError,
    );
    expect(started).toBe(1);
  });

  it('should fail to connect to a closed port with NatsConnectError, quickly', async () => {
    const port = await freePort();
    const started = Date.now();
    const err = await NatsTransport.connect({
      servers: `nats://127.0.0.1:${port}`,
      maxReconnectAttempts: 0,
      connectTimeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NatsConnectError);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as NatsConnectError).message).toBe(
      `cannot connect to nats 'nats://127.0.0.1:${port}': connection refused`,
    );
    expect((err as NatsConnectError).servers).toEqual([`nats://127.0.0.1:${port}`]);
    expect((err as Error).stack).toBe(`NatsConnectError: ${(err as Error).message}`);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('should authenticate with user and password, and keep the password out of errors', async () => {
    const password = 'maestro-s3cret-pass';
    const guarded = await startNatsServer({
      jetstream: false,
      args: ['--user', 'maestro', '--pass', password],
    });
    try {
      const t = await NatsTransport.connect({ servers: guarded.url, user: 'maestro', password });
      await t.close();
      const err = await NatsTransport.connect({
        servers: guarded.url,
        user: 'maestro',
        password: 'wrong-password',
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NatsConnectError);
      expect((err as Error).message).toMatch(
        /^cannot connect to nats 'nats:\/\/127\.0\.0\.1:\d+': .*authorization violation/i,
      );
      const withUrl = `nats://maestro:${password}@127.0.0.1:1`;
      const urlErr = await NatsTransport.connect({
        servers: withUrl,
        maxReconnectAttempts: 0,
      }).catch((e: unknown) => e);
      expect((urlErr as Error).message).toBe(
        "cannot connect to nats 'nats://127.0.0.1:1': connection refused",
      );
      expect(redactText(`pw=${password}`)).toBe('pw=[REDACTED]');
    } finally {
      await guarded.stop();
    }
  });

  it('should authenticate with an nkey seed, given inline or in a file', async () => {
    const user = nkeys.createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    const guarded = await startNatsServer({
      jetstream: false,
      config: `authorization: { users: [ { nkey: ${user.getPublicKey()} } ] }\n`,
    });
    const seedFile = join(guarded.dir, 'user.nk');
    await writeFile(seedFile, `${seed}\n`);
    try {
      for (const auth of [{ nkeySeed: seed }, { nkeySeedFile: seedFile }]) {
        const t = await NatsTransport.connect({ servers: guarded.url, ...auth });
        t.subscribe('nk.echo', (m) => t.respond(m, m.data));
        await expect(t.request('nk.echo', 'hi', { timeoutMs: 1000 })).resolves.toBe('hi');
        await t.close();
      }
      expect(redactText(seed)).toBe('[REDACTED]');
      const other = new TextDecoder().decode(nkeys.createUser().getSeed());
      await expect(
        NatsTransport.connect({ servers: guarded.url, nkeySeed: other }),
      ).rejects.toThrow(/authorization violation/i);
    } finally {
      await guarded.stop();
    }
  });

  it('should carry a request across two servers of a 3-node cluster', async () => {
    const cluster = await startNatsCluster(3);
    try {
      expect(cluster.urls).toHaveLength(3);
      const a = await NatsTransport.connect({ servers: cluster.urls[0]! });
      const b = await NatsTransport.connect({ servers: cluster.urls[1]! });
      open.push(a, b);
      expect(a.connection.info?.server_name).toBe('n1');
      expect(b.connection.info?.server_name).toBe('n2');
      expect(a.connection.info?.cluster).toBe('maestro');
      a.subscribe('cluster.echo', (m) =>
        a.respond(m, { from: a.connection.info?.server_name ?? null, got: m.data }),
      );
      await a.connection.flush();
      // Interest crosses the route asynchronously: until it has, n2 knows no responder.
      await eventually(async () => {
        await expect(b.request('cluster.echo', 7, { timeoutMs: 1000 })).resolves.toEqual({
          from: 'n1',
          got: 7,
        });
      });
    } finally {
      await Promise.all(open.splice(0).map((c) => c.close()));
      await cluster.stop();
    }
  });
});

describe('NATS options', () => {
  it('should apply defaults and map to NATS.js options', () => {
    expect(parseNatsOptions({})).toEqual({
      servers: 'nats://127.0.0.1:4222',
      maxReconnectAttempts: -1,
      reconnectTimeWaitMs: 1000,
      connectTimeoutMs: 20_000,
    });
    const mapped = toConnectionOptions({
      servers: ['nats://a:4222', 'nats://b:4222'],
      token: 'a-long-token-value',
      name: 'w1',
    });
    expect(mapped).toMatchObject({
      servers: ['nats://a:4222', 'nats://b:4222'],
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      name: 'w1',
    });
    expect(typeof mapped.authenticator).toBe('function');
    expect(redactText('a-long-token-value')).toBe('[REDACTED]');
  });

  it('should name the field of each mistake', () => {
    const parse = (input: unknown): string => {
      try {
        parseNatsOptions(input);
        return 'ok';
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
    };
    expect(parse({ password: 'p' })).toBe('nats user: required with password');
    expect(parse({ token: 'abcdefgh', credsFile: '/x.creds' })).toBe(
      'nats: choose one way to authenticate, not token and credsFile',
    );
    expect(parse({ tls: { certFile: '/c.pem' } })).toBe(
      'nats tls.keyFile: certFile and keyFile go together',
    );
    expect(parse({ maxReconnectAttempts: -2 })).toMatch(/^nats maxReconnectAttempts: /);
    expect(parse({ nkeySeed: 'not-a-seed' })).toBe(
      'nats nkeySeed: must be an nkey seed (S followed by base32)',
    );
    expect(() => toConnectionOptions({ credsFile: '/nonexistent/user.creds' })).toThrow(
      "nats.credsFile: cannot read the file (ENOENT): '/nonexistent/user.creds'",
    );
  });
});
