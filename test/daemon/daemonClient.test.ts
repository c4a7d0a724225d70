import { writeFileSync } from 'node:fs';
import type { LooseEvent } from '../helpers/looseEvent.js';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { approveCommand } from '../../cli/approve.js';
import {
  DaemonClient,
  DaemonRequestError,
  MaestroClient,
  resolveDaemon,
} from '../../daemon/daemonClient.js';
import { statusCommand } from '../../cli/status.js';
import { stopCommand } from '../../cli/stopMission.js';
import { submitCommand } from '../../cli/submit.js';
import type { InspectorServer } from '../../inspector/server.js';
import { captureIo, terminalIo } from '../helpers/captureIo.js';
import { daemonToken, daemonsPerTest } from '../helpers/daemonServer.js';
import { eventually } from '../helpers/eventually.js';
import { FakeDaemon, serveFake, testToken } from '../helpers/fakeDaemon.js';
import { tempDir } from '../helpers/missions.js';

let server: InspectorServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<{ daemon: FakeDaemon; flags: { url: string; token: string } }> {
  const daemon = new FakeDaemon();
  server = await serveFake(daemon);
  return { daemon, flags: { url: server.url, token: testToken } };
}

const capture = terminalIo;

/** A port nothing listens on: one the OS just handed out and took back. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('resolveDaemon', () => {
  it('should read url and token from daemon.json in the state directory', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'daemon.json'),
      JSON.stringify({ url: 'http://127.0.0.1:4555/', token: 'file-token', pid: 1 }),
    );
    expect(resolveDaemon({ 'state-dir': dir }, {})).toEqual({
      url: 'http://127.0.0.1:4555/',
      token: 'file-token',
    });
    expect(resolveDaemon({}, { MAESTRO_STATE_DIR: dir })).toEqual({
      url: 'http://127.0.0.1:4555/',
      token: 'file-token',
    });
    expect(resolveDaemon({ 'state-dir': dir, token: 'flag' }, { MAESTRO_TOKEN: 'env' })).toEqual({
      url: 'http://127.0.0.1:4555/',
      token: 'flag',
    });
    expect(resolveDaemon({ 'state-dir': dir }, { MAESTRO_TOKEN: 'env' })).toEqual({
      url: 'http://127.0.0.1:4555/',
      token: 'env',
    });
  });

  it("should prefer --url and MAESTRO_URL, and send daemon.json's token only to its own daemon", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'daemon.json'),
      JSON.stringify({ url: 'http://127.0.0.1:4555/', token: 'file-token' }),
    );
    expect(resolveDaemon({ 'state-dir': dir, url: 'http://127.0.0.1:4555' }, {})).toEqual({
      url: 'http://127.0.0.1:4555',
      token: 'file-token',
    });
    expect(resolveDaemon({ 'state-dir': dir, url: 'http://elsewhere:1/' }, {})).toEqual({
      url: 'http://elsewhere:1/',
    });
    expect(
      resolveDaemon({ 'state-dir': dir }, { MAESTRO_URL: 'http://env:2/', MAESTRO_TOKEN: 't' }),
    ).toEqual({ url: 'http://env:2/', token: 't' });
  });

  it('should say where it looked when no daemon is found', () => {
    const dir = tempDir();
    expect(() => resolveDaemon({ 'state-dir': dir }, {})).toThrow(
      `no maestro daemon found in '${dir}' (no daemon.json with a url): start one with 'maestro daemon', or pass --url`,
    );
    writeFileSync(join(dir, 'daemon.json'), '{not json');
    expect(() => resolveDaemon({ 'state-dir': dir }, {})).toThrow(
      new RegExp(`^cannot read ${join(dir, 'daemon.json')}: `),
    );
  });
});

describe('DaemonClient', () => {
  it('should say the daemon cannot be reached, and where', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/`;
    await expect(new DaemonClient({ url }).list()).rejects.toThrow(
      `cannot reach the maestro daemon at ${url}: ECONNREFUSED (is 'maestro daemon' running?)`,
    );
    expect(() => new DaemonClient({ url: 'localhost:3' })).toThrow(
      "invalid daemon url 'localhost:3': expected http://HOST:PORT/",
    );
  });

  it("should turn the daemon's refusals into DaemonRequestErrors with its status and message", async () => {
    const { flags } = await start();
    const client = new DaemonClient(flags);
    const unknown = await client.status('nope').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(DaemonRequestError);
    expect(unknown).toMatchObject({ status: 404, message: "unknown mission 'nope'" });
    const bad = await client
      .submit({ source: 'bad: 1', filename: 'x.yaml' })
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({
      status: 400,
      message: 'x.yaml:2 stages: expected at least 1 stage\nx.yaml: unknown key bad',
      issues: [{ path: 'stages', line: 2 }, { path: '' }],
    });
    const anonymous = new DaemonClient({ url: flags.url });
    await expect(anonymous.stop('x')).rejects.toThrow(
      "missing token: send 'authorization: Bearer <token>'",
    );
  });

  it('should call every route', async () => {
    const { daemon, flags } = await start();
    const client = new DaemonClient(flags);
    expect(await client.submit({ source: 'x', id: 'm' })).toMatchObject({
      id: 'm',
      state: 'running',
    });
    expect((await client.list()).map((m) => m.id)).toEqual(['m']);
    expect(await client.status('m')).toMatchObject({ id: 'm', done: [] });
    expect(await client.stop('m', 'why')).toMatchObject({ id: 'm' });
    daemon.request('m', 'plan', 'p');
    expect((await client.approvals()).map((a) => a.id)).toEqual(['m/plan/1']);
    expect(await client.answer('m/plan/1', { decision: 'reject', feedback: 'f' })).toMatchObject({
      alreadyAnswered: false,
      approval: { status: 'rejected', by: 'api' },
    });
    expect(daemon.stopped).toEqual([{ id: 'm', reason: 'why' }]);
  });

  it('should read the event stream from a point until the end', async () => {
    const { daemon, flags } = await start();
    daemon.add({ id: 'm' });
    daemon.emit('m', 'a');
    daemon.emit('m', 'b', { text: 'line one\nline two' });
    const seen: LooseEvent[] = [];
    const done = new DaemonClient(flags).events('m', 1, (e) => seen.push(e));
    await eventually(() => expect(seen.map((e) => e.seq)).toEqual([2]));
    daemon.emit('m', 'c');
    daemon.finish('m', 'succeeded');
    await done;
    expect(seen.map((e) => [e.seq, e.type])).toEqual([
      [2, 'b'],
      [3, 'c'],
    ]);
    expect(seen[0]).toMatchObject({ text: 'line one\nline two' });
  });

  it('should iterate the event stream after lastEventId until the end', async () => {
    const { daemon, flags } = await start();
    daemon.add({ id: 'm' });
    daemon.emit('m', 'a');
    daemon.emit('m', 'b');
    const seen: number[] = [];
    const done = (async () => {
      for await (const e of new MaestroClient(flags).events('m', { lastEventId: 1 }))
        seen.push(e.seq);
    })();
    await eventually(() => expect(seen).toEqual([2]));
    daemon.emit('m', 'c');
    daemon.finish('m', 'succeeded');
    await done;
    expect(seen).toEqual([2, 3]);
  });

  it('should throw a refusal at once, and say when it cannot reach the daemon', async () => {
    const { flags } = await start();
    const refused = await drain(new MaestroClient(flags).events('nope')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DaemonRequestError);
    expect(refused).toMatchObject({ status: 404, message: "unknown mission 'nope'" });
    const url = `http://127.0.0.1:${await closedPort()}/`;
    await expect(
      drain(new MaestroClient({ url }).events('m', { retries: 1, retryDelayMs: 1 })),
    ).rejects.toThrow(
      `cannot reach the maestro daemon at ${url}: ECONNREFUSED (is 'maestro daemon' running?)`,
    );
  });

  it('should give up on a stream that keeps dropping after `retries` reconnections, naming the last event', async () => {
    const { daemon, flags } = await start();
    daemon.add({ id: 'm' });
    daemon.emit('m', 'a');
    const proxy = await dropProxy(flags.url);
    const client = new MaestroClient({ ...flags, url: proxy.url });
    const seen: number[] = [];
    const reading = (async () => {
      for await (const e of client.events('m', { retries: 2, retryDelayMs: 1 })) {
        seen.push(e.seq);
        proxy.refuse = true; // every connection from now on is cut at once
        proxy.dropAll();
      }
    })();
    await expect(reading).rejects.toThrow(
      "the daemon closed the event stream of mission 'm' before its end (the last event was 1)",
    );
    expect(seen).toEqual([1]);
    expect(proxy.requests.filter((r) => r.startsWith('GET /api/missions/m/events'))).toHaveLength(
      3,
    );
    await proxy.close();
  });
});

describe('MaestroClient against a real daemon', () => {
  const serve = daemonsPerTest();

  it('should iterate events across a dropped connection and resume with Last-Event-ID, without loss or duplicates', async () => {
    const d = await serve();
    const proxy = await dropProxy(d.server.url);
    const client = new MaestroClient({ url: proxy.url, token: daemonToken });
    const { id } = await client.submit({ source: gatedMission, filename: 'gated.yaml' });
    const seen: LooseEvent[] = [];
    let droppedAfter: number | undefined;
    for await (const e of client.events(id, { retryDelayMs: 10 })) {
      seen.push(e);
      if (e.type !== 'approval.requested' || droppedAfter !== undefined) continue;
      // Cut the stream here; the mission goes on to its end while nobody reads it.
      droppedAfter = e.seq;
      proxy.dropAll();
      await new Promise((r) => setTimeout(r, 50));
      expect(await client.approve(String(e.id))).toMatchObject({ alreadyAnswered: false });
      await eventually(async () => expect((await client.status(id)).state).toBe('succeeded'));
    }
    expect(droppedAfter).toBeGreaterThan(1);
    const streams = proxy.requests.filter((r) => r.startsWith(`GET /api/missions/${id}/events`));
    expect(streams.map((r) => /^last-event-id: (\d+)$/im.exec(r)?.[1])).toEqual([
      '0',
      String(droppedAfter),
    ]);
    // What a reader that never lost its connection reads: the same events, once each, in order.
    const whole = await drain(new MaestroClient({ url: d.server.url }).events(id));
    expect(seen.map((e) => e.seq)).toEqual(whole.map((e) => e.seq));
    expect(seen).toEqual(whole);
    expect(new Set(seen.map((e) => e.seq)).size).toBe(seen.length);
    expect(seen.at(-1)).toMatchObject({ type: 'mission.finished', status: 'succeeded' });
    expect(seen.some((e) => e.seq > droppedAfter! && e.type === 'approval.answered')).toBe(true);
    await proxy.close();
  });
});

const gatedMission = `
name: gated
providers:
  p: { kind: scripted, responses: [the plan, the code] }
agents: [{ id: a, provider: p }]
stages:
  - { name: plan, prompt: Plan it., agents: [a], approval: true }
  - { name: code, prompt: Code it., agents: [a] }
`;

async function drain<T>(events: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const e of events) out.push(e);
  return out;
}

interface DropProxy {
  url: string;
  /** Each request's head as it arrived (request line and headers). */
  requests: string[];
  /** Cut every new connection as soon as its request arrives. */
  refuse: boolean;
  /** Cuts every open connection, both ways. */
  dropAll(): void;
  close(): Promise<void>;
}

/** A TCP proxy to `target` whose connections a test can cut: a network that drops. */
async function dropProxy(target: string): Promise<DropProxy> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  const proxy: DropProxy = {
    url: '',
    requests: [],
    refuse: false,
    dropAll: () => {
      for (const s of open) s.destroy();
      open.clear();
    },
    close: () => {
      proxy.dropAll();
      return new Promise((r) => server.close(() => r()));
    },
  };
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      if (/^[A-Z]+ \//.test(text)) proxy.requests.push(text.split('\r\n\r\n')[0]!);
      if (proxy.refuse) client.destroy();
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  proxy.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  return proxy;
}

describe('maestro status, approve, stop, submit against a daemon', () => {
  it('should print the missions as a table, or one mission', async () => {
    const { daemon, flags } = await start();
    const io = capture();
    expect(await statusCommand(undefined, flags, io)).toBe(0);
    expect(io.stdout).toEqual(['no missions']);
    daemon.add({
      id: 'first',
      state: 'awaiting_approval',
      stage: 'plan',
      stages: ['plan', 'code'],
    });
    daemon.add({
      id: 'm2',
      state: 'failed',
      finishedAt: '2025-01-01T00:02:00.000Z',
      error: { reason: 'budget_exceeded', message: 'tokens' },
      done: [{ name: 'plan', output: 'p' }],
    });
    daemon.request('first', 'plan', 'the plan');
    const table = capture();
    await statusCommand(undefined, flags, table);
    expect(table.stdout).toEqual([
      'ID     STATE              STAGE  SUBMITTED',
      'first  awaiting_approval  plan   2025-01-01T00:00:00.000Z',
      'm2     failed             -      2025-01-01T00:00:00.000Z',
    ]);
    const one = capture();
    expect(await statusCommand('first', flags, one)).toBe(0);
    expect(one.stdout).toEqual([
      'mission first (hello): awaiting_approval',
      '  stage:     plan',
      '  done:      -',
      '  stages:    plan, code',
      '  approval:  first/plan/1 pending since 2025-01-01T00:00:30.000Z (maestro approve first/plan/1)',
      '  submitted: 2025-01-01T00:00:00.000Z',
    ]);
    const failed = capture();
    expect(await statusCommand('m2', { ...flags, json: false }, failed)).toBe(0);
    expect(failed.stdout.slice(1)).toEqual([
      '  done:      plan',
      '  stages:    research',
      '  submitted: 2025-01-01T00:00:00.000Z',
      '  finished:  2025-01-01T00:02:00.000Z',
      '  error:     budget_exceeded: tokens',
    ]);
    daemon.add({
      id: 'ok',
      state: 'succeeded',
      result: 'all\ngood',
      usage: { tokens: 12, costUsd: 0.5, samples: 3, wallTimeMs: 1500 },
    });
    const ok = capture();
    await statusCommand('ok', flags, ok);
    expect(ok.stdout.slice(-4)).toEqual([
      '  usage:     12 tokens, $0.5000, 3 samples, 1.5 s',
      '  result:',
      '    all',
      '    good',
    ]);
    const json = capture();
    await statusCommand('ok', { ...flags, json: true }, json);
    expect(JSON.parse(json.stdout[0]!)).toMatchObject({ id: 'ok', result: 'all\ngood' });
    await expect(statusCommand('nope', flags, capture())).rejects.toThrow(
      new DaemonRequestError(404, "unknown mission 'nope'"),
    );
  });

  it('should list, approve and reject approvals', async () => {
    const { daemon, flags } = await start();
    const none = capture();
    await approveCommand(undefined, flags, none);
    expect(none.stdout).toEqual(['no pending approvals']);
    daemon.request('m', 'plan', '  Step one: look\nStep two');
    daemon.request('m', 'code', 'x'.repeat(100));
    const list = capture();
    expect(await approveCommand(undefined, flags, list)).toBe(0);
    expect(list.stdout).toEqual([
      'ID        MISSION  STAGE  REQUESTED                 OUTPUT',
      'm/plan/1  m        plan   2025-01-01T00:00:30.000Z  Step one: look',
      `m/code/1  m        code   2025-01-01T00:00:30.000Z  ${'x'.repeat(59)}…`,
    ]);
    const yes = capture();
    await approveCommand('m/plan/1', flags, yes);
    expect(yes.stdout).toEqual(['approved m/plan/1']);
    const no = capture();
    await approveCommand('m/code/1', { ...flags, reject: true, feedback: 'shorter' }, no);
    expect(no.stdout).toEqual(['rejected m/code/1']);
    expect(daemon.answers.map((a) => a.answer)).toEqual([
      { decision: 'approve', by: 'api' },
      { decision: 'reject', feedback: 'shorter', by: 'api' },
    ]);
    const again = capture();
    await approveCommand('m/plan/1', { ...flags, reject: true }, again);
    expect(again.stdout).toEqual(['m/plan/1 was already approved; nothing changed']);
    await expect(
      approveCommand('m/plan/1', { ...flags, feedback: 'f' }, capture()),
    ).rejects.toThrow('maestro approve: --feedback goes with --reject');
    await expect(approveCommand('nope/x/1', flags, capture())).rejects.toThrow(
      "unknown approval 'nope/x/1'",
    );
  });

  it('should stop a mission', async () => {
    const { daemon, flags } = await start();
    daemon.add({ id: 'm' });
    const io = capture();
    expect(await stopCommand('m', { ...flags, reason: 'enough' }, io)).toBe(0);
    expect(io.stdout).toEqual(['stopping m']);
    expect(daemon.stopped).toEqual([{ id: 'm', reason: 'enough' }]);
  });

  it("should submit a file by its text and name, and follow it to the mission's end", async () => {
    const { daemon, flags } = await start();
    const file = join(tempDir(), 'hello.yaml');
    writeFileSync(file, 'name: hello\n');
    const io = capture();
    expect(await submitCommand(file, { ...flags, input: 'hi', 'mission-id': 'h1' }, io)).toBe(0);
    expect(io.stdout).toEqual(['h1']);
    expect(daemon.submitted).toEqual([
      { source: 'name: hello\n', filename: 'hello.yaml', input: 'hi', id: 'h1' },
    ]);

    const follow = capture();
    const running = submitCommand(file, { ...flags, follow: true }, follow);
    await eventually(() => expect(daemon.liveSubscribers('m1')).toBe(1));
    daemon.emit('m1', 'mission.started', { stages: ['research'] });
    daemon.emit('m1', 'stage.entered', { stage: 'research', index: 0, agents: ['a', 'b'] });
    daemon.emit('m1', 'approval.requested', {
      id: 'm1/research/1',
      stage: 'research',
      index: 0,
      attempt: 1,
      output: 'o',
    });
    daemon.emit('m1', 'mission.finished', {
      status: 'failed',
      error: { reason: 'shutdown', message: 'stopped by api' },
    });
    daemon.finish('m1', 'failed', { error: { reason: 'shutdown', message: 'stopped by api' } });
    expect(await running).toBe(1);
    expect(follow.stdout).toEqual(['m1']);
    // The same words as run's progress lines; how it ended is said once.
    expect(follow.stderr).toEqual([
      'mission m1 started: stages research',
      '▶ stage 1/1 research: a, b',
      '  ⏸ approval m1/research/1 waits for a person',
      '    answer it: maestro approve m1/research/1 (or --reject --feedback TEXT)',
      'mission failed: shutdown: stopped by api',
    ]);

    // Not at a terminal: the events as JSON lines, as the daemon stored them.
    const piped = captureIo();
    const second = submitCommand(file, { ...flags, follow: true }, piped);
    await eventually(() => expect(daemon.liveSubscribers('m2')).toBe(1));
    daemon.emit('m2', 'stage.entered', { stage: 'research', index: 0, agents: ['a'] });
    daemon.emit('m2', 'mission.finished', { status: 'succeeded' });
    daemon.finish('m2', 'succeeded');
    expect(await second).toBe(0);
    expect(piped.stderr.map((l) => JSON.parse(l))).toMatchObject([
      { seq: 1, mission: 'm2', type: 'stage.entered', stage: 'research', agents: ['a'] },
      { seq: 2, mission: 'm2', type: 'mission.finished', status: 'succeeded' },
    ]);
    await expect(submitCommand(join(tempDir(), 'none.yaml'), flags, capture())).rejects.toThrow(
      /^cannot read mission file '.*none\.yaml': ENOENT$/,
    );
  });
});
