import { existsSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { parseLogEnvelope } from '../../log/missionLogEvent.js';
import { jetstream } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { pino, type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAEMON_SUBJECT_PREFIX } from '../../daemon/daemonNats.js';
import { EventLog } from '../../log/eventLog.js';
import { Daemon } from '../../daemon/daemon.js';
import { restoreLogs } from '../../log/restoreLogs.js';
import { EventSigner, SIGNATURE_HEADER } from '../../transport/eventSignature.js';
import { eventsSubject, NatsEventStream } from '../../transport/natsEventStream.js';
import { NatsTransport } from '../../transport/natsTransport.js';
import { startDaemon } from '../helpers/daemonProcess.js';
import { eventually } from '../helpers/eventually.js';
import { tempDir } from '../helpers/missions.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/natsServer.js';

const HELLO = readFileSync('examples/hello.yaml', 'utf8');
const APPROVAL = readFileSync('examples/approval.yaml', 'utf8');
const NOT_MINE =
  'daemon: mission log not restored from the event stream: a record in it is not this daemon’s';
const UNSIGNED = 'unsigned (no Maestro-Sig header)';

/** A logger whose warnings the test reads back. */
function capture(): { logger: Logger; warnings: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'warn' },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { logger, warnings: () => lines.filter((l) => l.msg === NOT_MINE) };
}

describe('signed mission events in JetStream: what a restart restores is the daemon’s own', () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  const signer = new EventSigner(Buffer.alloc(32, 9));
  const dirs: string[] = [];
  const dir = (): string => {
    const d = tempDir('maestro-signing-');
    dirs.push(d);
    return d;
  };

  beforeEach(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });
  afterEach(async () => {
    await nc?.close();
    await server?.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** What an attacker with publish rights on the stream does: a record, with the header they choose. */
  async function inject(
    record: { seq: number; mission: string },
    signature?: string,
  ): Promise<number> {
    const h = headers();
    if (signature !== undefined) h.set(SIGNATURE_HEADER, signature);
    const ack = await jetstream(nc).publish(
      eventsSubject(record.mission, 'log'),
      JSON.stringify(record),
      { msgID: `forged:${record.mission}:${record.seq}:${Math.random()}`, headers: h },
    );
    return ack.seq;
  }

  /** Runs a mission in a daemon that mirrors to `stream`, to the end or to its first gate, then stops that daemon. */
  async function runMirrored(
    stream: NatsEventStream,
    stateDir: string,
    id: string,
    source: string,
    until: (d: Daemon) => void,
  ): Promise<void> {
    const a = new Daemon({
      stateDir,
      logger: pino({ level: 'silent' }),
      mirror: (e) => stream.append(e),
    });
    a.start();
    await a.submit({ source, id });
    await eventually(() => until(a));
    await a.shutdown();
    await stream.flush();
  }
  const succeeded = (id: string) => (d: Daemon) => expect(d.status(id).state).toBe('succeeded');
  const atGate = (id: string) => (d: Daemon) =>
    expect(d.approvals().map((x) => x.mission)).toContain(id);

  it('should refuse a forged mission.submitted for a new mission id, unsigned or signed with another key, while the same record signed by the daemon runs', async () => {
    const stream = await NatsEventStream.open(nc, { signer });
    await runMirrored(stream, dir(), 'real', HELLO, succeeded('real'));
    const submitted = JSON.parse((await stream.records('real'))[0]!.data) as {
      seq: number;
      mission: string;
      type: string;
    };
    expect(submitted.type).toBe('mission.submitted');
    const unsignedSeq = await inject({ ...submitted, mission: 'forged' });
    const missignedSeq = await inject(
      { ...submitted, mission: 'missigned' },
      new EventSigner(Buffer.alloc(32, 1)).sign(
        JSON.stringify({ ...submitted, mission: 'missigned' }),
      ),
    );
    const genuine = JSON.stringify({ ...submitted, mission: 'genuine' });
    await inject({ ...submitted, mission: 'genuine' }, signer.sign(genuine));

    const empty = dir();
    const { logger, warnings } = capture();
    const result = await restoreLogs(empty, stream, signer, logger);
    const otherKey = `signed with another key (id '${new EventSigner(Buffer.alloc(32, 1)).keyId}', this daemon's is '${signer.keyId}')`;
    expect(result.restored).toEqual(['genuine', 'real']);
    expect(result.refused).toEqual([
      { mission: 'forged', seq: 1, streamSeq: unsignedSeq, reason: UNSIGNED, records: 1 },
      { mission: 'missigned', seq: 1, streamSeq: missignedSeq, reason: otherKey, records: 1 },
    ]);
    expect(existsSync(EventLog.pathFor(empty, 'forged'))).toBe(false);
    expect(existsSync(EventLog.pathFor(empty, 'missigned'))).toBe(false);
    expect(
      warnings().map((w) => [w.mission, w.seq, w.reason, String(w.hint).split(';')[0]]),
    ).toEqual([
      [
        'forged',
        1,
        UNSIGNED,
        'records without a signature were written by a release before event signing, or by another publisher',
      ],
      [
        'missigned',
        1,
        otherKey,
        'if this state directory is new, copy event-key from the one that wrote these events and restart',
      ],
    ]);

    // The daemon that starts on that disk runs the signed one, and nothing forged.
    const b = new Daemon({ stateDir: empty, logger: pino({ level: 'silent' }) });
    b.start();
    try {
      await eventually(() => expect(b.status('genuine').state).toBe('succeeded'), 10_000);
      expect(
        b
          .list()
          .map((m) => m.id)
          .sort(),
      ).toEqual(['genuine', 'real']);
    } finally {
      await b.shutdown();
    }
  });

  it('should refuse a forged approval.answered for a pending gate whose local log is shorter or gone: the gate stays pending', async () => {
    const stream = await NatsEventStream.open(nc, { signer });
    const stateDir = dir();
    for (const id of ['shorter', 'gone', 'control'])
      await runMirrored(stream, stateDir, id, APPROVAL, atGate(id));
    const answer = async (mission: string, sign: (body: string) => string | undefined) => {
      const seq = Math.max(...(await stream.read(mission)).map((e) => e.seq)) + 1;
      const record = {
        seq,
        ts: new Date().toISOString(),
        mission,
        type: 'approval.answered',
        id: `${mission}/plan/1`,
        decision: 'approve',
        by: 'nats',
      };
      return { seq, streamSeq: await inject(record, sign(JSON.stringify(record))) };
    };
    const shorter = await answer('shorter', () => undefined);
    const gone = await answer(
      'gone',
      () => `v1.${signer.keyId}.${Buffer.alloc(32).toString('base64url')}`,
    );
    await answer('control', (body) => signer.sign(body));
    unlinkSync(EventLog.pathFor(stateDir, 'gone'));
    unlinkSync(EventLog.pathFor(stateDir, 'control'));
    const before = readFileSync(EventLog.pathFor(stateDir, 'shorter'), 'utf8');

    const { logger, warnings } = capture();
    const result = await restoreLogs(stateDir, stream, signer, logger);
    expect(result.restored).toEqual(['control']);
    expect(result.refused).toEqual([
      {
        mission: 'gone',
        seq: gone.seq,
        streamSeq: gone.streamSeq,
        reason: 'signature does not match the record',
        records: 1,
      },
      {
        mission: 'shorter',
        seq: shorter.seq,
        streamSeq: shorter.streamSeq,
        reason: UNSIGNED,
        records: 1,
      },
    ]);
    expect(warnings().map((w) => w.mission)).toEqual(['gone', 'shorter']);
    expect(readFileSync(EventLog.pathFor(stateDir, 'shorter'), 'utf8')).toBe(before);
    expect(existsSync(EventLog.pathFor(stateDir, 'gone'))).toBe(false);

    const b = new Daemon({ stateDir, logger: pino({ level: 'silent' }) });
    b.start();
    try {
      // The signed answer approved its gate; the forged ones approved nothing.
      await eventually(() => expect(b.status('control').state).toBe('succeeded'), 10_000);
      expect(b.status('shorter').state).toBe('awaiting_approval');
      expect(b.approvals().map((a) => a.id)).toEqual(['shorter/plan/1']);
      expect(
        b
          .list()
          .map((m) => m.id)
          .sort(),
      ).toEqual(['control', 'shorter']);
      expect(readFileSync(EventLog.pathFor(stateDir, 'shorter'), 'utf8')).not.toContain(
        '"type":"approval.answered"',
      );
    } finally {
      await b.shutdown();
    }
  });

  it('should refuse a stream the previous release wrote (unsigned) when the disk lacks the log, and leave complete local logs to resume as always', async () => {
    const stream = await NatsEventStream.open(nc, { signer });
    const stateDir = dir();
    const published: Promise<unknown>[] = [];
    // The previous release's mirror: the same records, the same message ids, no signature.
    const old = new Daemon({
      stateDir,
      logger: pino({ level: 'silent' }),
      mirror: (e) =>
        void published.push(
          jetstream(nc).publish(eventsSubject(e.mission, 'log'), JSON.stringify(e), {
            msgID: `${e.mission}:${e.seq}`,
          }),
        ),
    });
    old.start();
    await old.submit({ source: HELLO, id: 'old' });
    await eventually(() => expect(old.status('old').state).toBe('succeeded'));
    await old.shutdown();
    await Promise.all(published);
    const count = (await stream.records('old')).length;
    expect(count).toBeGreaterThan(3);

    const complete = capture();
    expect(await restoreLogs(stateDir, stream, signer, complete.logger)).toEqual({
      restored: [],
      refused: [],
    });
    expect(complete.warnings()).toEqual([]);
    const resumed = new Daemon({ stateDir, logger: pino({ level: 'silent' }) });
    expect(resumed.start().finished).toBe(1);
    expect(resumed.status('old').state).toBe('succeeded');
    await resumed.shutdown();

    const empty = dir();
    const lost = capture();
    expect((await restoreLogs(empty, stream, signer, lost.logger)).refused).toEqual([
      { mission: 'old', seq: 1, streamSeq: 1, reason: UNSIGNED, records: count },
    ]);
    expect(lost.warnings()).toHaveLength(1);
    expect(lost.warnings()[0]!.hint).toBe(
      'records without a signature were written by a release before event signing, or by another publisher; the local log, if any, resumes as it is; if the mission matters and only the stream has it, check the stream by hand',
    );
    expect(existsSync(EventLog.pathFor(empty, 'old'))).toBe(false);
  });

  it('should keep a signed record republished after the de-duplication window once, and refuse two different signed records for one seq', async () => {
    const stream = await NatsEventStream.open(nc, { signer });
    const rec = (mission: string, seq: number, n: number) => ({
      seq,
      ts: '2026-01-01T00:00:00.000Z',
      mission,
      type: seq === 1 ? 'mission.submitted' : 'stage.entered',
      n,
    });
    const signed = async (r: ReturnType<typeof rec>) => inject(r, signer.sign(JSON.stringify(r)));
    for (const m of ['twice', 'conflict']) {
      await signed(rec(m, 1, 1));
      await signed(rec(m, 2, 2));
    }
    await signed(rec('twice', 2, 2));
    const conflicting = await signed(rec('conflict', 2, 3));
    const d = dir();
    const { logger } = capture();
    const result = await restoreLogs(d, stream, signer, logger);
    expect(result.restored).toEqual(['twice']);
    expect(
      EventLog.read(EventLog.pathFor(d, 'twice'), undefined, parseLogEnvelope).map((e) => e.seq),
    ).toEqual([1, 2]);
    expect(result.refused).toEqual([
      {
        mission: 'conflict',
        seq: 2,
        streamSeq: conflicting,
        reason: 'two different records for seq 2',
        records: 1,
      },
    ]);
  });
});

describe('maestro daemon --nats: the NATS API and the event key (real processes)', () => {
  let server: NatsServerHandle | undefined;
  afterEach(async () => {
    await server?.stop();
  });

  it('should need the token for reads over NATS by default, refuse a forged stream copy at start, and keep the event key 0600 and out of its log', async () => {
    server = await startNatsServer();
    const nc = await connect({ servers: server.url });
    const client = await NatsTransport.connect({ servers: server.url });
    try {
      await NatsEventStream.open(nc);
      await jetstream(nc).publish(
        eventsSubject('intruder', 'log'),
        JSON.stringify({
          seq: 1,
          ts: '2026-01-01T00:00:00.000Z',
          mission: 'intruder',
          type: 'mission.submitted',
          source: HELLO,
        }),
      );
      const stateDir = tempDir('maestro-signing-daemon-');
      const daemon = await startDaemon({ stateDir, args: ['--nats', server.url, '--json'] });
      const ask = (verb: string, body: Record<string, string>) =>
        client.request(`${DAEMON_SUBJECT_PREFIX}.${verb}`, { v: 1, ...body }, { timeoutMs: 5000 });
      for (const [verb, body] of [
        ['list', {}],
        ['approvals', {}],
        ['status', { id: 'x' }],
        ['events', { id: 'x' }],
      ] as const) {
        expect(await ask(verb, body)).toEqual({
          v: 1,
          ok: false,
          status: 401,
          error: 'missing token',
        });
        expect(await ask(verb, { ...body, token: 'wrong-token' })).toEqual({
          v: 1,
          ok: false,
          status: 401,
          error: 'wrong token',
        });
      }
      expect(await ask('list', { token: daemon.token })).toEqual({
        v: 1,
        ok: true,
        result: { missions: [] },
      });
      expect(await ask('status', { token: daemon.token, id: 'intruder' })).toEqual({
        v: 1,
        ok: false,
        status: 404,
        error: "unknown mission 'intruder'",
      });
      const keyFile = `${stateDir}/event-key`;
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const stderr = daemon.stderr();
      expect(stderr).toContain(
        '"mission":"intruder","seq":1,"streamSeq":1,"reason":"unsigned (no Maestro-Sig header)","records":1',
      );
      expect(stderr).toContain(
        "refused 1 mission log(s) from JetStream, not signed by this daemon's event key",
      );
      expect(stderr).not.toContain(readFileSync(keyFile, 'utf8').trim());
      expect((await daemon.kill('SIGTERM')).code).toBe(0);
    } finally {
      await client.close();
      await nc.close();
    }
  });

  it('should answer reads over NATS without the token with --nats-open-reads, and still refuse writes without it', async () => {
    server = await startNatsServer();
    const client = await NatsTransport.connect({ servers: server.url });
    try {
      const daemon = await startDaemon({
        stateDir: tempDir('maestro-signing-open-'),
        args: ['--nats', server.url, '--nats-open-reads'],
      });
      const ask = (verb: string, body: Record<string, string>) =>
        client.request(`${DAEMON_SUBJECT_PREFIX}.${verb}`, { v: 1, ...body }, { timeoutMs: 5000 });
      expect(await ask('list', {})).toEqual({ v: 1, ok: true, result: { missions: [] } });
      expect(await ask('approvals', {})).toEqual({ v: 1, ok: true, result: { approvals: [] } });
      expect(await ask('submit', { source: HELLO, id: 'nope' })).toEqual({
        v: 1,
        ok: false,
        status: 401,
        error: 'missing token',
      });
      expect((await daemon.kill('SIGTERM')).code).toBe(0);
    } finally {
      await client.close();
    }
  });
});
