import { get, request, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { InspectorServer } from '../../inspector/server.js';
import { eventually } from '../helpers/eventually.js';
import { FakeDaemon, serveFake, testToken } from '../helpers/fakeDaemon.js';

let server: InspectorServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: Parameters<typeof serveFake>[1] = {}): Promise<FakeDaemon> {
  const daemon = new FakeDaemon();
  server = await serveFake(daemon, options);
  return daemon;
}

interface CallOptions {
  body?: unknown;
  /** Sent as is when a string; JSON otherwise. */
  type?: string;
  token?: string | null;
}

async function call(
  method: string,
  path: string,
  { body, type, token = testToken }: CallOptions = {},
) {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = type ?? 'application/json';
  const res = await fetch(new URL(path, server!.url), {
    method,
    headers,
    body: typeof body === 'string' || body === undefined ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

/** An event stream read with node:http, so the test can hang up whenever it likes. */
function stream(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ res: IncomingMessage; text: () => string; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = get(new URL(path, server!.url), { headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      const ended = new Promise<void>((done) => res.on('end', done));
      resolve({ res, text: () => text, ended });
    });
    req.on('error', reject);
  });
}

/** A POST whose body comes in chunks without a content-length: the limit is checked as it arrives. */
function chunked(path: string, chunks: string[]): Promise<[number | undefined, unknown]> {
  return new Promise((resolve, reject) => {
    const headers = {
      authorization: `Bearer ${testToken}`,
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
    };
    const req = request(new URL(path, server!.url), { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () =>
        resolve([res.statusCode, (JSON.parse(text) as { error: unknown }).error]),
      );
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

const sse = (seq: number, type: string, fields: Record<string, unknown> = {}): string =>
  `id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify({ seq, ts: '2025-01-01T00:00:01.000Z', mission: 'm1', type, ...fields })}\n\n`;

describe('daemon HTTP API: missions', () => {
  it('should submit a JSON request with 201 and the summary', async () => {
    const daemon = await start();
    const res = await call('POST', '/api/missions', {
      body: { source: 'name: hello', filename: 'hello.yaml', input: 'x' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.json).toEqual({
      id: 'm1',
      name: 'hello',
      state: 'running',
      submittedAt: '2025-01-01T00:00:00.000Z',
      stage: 'research',
      stages: ['research', 'summarize'],
    });
    expect(daemon.submitted).toEqual([
      { source: 'name: hello', filename: 'hello.yaml', input: 'x' },
    ]);
  });

  it('should take a raw mission file, with input, id and filename from the query', async () => {
    const daemon = await start();
    const res = await call('POST', '/api/missions?input=hi%20there&id=mine&filename=a.yaml', {
      body: 'name: hello\n',
      type: 'application/yaml',
    });
    expect(res.status).toBe(201);
    expect(res.json!.id).toBe('mine');
    expect(daemon.submitted).toEqual([
      { source: 'name: hello\n', input: 'hi there', id: 'mine', filename: 'a.yaml' },
    ]);
    expect(
      (await call('POST', '/api/missions', { body: 'name: x', type: 'text/plain;charset=UTF-8' }))
        .status,
    ).toBe(201);
  });

  it('should answer a bad mission file with 400, its message and its issues', async () => {
    await start();
    const res = await call('POST', '/api/missions', {
      body: { source: 'bad: 1', filename: 'bad.yaml' },
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: 'bad.yaml:2 stages: expected at least 1 stage\nbad.yaml: unknown key bad',
      file: 'bad.yaml',
      issues: [
        { path: 'stages', message: 'expected at least 1 stage', line: 2 },
        { path: '', message: 'unknown key bad' },
      ],
    });
  });

  it('should refuse a bad request body with 400 naming the field, and other content types with 415', async () => {
    await start();
    const bad = async (body: unknown, type?: string) => {
      const res = await call(
        'POST',
        '/api/missions',
        type === undefined ? { body } : { body, type },
      );
      return [res.status, res.json!.error];
    };
    expect(await bad('{"source": ')).toEqual([
      400,
      expect.stringMatching(/^request body is not valid JSON: ./),
    ]);
    expect(await bad({ source: 'a', path: 'b' })).toEqual([
      400,
      'request body: expected exactly one of source or path',
    ]);
    expect(await bad({})).toEqual([400, 'request body: expected exactly one of source or path']);
    expect(await bad({ source: 'a', extra: 1 })).toEqual([
      400,
      "request body: unknown field 'extra'",
    ]);
    expect(await bad({ source: 3 })).toEqual([400, 'source: expected string']);
    expect(await bad([1])).toEqual([400, 'request body: expected a JSON object']);
    expect(await bad('name: x', 'text/html')).toEqual([
      415,
      "unsupported content-type 'text/html': send application/json, or the mission file as application/yaml",
    ]);
  });

  it('should list missions and give one mission status, open to reads without the token', async () => {
    const daemon = await start();
    daemon.add({ id: 'a', state: 'succeeded', result: 'done' });
    expect(await call('GET', '/api/missions', { token: null })).toMatchObject({
      status: 200,
      json: { missions: [{ id: 'a', state: 'succeeded' }] },
    });
    const res = await call('GET', '/api/missions/a', { token: null });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id: 'a',
      result: 'done',
      done: [],
      approvals: [],
      eventLog: '/state/missions/a.jsonl',
    });
  });

  it('should say 404 for an unknown mission, approval or route, and leave other paths to the inspector', async () => {
    await start();
    expect(await call('GET', '/api/missions/nope')).toMatchObject({
      status: 404,
      json: { error: "unknown mission 'nope'" },
    });
    expect(await call('POST', '/api/missions/nope/stop')).toMatchObject({
      status: 404,
      json: { error: "unknown mission 'nope'" },
    });
    expect(
      await call('POST', '/api/approvals/x/y/1', { body: { decision: 'approve' } }),
    ).toMatchObject({ status: 404, json: { error: "unknown approval 'x/y/1'" } });
    expect(await call('GET', '/api/nope')).toMatchObject({
      status: 404,
      json: { error: 'unknown route: GET /api/nope' },
    });
    expect(await call('GET', '/api/missions/a/b/c')).toMatchObject({
      status: 404,
      json: { error: 'unknown route: GET /api/missions/a/b/c' },
    });
    expect((await call('GET', '/snapshot.json')).json).toMatchObject({ type: 'snapshot', seq: 0 });
  });

  it('should say 405 with allow for a wrong method on a known route', async () => {
    await start();
    const res = await call('DELETE', '/api/missions');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
    expect(res.json).toEqual({
      error: 'method DELETE not allowed on /api/missions (allowed: GET, POST)',
    });
    const stop = await call('GET', '/api/missions/m1/stop');
    expect([stop.status, stop.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('should stop a mission with 202, and say 409 for one that is over or an id that is taken', async () => {
    const daemon = await start();
    daemon.add({ id: 'run' });
    daemon.add({ id: 'over', state: 'failed' });
    expect(
      await call('POST', '/api/missions/run/stop', { body: { reason: 'enough' } }),
    ).toMatchObject({ status: 202, json: { id: 'run', state: 'running' } });
    expect((await call('POST', '/api/missions/run/stop')).status).toBe(202);
    expect(daemon.stopped).toEqual([{ id: 'run', reason: 'enough' }, { id: 'run' }]);
    expect(await call('POST', '/api/missions/over/stop')).toMatchObject({
      status: 409,
      json: { error: "mission 'over' is already failed" },
    });
    expect(await call('POST', '/api/missions/run/stop', { body: { why: 1 } })).toMatchObject({
      status: 400,
      json: { error: "request body: unknown field 'why'" },
    });
    expect(await call('POST', '/api/missions', { body: { source: 'x', id: 'run' } })).toMatchObject(
      { status: 409, json: { error: "mission 'run' already exists" } },
    );
  });

  it('should say 413 for a body over the limit and 503 while the daemon stops', async () => {
    const daemon = await start({ maxBodyBytes: 100 });
    expect(
      await call('POST', '/api/missions', { body: { source: 'x'.repeat(200) } }),
    ).toMatchObject({
      status: 413,
      json: { error: 'request body too large: the limit is 100 bytes' },
    });
    expect(
      await chunked('/api/missions', ['{"source": "', 'x'.repeat(60), 'x'.repeat(60), '"}']),
    ).toEqual([413, 'request body too large: the limit is 100 bytes']);
    expect(daemon.submitted).toEqual([]);
    daemon.stopping = true;
    expect(await call('POST', '/api/missions', { body: { source: 'x' } })).toMatchObject({
      status: 503,
      json: { error: 'the daemon is stopping and accepts no new missions' },
    });
  });

  it('should answer 500 internal error for a failure of ours, logging it but never the token', async () => {
    const logs: unknown[] = [];
    const logger = {
      info: (o: object, m?: string) => logs.push([o, m]),
      warn: (o: object, m?: string) => logs.push([o, m]),
    };
    const daemon = await start({ logger });
    daemon.failList = new Error('disk on fire');
    expect(await call('GET', '/api/missions')).toMatchObject({
      status: 500,
      json: { error: 'internal error' },
    });
    daemon.failList = undefined;
    await call('POST', '/api/missions', { body: { source: 'x' } });
    await call('POST', '/api/missions', { body: { source: 'x' }, token: 'guess' });
    expect(logs.map((l) => (l as [object, string])[1])).toEqual([
      'daemon api: request failed',
      'daemon api: write',
      'daemon api: refused',
    ]);
    expect((logs[0] as [{ err: Error }])[0].err.message).toBe('disk on fire');
    expect(JSON.stringify(logs)).not.toContain(testToken);
    expect(JSON.stringify(logs)).not.toContain('guess');
  });
});

describe('daemon HTTP API: the token', () => {
  it('should refuse a write without the token or with a wrong one, saying which, with 401', async () => {
    const daemon = await start();
    const missing = await call('POST', '/api/missions', { body: { source: 'x' }, token: null });
    expect([missing.status, missing.headers.get('www-authenticate'), missing.json]).toEqual([
      401,
      'Bearer',
      { error: "missing token: send 'authorization: Bearer <token>'" },
    ]);
    const wrong = await call('POST', '/api/missions', { body: { source: 'x' }, token: 'nope' });
    expect([wrong.status, wrong.headers.get('www-authenticate'), wrong.json]).toEqual([
      401,
      'Bearer',
      { error: 'wrong token' },
    ]);
    expect(daemon.submitted).toEqual([]);
  });

  it('should need the token for reads too with authReads', async () => {
    await start({ authReads: true });
    expect(await call('GET', '/api/missions', { token: null })).toMatchObject({
      status: 401,
      json: { error: "missing token: send 'authorization: Bearer <token>'" },
    });
    expect((await call('GET', '/api/approvals', { token: 'nope' })).status).toBe(401);
    expect((await call('GET', '/api/missions')).status).toBe(200);
  });
});

describe('daemon HTTP API: approvals', () => {
  it('should list pending approvals and answer one by its id, encoded or raw', async () => {
    const daemon = await start();
    daemon.add({ id: 'm' });
    daemon.request('m', 'plan', 'the plan');
    daemon.request('m', 'code', 'the code');
    const list = await call('GET', '/api/approvals', { token: null });
    expect(list.json!.approvals).toMatchObject([
      { id: 'm/plan/1', output: 'the plan' },
      { id: 'm/code/1' },
    ]);
    const encoded = await call('POST', `/api/approvals/${encodeURIComponent('m/plan/1')}`, {
      body: { decision: 'approve' },
    });
    expect(encoded).toMatchObject({
      status: 200,
      json: { alreadyAnswered: false, approval: { id: 'm/plan/1', status: 'approved', by: 'api' } },
    });
    const raw = await call('POST', '/api/approvals/m/code/1', {
      body: { decision: 'reject', feedback: 'smaller' },
    });
    expect(raw).toMatchObject({
      status: 200,
      json: { alreadyAnswered: false, approval: { status: 'rejected', feedback: 'smaller' } },
    });
    expect(daemon.answers).toEqual([
      { id: 'm/plan/1', answer: { decision: 'approve', by: 'api' } },
      { id: 'm/code/1', answer: { decision: 'reject', feedback: 'smaller', by: 'api' } },
    ]);
    expect(
      (await call('POST', '/api/approvals/m/plan/1', { body: { decision: 'reject' } })).json,
    ).toMatchObject({ alreadyAnswered: true, approval: { status: 'approved' } });
  });

  it('should refuse a bad decision, a foreign by, and a write without the token', async () => {
    const daemon = await start();
    daemon.request('m', 'plan', 'p');
    expect(
      await call('POST', '/api/approvals/m/plan/1', { body: { decision: 'yes' } }),
    ).toMatchObject({ status: 400, json: { error: "decision: expected 'approve' or 'reject'" } });
    expect(await call('POST', '/api/approvals/m/plan/1', { body: {} })).toMatchObject({
      status: 400,
      json: { error: "decision: expected 'approve' or 'reject'" },
    });
    expect(
      await call('POST', '/api/approvals/m/plan/1', { body: { decision: 'approve', by: 'me' } }),
    ).toMatchObject({ status: 400, json: { error: "request body: unknown field 'by'" } });
    expect(
      (
        await call('POST', '/api/approvals/m/plan/1', {
          body: { decision: 'approve' },
          token: null,
        })
      ).status,
    ).toBe(401);
    expect(daemon.answers).toEqual([]);
  });
});

describe('daemon HTTP API: event stream', () => {
  it('should send the history, then live events, then end', async () => {
    const daemon = await start();
    daemon.add({ id: 'm1' });
    daemon.emit('m1', 'mission.started', { stages: ['a'] });
    daemon.emit('m1', 'stage.entered', { stage: 'a' });
    const s = await stream('/api/missions/m1/events');
    expect(s.res.statusCode).toBe(200);
    expect([
      s.res.headers['content-type'],
      s.res.headers['cache-control'],
      s.res.headers.connection,
    ]).toEqual(['text/event-stream', 'no-cache', 'keep-alive']);
    await eventually(() =>
      expect(s.text()).toBe(
        sse(1, 'mission.started', { stages: ['a'] }) + sse(2, 'stage.entered', { stage: 'a' }),
      ),
    );
    daemon.emit('m1', 'mission.finished', { status: 'succeeded' });
    daemon.finish('m1', 'succeeded');
    await s.ended;
    expect(s.text()).toBe(
      `${sse(1, 'mission.started', { stages: ['a'] })}${sse(2, 'stage.entered', { stage: 'a' })}${sse(3, 'mission.finished', { status: 'succeeded' })}event: end\ndata: {}\n\n`,
    );
  });

  it('should resume after Last-Event-ID or ?after, and end at once for a mission that is over', async () => {
    const daemon = await start();
    daemon.add({ id: 'm1' });
    for (const t of ['a', 'b', 'c']) daemon.emit('m1', t);
    daemon.finish('m1', 'failed');
    const byHeader = await stream('/api/missions/m1/events?after=0', { 'last-event-id': '2' });
    await byHeader.ended;
    expect(byHeader.text()).toBe(`${sse(3, 'c')}event: end\ndata: {}\n\n`);
    const byQuery = await stream('/api/missions/m1/events?after=1');
    await byQuery.ended;
    expect(byQuery.text()).toBe(`${sse(2, 'b')}${sse(3, 'c')}event: end\ndata: {}\n\n`);
    expect(await call('GET', '/api/missions/m1/events?after=-1')).toMatchObject({
      status: 400,
      json: { error: "after: expected a non-negative integer, got '-1'" },
    });
  });

  it('should answer an unknown mission with a 404 JSON error, not a stream', async () => {
    await start();
    const res = await call('GET', '/api/missions/nope/events');
    expect([res.status, res.headers.get('content-type'), res.json]).toEqual([
      404,
      'application/json; charset=utf-8',
      { error: "unknown mission 'nope'" },
    ]);
  });

  it('should send keepalive comments and unsubscribe when the client hangs up', async () => {
    const daemon = await start({ sseHeartbeatMs: 20 });
    daemon.add({ id: 'm1' });
    const s = await stream('/api/missions/m1/events');
    await eventually(() => expect(s.text()).toContain(': keepalive\n\n'));
    expect(daemon.liveSubscribers('m1')).toBe(1);
    s.res.destroy();
    await eventually(() => expect(daemon.liveSubscribers('m1')).toBe(0));
  });
});

describe('GET /api/health', () => {
  it('should answer from memory, and run a full GC first only for the token, in a daemon run with --expose-gc', async () => {
    const daemon = await start();
    await call('POST', '/api/missions', { body: { source: 'name: x' } });
    const open = await call('GET', '/api/health', { token: null });
    expect(open.status).toBe(200);
    expect(open.json).toMatchObject({ ok: true, pid: process.pid, missions: { total: 1 } });
    expect(daemon.missions.size).toBe(1);
    const anon = await call('GET', '/api/health?gc=1', { token: null });
    expect(anon.status).toBe(401);
    const hasGc = typeof (globalThis as { gc?: unknown }).gc === 'function';
    const gc = await call('GET', '/api/health?gc=1');
    expect(gc.status).toBe(hasGc ? 200 : 400);
    if (!hasGc) expect(gc.json?.error).toBe('gc=1: this daemon was not started with --expose-gc');
  });
});
