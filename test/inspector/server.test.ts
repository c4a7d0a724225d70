import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { applyDelta, inspectCommand, toWsUrl } from '../../cli/inspect.js';
import {
  startInspectorServer,
  type HubLike,
  type InspectorServer,
  type InspectorServerOptions,
} from '../../inspector/server.js';
import type {
  ClientMessage,
  InspectorDelta,
  InspectorNode,
  InspectorSnapshot,
} from '../../inspector/types.js';

/** An in-memory hub: a snapshot we control, deltas we push, the last `keep` deltas for resync. */
class FakeHub implements HubLike {
  seq = 0;
  nodes = new Map<string, InspectorNode>();
  log: InspectorDelta[] = [];
  private listeners = new Set<(d: InspectorDelta) => void>();
  constructor(private keep = 100) {}

  snapshot(): InspectorSnapshot {
    return {
      type: 'snapshot',
      seq: this.seq,
      nodes: [...this.nodes.values()],
      events: [],
      votes: [],
      approvals: [],
      definitions: {},
      dropped: 0,
    };
  }

  since(seq: number): InspectorDelta[] | undefined {
    if (seq >= this.seq) return [];
    const oldest = this.log[0]?.seq;
    if (oldest === undefined || oldest > seq + 1) return undefined;
    return this.log.filter((d) => d.seq > seq);
  }

  subscribe(listener: (d: InspectorDelta) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  push(upserts: InspectorNode[] = []): InspectorDelta {
    for (const n of upserts) this.nodes.set(n.id, n);
    const d: InspectorDelta = {
      type: 'delta',
      seq: ++this.seq,
      upserts,
      removes: [],
      events: [],
      votes: [],
      dropped: 0,
    };
    this.log.push(d);
    if (this.log.length > this.keep) this.log.shift();
    for (const l of this.listeners) l(d);
    return d;
  }
}

function node(id: string, extra: Partial<InspectorNode> = {}): InspectorNode {
  return {
    id,
    kind: 'worker',
    logic: 'agentWorker',
    status: 'active',
    restarts: 0,
    updatedAt: 0,
    ...extra,
  };
}

type Msg = { type: string; seq?: number; [k: string]: unknown };

/** A ws client whose messages can be awaited one by one. */
class Client {
  readonly ws: WebSocket;
  private queue: Msg[] = [];
  private waiters: ((m: Msg) => void)[] = [];
  constructor(url: string, opts?: WebSocket.ClientOptions) {
    this.ws = new WebSocket(url, opts);
    this.ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as Msg;
      const w = this.waiters.shift();
      if (w) w(m);
      else this.queue.push(m);
    });
  }

  next(): Promise<Msg> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }
}

const servers: InspectorServer[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  for (const s of servers.splice(0)) await s.close();
});

async function start(hub: HubLike, options: InspectorServerOptions = {}): Promise<InspectorServer> {
  const server = await startInspectorServer(hub, options);
  servers.push(server);
  return server;
}

function connect(server: InspectorServer, query = ''): Client {
  const c = new Client(`${server.url.replace('http', 'ws')}ws${query}`);
  clients.push(c);
  return c;
}

function get(
  server: InspectorServer,
  path: string,
  method = 'GET',
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('inspector server', () => {
  it('should send the snapshot, then every delta in order', async () => {
    const hub = new FakeHub();
    hub.nodes.set('mission/m1', node('mission/m1', { kind: 'mission', logic: 'mission' }));
    const server = await start(hub);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    const c = connect(server);
    const snap = await c.next();
    expect(snap).toMatchObject({
      type: 'snapshot',
      seq: 0,
      writable: false,
      nodes: [{ id: 'mission/m1' }],
    });
    hub.push([node('mission/m1/a1')]);
    hub.push([node('mission/m1/a2')]);
    hub.push();
    expect((await c.next()).seq).toBe(1);
    expect(await c.next()).toMatchObject({
      type: 'delta',
      seq: 2,
      upserts: [{ id: 'mission/m1/a2' }],
    });
    expect((await c.next()).seq).toBe(3);
  });

  it('should not send a client the deltas its snapshot already covers', async () => {
    // The real hub flushes pending changes, as a delta to subscribers, when asked for a snapshot.
    class FlushingHub extends FakeHub {
      override snapshot(): InspectorSnapshot {
        this.push([node(`flushed-${this.seq}`)]);
        return super.snapshot();
      }
    }
    const hub = new FlushingHub();
    const server = await start(hub);
    const first = connect(server);
    expect(await first.next()).toMatchObject({ type: 'snapshot', seq: 1 });
    const second = connect(server);
    expect(await second.next()).toMatchObject({ type: 'snapshot', seq: 2 });
    expect((await first.next()).seq).toBe(2);
    hub.push();
    expect((await second.next()).seq).toBe(3);
  });

  it('should answer resync with the missed deltas, or with a snapshot when they are gone', async () => {
    const hub = new FakeHub(3);
    const server = await start(hub);
    const c = connect(server);
    await c.next();
    for (let i = 1; i <= 5; i++) hub.push([node(`a${i}`)]);
    for (let i = 1; i <= 5; i++) await c.next();
    c.send({ type: 'resync', from: 3 });
    expect((await c.next()).seq).toBe(4);
    expect((await c.next()).seq).toBe(5);
    c.send({ type: 'resync', from: 1 });
    expect(await c.next()).toMatchObject({ type: 'snapshot', seq: 5, writable: false });
    expect(
      (
        (
          await (async () => {
            c.send({ type: 'snapshot' });
            return c.next();
          })()
        ).nodes as unknown[]
      ).length,
    ).toBe(5);
  });

  it('should refuse a malformed message with an error and keep the connection', async () => {
    const hub = new FakeHub();
    const server = await start(hub);
    const c = connect(server);
    await c.next();
    c.ws.send('not json');
    expect((await c.next()).type).toBe('error');
    c.send({ type: 'resync', from: -1 });
    expect(await c.next()).toMatchObject({
      type: 'error',
      message: expect.stringMatching(/^bad message: /),
    });
    hub.push();
    expect((await c.next()).seq).toBe(1);
  });

  it('should refuse writes without the token and pass them on with it', async () => {
    const writes: ClientMessage[] = [];
    const server = await start(new FakeHub(), {
      token: 's3cret',
      onWrite: (m) => void writes.push(m),
    });
    const anon = connect(server);
    expect(await anon.next()).toMatchObject({ type: 'snapshot', writable: false });
    anon.send({ type: 'approve', id: 'gate-1' });
    expect(await anon.next()).toEqual({
      type: 'error',
      message: 'write refused: a token is required',
    });
    anon.send({ type: 'stop', path: 'mission/m1', token: 'guess' });
    expect(await anon.next()).toEqual({ type: 'error', message: 'write refused: invalid token' });
    expect(writes).toEqual([]);

    const wrong = connect(server, '?token=nope');
    expect(await wrong.next()).toMatchObject({ type: 'snapshot', writable: false });

    const admin = connect(server, '?token=s3cret');
    expect(await admin.next()).toMatchObject({ type: 'snapshot', writable: true });
    admin.send({ type: 'approve', id: 'gate-1' });
    expect(await admin.next()).toEqual({ type: 'ack', action: 'approve', id: 'gate-1' });
    admin.send({ type: 'reject', id: 'gate-2', feedback: 'too risky', token: 's3cret' });
    expect(await admin.next()).toEqual({
      type: 'ack',
      action: 'reject',
      id: 'gate-2',
      feedback: 'too risky',
    });
    expect(writes).toEqual([
      { type: 'approve', id: 'gate-1' },
      { type: 'reject', id: 'gate-2', feedback: 'too risky' },
    ]);
  });

  it('should refuse every write when no token is configured, and report a failing write', async () => {
    const server = await start(new FakeHub(), { onWrite: () => {} });
    const c = connect(server, '?token=anything');
    expect(await c.next()).toMatchObject({ writable: false });
    c.send({ type: 'approve', id: 'g' });
    expect(await c.next()).toEqual({ type: 'error', message: 'write refused: invalid token' });

    const noWrites = await start(new FakeHub(), { token: 't' });
    const e = connect(noWrites, '?token=t');
    expect(await e.next()).toMatchObject({ writable: false });
    e.send({ type: 'stop', path: 'p' });
    expect(await e.next()).toEqual({
      type: 'error',
      message: 'write refused: this inspector takes no writes',
    });

    const failing = await start(new FakeHub(), {
      token: 't',
      onWrite: () => Promise.reject(new Error("no approval 'g'")),
    });
    const d = connect(failing, '?token=t');
    await d.next();
    d.send({ type: 'approve', id: 'g' });
    expect(await d.next()).toEqual({ type: 'error', message: "approve failed: no approval 'g'" });
  });

  it('should serve the page, the snapshot as JSON, and nothing else', async () => {
    const hub = new FakeHub();
    hub.nodes.set('m', node('m'));
    const server = await start(hub);
    const index = await get(server, '/');
    expect(index.status).toBe(200);
    expect(index.type).toBe('text/html; charset=utf-8');
    expect(index.body).toContain('data-testid="tree"');
    expect(await get(server, '/app.js')).toMatchObject({
      status: 200,
      type: 'text/javascript; charset=utf-8',
    });
    expect(await get(server, '/style.css')).toMatchObject({
      status: 200,
      type: 'text/css; charset=utf-8',
    });
    const snap = await get(server, '/snapshot.json');
    expect(snap.type).toBe('application/json; charset=utf-8');
    expect(JSON.parse(snap.body)).toEqual(hub.snapshot());
    for (const path of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/..%2fpackage.json',
      '/page/app.js',
      '/server.ts',
      '/nope',
    ]) {
      expect((await get(server, path)).status, path).toBe(404);
    }
    expect((await get(server, '/', 'POST')).status).toBe(405);
  });

  it('should refuse a ws connection from another site', async () => {
    const server = await start(new FakeHub());
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}ws`, {
      origin: 'http://evil.example',
    });
    ws.on('error', () => {});
    const status = await new Promise<number>((resolve) =>
      ws.on('unexpected-response', (req, res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      }),
    );
    expect(status).toBe(403);
  });

  it('should terminate a client that does not read, and keep serving the others', async () => {
    const hub = new FakeHub(1);
    const logs: object[] = [];
    const server = await start(hub, {
      maxBufferedBytes: 64 * 1024,
      logger: { info: () => {}, warn: (o) => void logs.push(o) },
    });
    const slow = connect(server);
    const fast = connect(server);
    await slow.next();
    await fast.next();
    // Stop reading: the kernel's buffers fill, then the server's.
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = 'x'.repeat(256 * 1024);
    for (let i = 0; i < 400 && server.stats().droppedClients === 0; i++) {
      const d = hub.push([node('big', { value: big })]);
      expect((await fast.next()).seq).toBe(d.seq);
    }
    expect(server.stats()).toEqual({ clients: 1, droppedClients: 1 });
    expect(logs).toContainEqual(
      expect.objectContaining({ maxBufferedBytes: 64 * 1024, droppedClients: 1 }),
    );
    const d = hub.push();
    expect((await fast.next()).seq).toBe(d.seq);
  });

  it('should listen on 127.0.0.1 only', async () => {
    const server = await start(new FakeHub());
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) return;
    const err = await new Promise<Error>((resolve) => {
      const req = request({ host: external.address, port: server.port, path: '/' }, () =>
        resolve(new Error('connected')),
      );
      req.on('error', resolve);
      req.end();
    });
    expect((err as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});

describe('maestro inspect', () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) },
    };
  };

  it('should turn http and ws URLs into the ws endpoint', () => {
    expect(toWsUrl('http://127.0.0.1:4000/')).toBe('ws://127.0.0.1:4000/ws');
    expect(toWsUrl('https://host:4000')).toBe('wss://host:4000/ws');
    expect(toWsUrl('ws://127.0.0.1:4000/ws?token=t')).toBe('ws://127.0.0.1:4000/ws?token=t');
    expect(() => toWsUrl('ftp://x')).toThrow();
  });

  it('should print the tree once, or the snapshot as JSON', async () => {
    const hub = new FakeHub();
    hub.nodes.set(
      'mission/m1',
      node('mission/m1', { kind: 'mission', logic: 'mission', value: 'running' }),
    );
    const server = await start(hub);
    const a = capture();
    expect(await inspectCommand(server.url, { once: true }, a.io)).toBe(0);
    expect(a.out).toEqual(['seq 0 · 1 nodes · 0 dropped\nmission/m1  mission  running  active']);
    const b = capture();
    expect(await inspectCommand(`ws://127.0.0.1:${server.port}/ws`, { json: true }, b.io)).toBe(0);
    expect(JSON.parse(b.out[0]!)).toEqual(hub.snapshot());
  });

  it('should redraw on deltas until stopped', async () => {
    const hub = new FakeHub();
    const server = await start(hub);
    const { out, io } = capture();
    const stop = new AbortController();
    let t = 0;
    const done = inspectCommand(server.url, {}, io, {
      tty: false,
      signal: stop.signal,
      now: () => (t += 1000),
    });
    while (out.length < 1) await new Promise((r) => setImmediate(r));
    hub.push([node('w1')]);
    while (out.length < 2) await new Promise((r) => setTimeout(r, 5));
    stop.abort();
    expect(await done).toBe(0);
    expect(out[1]).toBe('seq 1 · 1 nodes · 0 dropped\nw1  worker  active\n');
  });

  it('should exit 1 when the inspector cannot be reached', async () => {
    const server = await start(new FakeHub());
    const url = server.url;
    await server.close();
    const { err, io } = capture();
    expect(await inspectCommand(url, { once: true }, io)).toBe(1);
    expect(err).toEqual([
      `maestro inspect: cannot reach ${url}: connect ECONNREFUSED 127.0.0.1:${new URL(url).port}`,
    ]);
  });

  it('should apply a delta: upserts, removes, votes by path, approvals replaced', () => {
    const s: InspectorSnapshot = {
      type: 'snapshot',
      seq: 1,
      nodes: [node('a'), node('b')],
      events: [],
      votes: [],
      approvals: [],
      definitions: {},
      dropped: 0,
    };
    const next = applyDelta(s, {
      type: 'delta',
      seq: 2,
      upserts: [node('b', { status: 'done' }), node('c')],
      removes: ['a'],
      events: [],
      votes: [{ path: 'v', step: 1, k: 2, samples: 2, tallies: { x: 2 }, flagged: 0 }],
      approvals: [{ id: 'g', path: 'a', question: 'ok?', since: 0 }],
      dropped: 3,
    });
    expect(next.nodes.map((n) => `${n.id}:${n.status}`)).toEqual(['b:done', 'c:active']);
    expect(next).toMatchObject({
      seq: 2,
      dropped: 3,
      votes: [{ path: 'v' }],
      approvals: [{ id: 'g' }],
    });
  });
});
