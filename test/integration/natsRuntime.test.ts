/**
 * The daemon's NATS hub waiting for a mission's workers, on a real nats-server with none: what it
 * says when none comes, and that a stop ends the wait at once.
 */
import { pino } from 'pino';
import { eventually } from '../helpers/eventually.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerIdentity } from '../../config/providerIdentity.js';
import { providerConfigSchema } from '../../config/providers.js';
import {
  connectNatsHub,
  NoWorkersError,
  WaitStoppedError,
  type NatsHub,
  type ProviderIdentities,
} from '../../runner/natsRuntime.js';
import { parseNatsOptions } from '../../transport/natsOptions.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/natsServer.js';

const scripted = (text: string) =>
  providerIdentity(providerConfigSchema.parse({ kind: 'scripted', responses: [text] }));
const providers: ProviderIdentities = { poet: scripted('a poem'), reviewers: scripted('a review') };

describe('natsRuntime: waiting for workers (connectNatsHub().attach)', () => {
  let server: NatsServerHandle;
  let hub: NatsHub;
  beforeAll(async () => {
    server = await startNatsServer();
    hub = await connectNatsHub(
      parseNatsOptions({ servers: server.url }),
      pino({ level: 'silent' }),
    );
  });
  afterAll(async () => {
    await hub?.close();
    await server?.stop();
  });

  it('should name every missing provider, and repeat --capability for each in the command it suggests', async () => {
    const attach = hub.attach(providers, 200);
    await expect(attach).rejects.toThrow(NoWorkersError);
    await expect(attach).rejects.toMatchObject({
      message: `no worker serves 'poet', 'reviewers' on ${server.url} after 200 ms; start one: maestro worker --nats URL --capability poet --capability reviewers --config MISSION_FILE`,
    });
  });

  it('should end the wait at once when its signal aborts (the mission stopped), with WaitStoppedError and the reason', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const attach = hub.attach(providers, 60_000, stop.signal);
    setTimeout(() => stop.abort('not needed'), 150);
    await expect(attach).rejects.toThrow(WaitStoppedError);
    await expect(attach).rejects.toMatchObject({
      message: 'stopped while waiting for workers: not needed',
      reason: 'not needed',
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('maestro run --nats, Ctrl-C while it waits for workers (a real process)', () => {
  it('should stop waiting at once, say the mission could not start, and exit 1 without an internal error', async () => {
    const { spawn } = await import('node:child_process');
    const { tempDir } = await import('../helpers/missions.js');
    const server = await startNatsServer();
    try {
      const stateDir = tempDir();
      const child = spawn(process.execPath, [
        'cli/dev.js',
        'run',
        'examples/hello.yaml',
        '--nats',
        server.url,
        '--wait-workers-ms',
        '60000',
        '--state-dir',
        stateDir,
        '--pretty',
      ]);
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      // Waiting for its workers: its log is there (the signal handlers are set before it), however
      // long a loaded machine took to start it (a fixed 1.5 s was once too short).
      const { existsSync, readdirSync } = await import('node:fs');
      const missions = `${stateDir}/missions`;
      await eventually(
        () => expect(existsSync(missions) && readdirSync(missions).length).toBeGreaterThan(0),
        20_000,
      );
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      child.kill('SIGINT');
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      expect(code).toBe(1);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(stderr).toContain('could not start: stopped while waiting for workers: interrupted');
      expect(stderr).not.toContain('internal error');
    } finally {
      await server.stop();
    }
  });
});
