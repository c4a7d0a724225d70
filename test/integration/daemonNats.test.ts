import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAEMON_SUBJECT_PREFIX, serveDaemonOverNats } from '../../daemon/daemonNats.js';
import { Daemon } from '../../daemon/daemon.js';
import { NatsTransport } from '../../transport/natsTransport.js';
import type { Json } from '../../transport/transport.js';
import { eventually } from '../helpers/eventually.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/natsServer.js';

const TOKEN = 'nats-api-token';

describe('daemon API over NATS request/reply', () => {
  let server: NatsServerHandle;
  let daemon: Daemon;
  let serving: NatsTransport;
  let client: NatsTransport;
  let dir: string;

  const ask = (verb: string, body: Record<string, Json> = {}) =>
    client.request(
      `${DAEMON_SUBJECT_PREFIX}.${verb}`,
      { v: 1, ...body },
      { timeoutMs: 5000 },
    ) as Promise<Record<string, unknown>>;

  beforeAll(async () => {
    server = await startNatsServer({ jetstream: false });
    dir = mkdtempSync(join(tmpdir(), 'maestro-daemon-nats-'));
    daemon = new Daemon({ stateDir: dir, logger: pino({ level: 'silent' }) });
    daemon.start();
    serving = await NatsTransport.connect({ servers: server.url });
    client = await NatsTransport.connect({ servers: server.url });
    serveDaemonOverNats(daemon, serving, { token: TOKEN });
  });

  afterAll(async () => {
    await daemon?.shutdown();
    await client?.close();
    await serving?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should submit a mission, report its status, list it and page its events', async () => {
    const source = readFileSync('examples/hello.yaml', 'utf8');
    const submitted = await ask('submit', {
      token: TOKEN,
      source,
      filename: 'hello.yaml',
      id: 'n1',
    });
    expect(submitted).toMatchObject({ ok: true, result: { id: 'n1', name: 'hello' } });
    await eventually(async () =>
      expect((await ask('status', { token: TOKEN, id: 'n1' })).result).toMatchObject({
        state: 'succeeded',
      }),
    );
    const status = (await ask('status', { token: TOKEN, id: 'n1' })).result as { result: string };
    expect(status.result).toContain('### editor');
    expect(
      ((await ask('list', { token: TOKEN })).result as { missions: { id: string }[] }).missions.map(
        (m) => m.id,
      ),
    ).toEqual(['n1']);
    const page = (await ask('events', { token: TOKEN, id: 'n1', after: 0, limit: 3 })).result as {
      events: { seq: number }[];
      more: boolean;
    };
    expect(page.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(page.more).toBe(true);
    const rest = (await ask('events', { token: TOKEN, id: 'n1', after: 3, limit: 10_000 }))
      .result as { events: { seq: number; type: string }[]; more: boolean };
    expect(rest.events[0]!.seq).toBe(4);
    expect(rest.events.at(-1)!.type).toBe('mission.finished');
    expect(rest.more).toBe(false);
  });

  it('should refuse writes without the right token, and write nothing', async () => {
    const source = readFileSync('examples/hello.yaml', 'utf8');
    expect(await ask('submit', { source, id: 'n2' })).toEqual({
      v: 1,
      ok: false,
      status: 401,
      error: 'missing token',
    });
    expect(await ask('submit', { token: 'nope', source, id: 'n2' })).toEqual({
      v: 1,
      ok: false,
      status: 401,
      error: 'wrong token',
    });
    expect(existsSync(join(dir, 'missions', 'n2.jsonl'))).toBe(false);
  });

  it('should answer a bad mission, a malformed request and an unknown id with the status HTTP gives them', async () => {
    const before = readdirSync(join(dir, 'missions')).length;
    const bad = await ask('submit', {
      token: TOKEN,
      source: 'name: x\nproviders: {}\nagents: []\nstages: []\n',
      filename: 'bad.yaml',
    });
    expect(bad).toMatchObject({ ok: false, status: 400 });
    expect(bad.error).toBe(
      [
        'bad.yaml:2 providers: expected at least 1 provider',
        'bad.yaml:3 agents: expected at least 1 agent',
        'bad.yaml:4 stages: expected at least 1 stage',
      ].join('\n'),
    );
    expect(bad.issues).toEqual([
      { path: 'providers', message: 'expected at least 1 provider', line: 2 },
      { path: 'agents', message: 'expected at least 1 agent', line: 3 },
      { path: 'stages', message: 'expected at least 1 stage', line: 4 },
    ]);
    expect(readdirSync(join(dir, 'missions')).length).toBe(before);
    expect(await ask('status', { token: TOKEN, id: 'nope' })).toEqual({
      v: 1,
      ok: false,
      status: 404,
      error: "unknown mission 'nope'",
    });
    expect(await ask('answer', { token: TOKEN, id: 'x/y/1', decision: 'approve' })).toEqual({
      v: 1,
      ok: false,
      status: 404,
      error: "unknown approval 'x/y/1'",
    });
    expect(await ask('answer', { token: TOKEN, id: 'x/y/1', decision: 'maybe' })).toMatchObject({
      ok: false,
      status: 400,
    });
    expect(
      (
        (await ask('answer', { token: TOKEN, id: 'x/y/1', decision: 'maybe' })).error as string
      ).startsWith('malformed request: decision:'),
    ).toBe(true);
    expect(
      await client.request(`${DAEMON_SUBJECT_PREFIX}.list`, 'garbage', { timeoutMs: 5000 }),
    ).toMatchObject({ ok: false, status: 400 });
    expect(await ask('stop', { token: TOKEN, id: 'n1' })).toEqual({
      v: 1,
      ok: false,
      status: 409,
      error: "mission 'n1' is already succeeded",
    });
  });

  it('should list a pending approval and take its answer once', async () => {
    const source = readFileSync('examples/approval.yaml', 'utf8');
    expect(await ask('submit', { token: TOKEN, source, id: 'n3' })).toMatchObject({ ok: true });
    await eventually(async () =>
      expect(
        (
          (await ask('approvals', { token: TOKEN })).result as { approvals: { id: string }[] }
        ).approvals.map((a) => a.id),
      ).toEqual(['n3/plan/1']),
    );
    expect(
      await ask('answer', { token: TOKEN, id: 'n3/plan/1', decision: 'approve' }),
    ).toMatchObject({
      ok: true,
      result: { alreadyAnswered: false, approval: { status: 'approved', by: 'nats' } },
    });
    expect(
      await ask('answer', { token: TOKEN, id: 'n3/plan/1', decision: 'reject' }),
    ).toMatchObject({
      ok: true,
      result: { alreadyAnswered: true, approval: { status: 'approved' } },
    });
    await eventually(async () =>
      expect((await ask('status', { token: TOKEN, id: 'n3' })).result).toMatchObject({
        state: 'succeeded',
      }),
    );
    const answered = readFileSync(join(dir, 'missions', 'n3.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type":"approval.answered"'));
    expect(answered).toHaveLength(1);
  });
});
