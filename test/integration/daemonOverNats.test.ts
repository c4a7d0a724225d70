import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DAEMON_SUBJECT_PREFIX } from '../../daemon/daemonNats.js';
import { NatsTransport } from '../../transport/natsTransport.js';
import { NatsEventStream } from '../../transport/natsEventStream.js';
import { startDaemon } from '../helpers/daemonProcess.js';
import { eventually } from '../helpers/eventually.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/natsServer.js';
import { trackChild } from '../helpers/childProcesses.js';
import { tempDir } from '../helpers/missions.js';
import { startWorker, stopAllWorkers } from '../helpers/workerProcess.js';

const HELLO = fileURLToPath(new URL('../../examples/hello.yaml', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../cli/dev.js', import.meta.url));

/** Runs `maestro ARGS` to its exit, or kills it after `timeoutMs` (exit code null then). */
function maestro(
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(proc);
  let stdout = '';
  let stderr = '';
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('maestro daemon --nats (real processes)', () => {
  let server: NatsServerHandle | undefined;
  afterAll(async () => {
    await stopAllWorkers();
    await server?.stop();
  });

  it('should run missions on remote workers over one NATS connection, answer the API over NATS, and copy the events to JetStream', async () => {
    server = await startNatsServer();
    await startWorker({
      natsUrl: server.url,
      config: HELLO,
      capabilities: ['poet', 'reviewers'],
      id: 'w1',
    });
    const daemon = await startDaemon({
      stateDir: tempDir('maestro-daemon-nats-'),
      args: ['--nats', server.url],
    });
    const source = readFileSync(HELLO, 'utf8');
    for (const id of ['n1', 'n2'])
      await daemon.client.submit({ source, filename: 'hello.yaml', id });
    await eventually(async () => {
      const states = (await daemon.client.list()).map((m) => m.state);
      expect(states).toEqual(['succeeded', 'succeeded']);
    }, 30_000);
    // Both missions' calls went to the worker: the daemon serves no provider itself.
    const events = (id: string) => readFileSync(`${daemon.stateDir}/missions/${id}.jsonl`, 'utf8');
    expect(events('n1')).toContain('"type":"worker.joined"');
    // One connection for the daemon (API, stream, both missions), one for the worker.
    const connz = (await (await fetch(`${server.monitorUrl}/connz`)).json()) as {
      connections: { name?: string }[];
    };
    const names = connz.connections.map((c) => c.name ?? '');
    expect(names.filter((n) => n.startsWith('maestro-daemon'))).toHaveLength(1);

    const client = await NatsTransport.connect({ servers: server.url });
    try {
      const list = (await client.request(
        `${DAEMON_SUBJECT_PREFIX}.list`,
        { v: 1, token: daemon.token },
        { timeoutMs: 5000 },
      )) as { ok: boolean; result: { missions: { id: string }[] } };
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
      const noWorker = `no worker serves 'poet', 'reviewers' on ${nats.url} after 300 ms; start one: maestro worker --nats URL --capability poet --capability reviewers --config MISSION_FILE`;
      const first = await startDaemon({ stateDir, args });
      expect(
        await first.client.submit({
          source: readFileSync(HELLO, 'utf8'),
          filename: 'hello.yaml',
          id: 'lonely',
        }),
      ).toMatchObject({ id: 'lonely', state: 'running' });
      await eventually(async () => {
        const status = await first.client.status('lonely');
        expect(status).toMatchObject({ state: 'failed', error: { reason: 'start_failed' } });
        expect(status.error!.message).toBe(
          `${noWorker}; tried again at the next daemon start (maestro stop lonely gives it up)`,
        );
      }, 10_000);
      const types = () =>
        readFileSync(`${stateDir}/missions/lonely.jsonl`, 'utf8')
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as { type: string }).type);
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
      expect(types()).toEqual([
        'mission.submitted',
        'mission.start_failed',
        'mission.start_failed',
      ]);
      expect((await second.kill('SIGTERM')).code).toBe(0);

      // With a worker, the next start runs it to its end.
      await startWorker({
        natsUrl: nats.url,
        config: HELLO,
        capabilities: ['poet', 'reviewers'],
        id: 'late',
      });
      const third = await startDaemon({ stateDir, args: ['--nats', nats.url] });
      await eventually(
        async () =>
          expect(await third.client.status('lonely')).toMatchObject({ state: 'succeeded' }),
        20_000,
      );
      expect((await third.kill('SIGTERM')).code).toBe(0);
    } finally {
      await stopAllWorkers();
      await nats.stop();
    }
  }, 60_000);

  it('should end `submit --follow` of a mission that cannot start (no worker), its start failure the last event', async () => {
    const nats = await startNatsServer();
    try {
      const stateDir = tempDir('maestro-daemon-nats-follow-');
      // Long enough a wait that the follower is there before the failure.
      const daemon = await startDaemon({
        stateDir,
        args: ['--nats', nats.url, '--wait-workers-ms', '1500'],
      });
      const run = await maestro(
        ['submit', HELLO, '--mission-id', 'alone', '--follow', '--json', '--state-dir', stateDir],
        20_000,
      );
      expect(run.stdout).toContain('"id": "alone"');
      // The events as JSON lines (submit's own closing line is not one of them).
      const events = run.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { type: string; message?: string });
      expect(events.map((e) => e.type)).toEqual(['mission.submitted', 'mission.start_failed']);
      expect(events[1]!.message).toContain(
        `no worker serves 'poet', 'reviewers' on ${nats.url} after 1500 ms`,
      );
      expect(run.code).toBe(1);
      expect((await daemon.kill('SIGTERM')).code).toBe(0);
    } finally {
      await nats.stop();
    }
  }, 40_000);

  it('should give up a mission stopped while it waits for its workers: its log ends stopped, and a start with a worker leaves it so', async () => {
    const nats = await startNatsServer();
    try {
      const stateDir = tempDir('maestro-daemon-nats-stopwait-');
      const first = await startDaemon({
        stateDir,
        args: ['--nats', nats.url, '--wait-workers-ms', '60000'],
      });
      await first.client.submit({
        source: readFileSync(HELLO, 'utf8'),
        filename: 'hello.yaml',
        id: 'unwanted',
      });
      await first.client.stop('unwanted', 'not needed');
      await eventually(
        async () =>
          expect(await first.client.status('unwanted')).toMatchObject({
            state: 'stopped',
            error: { reason: 'stopped', message: 'not needed' },
          }),
        5_000,
      );
      const log = () =>
        readFileSync(`${stateDir}/missions/unwanted.jsonl`, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { type: string; error?: unknown });
      expect(log().map((e) => e.type)).toEqual([
        'mission.submitted',
        'mission.start_failed',
        'mission.finished',
      ]);
      expect(log()[2]).toMatchObject({ error: { reason: 'stopped', message: 'not needed' } });
      expect((await first.kill('SIGTERM')).code).toBe(0);

      await startWorker({
        natsUrl: nats.url,
        config: HELLO,
        capabilities: ['poet', 'reviewers'],
        id: 'too-late',
      });
      const second = await startDaemon({ stateDir, args: ['--nats', nats.url] });
      expect(await second.client.status('unwanted')).toMatchObject({ state: 'stopped' });
      expect(log()).toHaveLength(3);
      expect((await second.kill('SIGTERM')).code).toBe(0);
    } finally {
      await stopAllWorkers();
      await nats.stop();
    }
  }, 40_000);
});
