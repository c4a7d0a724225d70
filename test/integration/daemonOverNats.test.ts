import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DAEMON_SUBJECT_PREFIX } from '../../cli/daemonNats.js';
import { NatsTransport } from '../../transport/natsTransport.js';
import { NatsEventStream } from '../../transport/natsEventStream.js';
import { startDaemon } from '../helpers/daemonProcess.js';
import { eventually } from '../helpers/eventually.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/natsServer.js';
import { tempDir } from '../helpers/missions.js';
import { startWorker, stopAllWorkers } from '../helpers/workerProcess.js';

const HELLO = fileURLToPath(new URL('../../examples/hello.yaml', import.meta.url));

describe('maestro daemon --nats (real processes)', () => {
  let server: NatsServerHandle | undefined;
  afterAll(async () => {
    await stopAllWorkers();
    await server?.stop();
  });

  it('should run missions on remote workers over one NATS connection, answer the API over NATS, and copy the events to JetStream', async () => {
    server = await startNatsServer();
    await startWorker({ natsUrl: server.url, config: HELLO, capabilities: ['poet', 'reviewers'], id: 'w1' });
    const daemon = await startDaemon({ stateDir: tempDir('maestro-daemon-nats-'), args: ['--nats', server.url] });
    const source = readFileSync(HELLO, 'utf8');
    for (const id of ['n1', 'n2']) await daemon.client.submit({ source, filename: 'hello.yaml', id });
    await eventually(async () => {
      const states = (await daemon.client.list()).map((m) => m.state);
      expect(states).toEqual(['succeeded', 'succeeded']);
    }, 30_000);
    // Both missions' calls went to the worker: the daemon serves no provider itself.
    const events = (id: string) => readFileSync(`${daemon.stateDir}/missions/${id}.jsonl`, 'utf8');
    expect(events('n1')).toContain('"type":"worker.joined"');
    // One connection for the daemon (API, stream, both missions), one for the worker.
    const connz = (await (await fetch(`${server.monitorUrl}/connz`)).json()) as { connections: { name?: string }[] };
    const names = connz.connections.map((c) => c.name ?? '');
    expect(names.filter((n) => n.startsWith('maestro-daemon'))).toHaveLength(1);

    const client = await NatsTransport.connect({ servers: server.url });
    try {
      const list = (await client.request(`${DAEMON_SUBJECT_PREFIX}.list`, { v: 1 }, { timeoutMs: 5000 })) as { ok: boolean; result: { missions: { id: string }[] } };
      expect(list.ok).toBe(true);
      expect(list.result.missions.map((m) => m.id).sort()).toEqual(['n1', 'n2']);
      const stream = await NatsEventStream.open(client.connection);
      await eventually(async () => {
        const copy = await stream.read('n2');
        expect(copy.at(-1)?.type).toBe('mission.finished');
        expect(copy.length).toBe(events('n2').trim().split('\n').length);
      }, 10_000);
    } finally {
      await client.close();
    }
    expect((await daemon.kill('SIGTERM')).code).toBe(0);
  });
});
