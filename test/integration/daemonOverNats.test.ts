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

  it('should keep a mission that could not start (no worker) with its log and reason across restarts, and run it at the start that has a worker', async () => {
    const nats = await startNatsServer();
    try {
      const stateDir = tempDir('maestro-daemon-nats-nowork-');
      const args = ['--nats', nats.url, '--wait-workers-ms', '300'];
      const noWorker = "no worker serves 'poet', 'reviewers' on " + nats.url + ' after 300 ms';
      const first = await startDaemon({ stateDir, args });
      expect(await first.client.submit({ source: readFileSync(HELLO, 'utf8'), filename: 'hello.yaml', id: 'lonely' })).toMatchObject({ id: 'lonely', state: 'running' });
      await eventually(async () => {
        const status = await first.client.status('lonely');
        expect(status).toMatchObject({ state: 'failed', error: { reason: 'start_failed' } });
        expect(status.error!.message).toContain(noWorker);
        expect(status.error!.message).toContain('tried again at the next daemon start (maestro stop lonely gives it up)');
      }, 10_000);
      const types = () => readFileSync(`${stateDir}/missions/lonely.jsonl`, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
      expect(types()).toEqual(['mission.submitted', 'mission.start_failed']);
      expect((await first.kill('SIGTERM')).code).toBe(0);

      // Restarted, still no worker: the mission is listed, tried again, and says why it is failed.
      const second = await startDaemon({ stateDir, args });
      expect((await second.client.list()).map((m) => m.id)).toEqual(['lonely']);
      await eventually(async () => {
        const status = await second.client.status('lonely');
        expect(status).toMatchObject({ state: 'failed', error: { reason: 'start_failed' } });
        expect(status.error!.message).toContain(noWorker);
      }, 10_000);
      expect(types()).toEqual(['mission.submitted', 'mission.start_failed', 'mission.start_failed']);
      expect((await second.kill('SIGTERM')).code).toBe(0);

      // With a worker, the next start runs it to its end.
      await startWorker({ natsUrl: nats.url, config: HELLO, capabilities: ['poet', 'reviewers'], id: 'late' });
      const third = await startDaemon({ stateDir, args: ['--nats', nats.url] });
      await eventually(async () => expect(await third.client.status('lonely')).toMatchObject({ state: 'succeeded' }), 20_000);
      expect((await third.kill('SIGTERM')).code).toBe(0);
    } finally {
      await stopAllWorkers();
      await nats.stop();
    }
  }, 60_000);
});
