import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { InspectorServer, InspectorServerOptions } from '../../inspector/server.js';
import { call, daemonsPerTest } from '../helpers/daemonServer.js';
import { eventually } from '../helpers/eventually.js';
import { FakeDaemon, serveFake, testToken } from '../helpers/fakeDaemon.js';

let server: InspectorServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
  server = undefined;
});

async function start(
  options: InspectorServerOptions,
  api: Parameters<typeof serveFake>[1] = {},
): Promise<FakeDaemon> {
  const daemon = new FakeDaemon();
  server = await serveFake(daemon, api, options);
  return daemon;
}

/** A raw TCP client: what it received, and when (ms after it connected) the server closed it. */
interface Raw {
  socket: Socket;
  text: () => string;
  closed: Promise<{ text: string; afterMs: number }>;
  /** Resolves at the next data from the server. */
  next: () => Promise<string>;
}

function raw(): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(server!.port, '127.0.0.1');
    sockets.push(socket);
    let text = '';
    let waiting: ((t: string) => void) | undefined;
    const at = Date.now();
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      text += d;
      waiting?.(text);
      waiting = undefined;
    });
    const closed = new Promise<{ text: string; afterMs: number }>((done) =>
      socket.on('close', () => done({ text, afterMs: Date.now() - at })),
    );
    socket.once('error', reject);
    socket.once('connect', () =>
      resolve({ socket, text: () => text, closed, next: () => new Promise((r) => (waiting = r)) }),
    );
  });
}

/** Writes one byte of `text` every `everyMs` until the socket closes. */
function trickle(socket: Socket, text: string, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) return void clearInterval(timer);
    socket.write(text[i++ % text.length]!);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

const getRequest =
  'GET /api/missions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer x\r\n\r\n';

describe('HTTP limits: slow clients', () => {
  it('should cut a body trickled a byte at a time with 408 within the request timeout', async () => {
    const daemon = await start({ requestTimeoutMs: 600 });
    const client = await raw();
    client.socket.write(
      `POST /api/missions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${testToken}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
    );
    trickle(client.socket, '{"source":"name: x"', 100);
    const { text, afterMs } = await client.closed;
    expect(text).toBe('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
    // the check runs every quarter of the timeout: cut between 600 and 750 ms, plus a loaded machine's slack
    expect(afterMs).toBeGreaterThanOrEqual(550);
    expect(afterMs).toBeLessThan(1500);
    expect(daemon.submitted).toEqual([]);
  });

  it('should cut headers trickled a byte at a time at the headers timeout, and a silent socket too', async () => {
    await start({ requestTimeoutMs: 5000, headersTimeoutMs: 400 });
    const [slow, silent] = await Promise.all([raw(), raw()]);
    slow.socket.write('GET /api/missions HTTP/1.1\r\nX-Slow: ');
    trickle(slow.socket, 'abcdef', 100);
    for (const client of [slow, silent]) {
      const { text, afterMs } = await client.closed;
      expect(text).toBe('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
      expect(afterMs).toBeGreaterThanOrEqual(350);
      expect(afterMs).toBeLessThan(1500);
    }
  });

  it('should not cut an event stream that outlives the request timeout', async () => {
    const daemon = await start({ requestTimeoutMs: 300 }, { sseHeartbeatMs: 100 });
    daemon.add({ id: 'm1' });
    let text = '';
    let ended = false;
    const done = new Promise<void>((resolve, reject) => {
      get(new URL('/api/missions/m1/events', server!.url), (res) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          ended = true;
          resolve();
        });
        res.on('error', reject);
      }).on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 1200)); // four request timeouts, with Node's check every 75 ms
    expect(ended).toBe(false);
    expect(text.split(': keepalive').length - 1).toBeGreaterThanOrEqual(5);
    daemon.emit('m1', 'mission.finished', { status: 'succeeded' });
    daemon.finish('m1', 'succeeded');
    await done;
    expect(text).toMatch(/event: mission\.finished\n[\s\S]*event: end\ndata: \{\}\n\n$/);
  });

  it('should not cut a ws connection that outlives the request timeout', async () => {
    await start({ requestTimeoutMs: 300, pingIntervalMs: 0 });
    const ws = new WebSocket(`${server!.url.replace('http', 'ws')}ws`);
    const messages: string[] = [];
    ws.on('message', (m) => messages.push(m.toString()));
    await eventually(() => expect(messages).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 1200));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.send(JSON.stringify({ type: 'snapshot' }));
    await eventually(() => expect(messages).toHaveLength(2));
    expect(JSON.parse(messages[1]!)).toMatchObject({ type: 'snapshot', writable: false });
    ws.close();
  });
});

describe('HTTP limits: connections per address', () => {
  it('should refuse one socket over the cap with 503 and serve the others; a closed one frees its place', async () => {
    await start({ maxConnectionsPerAddress: 4 });
    const held = await Promise.all([raw(), raw(), raw(), raw()]);
    // an answer on each proves the server counted it before the fifth arrives
    for (const client of held) {
      const answered = client.next();
      client.socket.write(getRequest);
      expect(await answered).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    }
    const fifth = await raw();
    const body = 'too many connections from 127.0.0.1: the limit is 4\n';
    expect((await fifth.closed).text).toBe(
      `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(server!.connections()).toEqual({ open: 4, refused: 1 });
    held[0]!.socket.destroy();
    await eventually(() => expect(server!.connections().open).toBe(3));
    const again = await raw();
    const answered = again.next();
    again.socket.write(getRequest);
    expect(await answered).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(server!.connections()).toEqual({ open: 4, refused: 1 });
  });
});

describe('HTTP limits: ws messages', () => {
  async function client(): Promise<{ ws: WebSocket; messages: string[] }> {
    const ws = new WebSocket(`${server!.url.replace('http', 'ws')}ws`);
    const messages: string[] = [];
    ws.on('message', (m) => messages.push(m.toString()));
    await eventually(() => expect(messages).toHaveLength(1));
    return { ws, messages };
  }

  it('should close a 200 KiB message with 1009 and a reason, and answer one at the limit', async () => {
    await start({});
    const small = await client();
    small.ws.send('x'.repeat(64 * 1024));
    await eventually(() => expect(small.messages).toHaveLength(2));
    expect(JSON.parse(small.messages[1]!)).toEqual({
      type: 'error',
      message: expect.stringMatching(/^bad message: /),
    });
    const big = await client();
    const closed = new Promise<[number, string]>((resolve) =>
      big.ws.on('close', (code, reason) => resolve([code, reason.toString()])),
    );
    big.ws.send('x'.repeat(200 * 1024));
    expect(await closed).toEqual([1009, 'message too large: the limit is 65536 bytes']);
    expect(small.ws.readyState).toBe(WebSocket.OPEN);
    small.ws.close();
  });

  it('should take its cap from maxMessageBytes', async () => {
    await start({ maxMessageBytes: 1000 });
    const { ws } = await client();
    const closed = new Promise<[number, string]>((resolve) =>
      ws.on('close', (code, reason) => resolve([code, reason.toString()])),
    );
    ws.send('x'.repeat(1001));
    expect(await closed).toEqual([1009, 'message too large: the limit is 1000 bytes']);
  });
});

describe('HTTP limits: ids and names (the real daemon)', () => {
  const serve = daemonsPerTest();
  const hello = readFileSync('examples/hello.yaml', 'utf8');
  const long = 'a'.repeat(300);

  it('should refuse a 300-character mission id with 400 and the limit, as JSON or as a raw file', async () => {
    const d = await serve();
    expect(
      await call(d, 'POST', '/api/missions', { body: { source: hello, id: long } }),
    ).toMatchObject({ status: 400, json: { error: 'id: expected at most 128 characters' } });
    expect(
      await call(d, 'POST', `/api/missions?id=${long}`, { body: hello, type: 'application/yaml' }),
    ).toMatchObject({ status: 400, json: { error: 'id: expected at most 128 characters' } });
    const ok = await call(d, 'POST', '/api/missions', {
      body: { source: hello, id: 'a'.repeat(128) },
    });
    expect([ok.status, ok.json.id]).toEqual([201, 'a'.repeat(128)]);
  });

  it('should refuse a 300-character mission name with 400, its line and the limit', async () => {
    const d = await serve();
    const res = await call(d, 'POST', '/api/missions', {
      body: { source: hello.replace('name: hello', `name: ${long}`), filename: 'long.yaml' },
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: 'long.yaml:4 name: expected at most 128 characters',
      file: 'long.yaml',
      issues: [{ path: 'name', message: 'expected at most 128 characters', line: 4 }],
    });
  });
});
