import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { parseLogEnvelope } from '../../log/missionLogEvent.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { Daemon } from '../../daemon/daemon.js';
import { restoreLogs } from '../../log/restoreLogs.js';
import { eventually } from '../helpers/eventually.js';
import { EventSigner } from '../../transport/eventSignature.js';
import { NatsEventStream, type StreamedEvent } from '../../transport/natsEventStream.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/natsServer.js';

const ev = (
  mission: string,
  seq: number,
  type: string,
  extra: Record<string, unknown> = {},
): StreamedEvent => ({ seq, ts: '2026-01-01T00:00:00.000Z', mission, type, ...extra });

describe('mission events in JetStream (NatsEventStream)', () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  const dirs: string[] = [];
  const logger = pino({ level: 'silent' });
  const signer = new EventSigner(Buffer.alloc(32, 7));

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('should keep a mission’s events in order, de-duplicate a republished seq, and purge steps down to the last snapshot', async () => {
    const stream = await NatsEventStream.open(nc, { logger, signer });
    const m = 'es-1';
    stream.append(ev(m, 1, 'mission.submitted', { name: 'x' }));
    stream.append(ev(m, 2, 'stage.entered', { stage: 's' }));
    for (let step = 0; step < 5; step++)
      stream.append(ev(m, 3 + step, 'maker.vote', { step, answer: `[${step}]` }));
    stream.append(ev(m, 8, 'maker.snapshot', { step: 5 }));
    stream.append(ev(m, 9, 'maker.vote', { step: 5 }));
    stream.append(ev(m, 9, 'maker.vote', { step: 5 })); // a retry of the same event: stored once
    await stream.flush();
    const events = await stream.read(m);
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'mission.submitted'],
      [2, 'stage.entered'],
      [8, 'maker.snapshot'],
      [9, 'maker.vote'],
    ]);
    expect(await stream.missions()).toContain(m);
    expect(stream.failures).toBe(0);
  });

  it('should restore a log the state directory lacks or holds shorter, and leave a complete one alone', async () => {
    const stream = await NatsEventStream.open(nc, { logger, signer });
    for (const m of ['es-a', 'es-b', 'es-c']) {
      for (let seq = 1; seq <= 4; seq++)
        stream.append(ev(m, seq, seq === 1 ? 'mission.submitted' : 'stage.entered', { n: seq }));
    }
    await stream.flush();
    const dir = mkdtempSync(join(tmpdir(), 'maestro-restore-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'missions'));
    // es-b: an older copy (2 events); es-c: complete, with a local-only detail that must stay.
    const line = (m: string, seq: number, extra = {}) =>
      `${JSON.stringify({ ...ev(m, seq, seq === 1 ? 'mission.submitted' : 'stage.entered', { n: seq }), ...extra })}\n`;
    writeFileSync(EventLog.pathFor(dir, 'es-b'), line('es-b', 1) + line('es-b', 2));
    writeFileSync(
      EventLog.pathFor(dir, 'es-c'),
      line('es-c', 1) + line('es-c', 2) + line('es-c', 3) + line('es-c', 4, { local: true }),
    );
    const { restored, refused } = await restoreLogs(dir, stream, signer, logger);
    expect(restored.filter((m) => m.startsWith('es-')).sort()).toEqual(['es-1', 'es-a', 'es-b']);
    expect(refused).toEqual([]);
    expect(
      EventLog.read(EventLog.pathFor(dir, 'es-a'), undefined, parseLogEnvelope).map((e) => e.seq),
    ).toEqual([1, 2, 3, 4]);
    expect(
      EventLog.read(EventLog.pathFor(dir, 'es-b'), undefined, parseLogEnvelope).map((e) => e.seq),
    ).toEqual([1, 2, 3, 4]);
    expect(readFileSync(EventLog.pathFor(dir, 'es-c'), 'utf8')).toContain('"local":true');
  });

  it('should give a daemon on an empty disk the missions another daemon ran, from the stream', async () => {
    const stream = await NatsEventStream.open(nc, { logger, signer });
    const first = mkdtempSync(join(tmpdir(), 'maestro-stream-a-'));
    const second = mkdtempSync(join(tmpdir(), 'maestro-stream-b-'));
    dirs.push(first, second);
    const a = new Daemon({ stateDir: first, logger, mirror: (e) => stream.append(e) });
    a.start();
    await a.submit({ source: readFileSync('examples/hello.yaml', 'utf8'), id: 'mirrored' });
    await eventually(() => expect(a.status('mirrored').state).toBe('succeeded'));
    await a.shutdown();
    await stream.flush();
    expect((await restoreLogs(second, stream, signer, logger)).restored).toContain('mirrored');
    const b = new Daemon({ stateDir: second, logger });
    expect(b.start().finished).toBeGreaterThanOrEqual(1);
    expect(b.status('mirrored')).toMatchObject({
      state: 'succeeded',
      result: a.status('mirrored').result,
    });
    expect(readFileSync(EventLog.pathFor(second, 'mirrored'), 'utf8')).toBe(
      readFileSync(EventLog.pathFor(first, 'mirrored'), 'utf8'),
    );
    await b.shutdown();
  });
});
