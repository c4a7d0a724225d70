/**
 * The bus as a trust boundary the NATS server enforces: a real nats-server started with the
 * block `maestro nats-config` writes, a mission run on the daemon's user with a real worker on
 * its own, then each forgery of the attack sweep tried with the worker's and a client's
 * credentials: the server refuses it, and nothing it was meant to do happens.
 */
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../config/loader.js';
import { missionSchema } from '../../config/mission.js';
import { runMission } from '../../runner/runMission.js';
import {
  authorizationBlock,
  authorizedUsers,
  type NatsAuthorizedUser,
} from '../../transport/natsPermissions.js';
import { parseNatsOptions } from '../../transport/natsOptions.js';
import { tempDir } from '../helpers/missions.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/natsServer.js';
import { startWorker, stopAllWorkers } from '../helpers/workerProcess.js';

const silent = pino({ level: 'silent' });
const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/missions/${name}`, import.meta.url));
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await stopAllWorkers();
  for (const c of cleanups.splice(0)) await c().catch(() => {});
});

const users = authorizedUsers({
  daemon: { user: 'daemon' },
  workers: [
    { user: 'w1', id: 'auth-w1', capabilities: ['sim'] },
    { user: 'w2', id: 'auth-w2', capabilities: ['poet', 'editing', 'critiquing'] },
  ],
  clients: [{ user: 'client' }],
});
const who = (name: string) => users.find((u) => u.user === name)!;

async function securedServer(): Promise<NatsServerHandle> {
  const s = await startNatsServer({ config: authorizationBlock(users) });
  cleanups.push(() => s.stop());
  return s;
}

/** A raw connection as `u`, with the permission errors the server sent it. */
async function as(
  s: NatsServerHandle,
  u: NatsAuthorizedUser,
): Promise<{ nc: NatsConnection; violations: string[] }> {
  const nc = await connect({
    servers: s.url,
    user: u.user,
    pass: u.password,
    inboxPrefix: u.inboxPrefix,
  });
  const violations: string[] = [];
  void (async () => {
    for await (const st of nc.status())
      if (st.type === 'error') violations.push(String((st as { error?: unknown }).error));
  })();
  cleanups.unshift(() => nc.close());
  return { nc, violations };
}

const natsAs = (s: NatsServerHandle, u: NatsAuthorizedUser) =>
  parseNatsOptions({
    servers: s.url,
    user: u.user,
    password: u.password,
    inboxPrefix: u.inboxPrefix,
  });
const workerArgs = (u: NatsAuthorizedUser) => [
  '--nats-user',
  u.user,
  '--nats-inbox-prefix',
  u.inboxPrefix,
];

describe('NATS authorization from maestro nats-config', () => {
  it('should run MAKER and durable missions with the daemon and a worker each on its own restricted user', async () => {
    const s = await securedServer();
    const missions = [
      ['nats-hanoi.yaml', 'w1', ['sim']],
      ['nats-hello.yaml', 'w2', ['poet', 'editing', 'critiquing']],
    ] as const;
    for (const [file, user, caps] of missions) {
      const u = who(user);
      await startWorker({
        natsUrl: s.url,
        config: fixture(file),
        capabilities: [...caps],
        id: `auth-${user}`,
        args: workerArgs(u),
        env: { MAESTRO_NATS_PASSWORD: u.password },
      });
    }
    for (const [file] of missions) {
      const config = await loadConfigFile(fixture(file), missionSchema);
      const { output } = await runMission(config, {
        stateDir: tempDir(),
        logger: silent,
        missionId: `auth-${config.name}-${Date.now().toString(36)}`,
        nats: natsAs(s, who('daemon')),
        waitWorkersMs: 15_000,
      });
      expect(output.status, JSON.stringify(output.error)).toBe('succeeded');
    }
  }, 90_000);

  it('should refuse each forgery of a worker or a client at the server', async () => {
    const s = await securedServer();
    const daemon = await as(s, who('daemon'));
    // What the daemon would act on, watched with the daemon's rights.
    const seen: string[] = [];
    for (const subject of [
      'maestro.events.>',
      '$JS.EVENT.ADVISORY.>',
      'maestro.result.>',
      '$KV.MAESTRO_WORKERS.>',
      'maestro.daemon.>',
    ]) {
      daemon.nc.subscribe(subject, { callback: (e, m) => void (e || seen.push(m.subject)) });
    }
    await daemon.nc.flush();
    for (const name of ['w1', 'client']) {
      const { nc, violations } = await as(s, who(name));
      // A forged approval and a forged submission in the mission event stream; a forged
      // MAX_DELIVERIES advisory; another worker's registry key.
      nc.publish(
        'maestro.events.m1.log',
        JSON.stringify({
          seq: 9,
          mission: 'm1',
          type: 'approval.answered',
          id: 'm1/plan/1',
          decision: 'approve',
        }),
      );
      nc.publish(
        'maestro.events.evil.log',
        JSON.stringify({ seq: 1, mission: 'evil', type: 'mission.submitted' }),
      );
      nc.publish(
        '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.MAESTRO_WORK.maestro-sim',
        JSON.stringify({ stream: 'MAESTRO_WORK', stream_seq: 1, deliveries: 5 }),
      );
      nc.publish('$KV.MAESTRO_WORKERS.someone-else', JSON.stringify({ id: 'someone-else' }));
      await nc.flush();
      await new Promise((r) => setTimeout(r, 200));
      expect(violations.join('\n')).toMatch(
        /Permissions Violation for Publish to "maestro\.events\.m1\.log"/,
      );
      expect(violations.join('\n')).toMatch(
        /Permissions Violation for Publish to "\$JS\.EVENT\.ADVISORY/,
      );
      expect(violations.join('\n')).toMatch(
        /Permissions Violation for Publish to "\$KV\.MAESTRO_WORKERS\.someone-else"/,
      );
    }
    // A client may not answer agent calls (the rogue responder that decided MAKER steps), nor forge results.
    const client = await as(s, who('client'));
    client.nc.subscribe('maestro.agent.call.sim', {
      callback: (e) => void (e || seen.push('rogue answered')),
    });
    client.nc.publish(
      'maestro.result.sometoken',
      JSON.stringify({ v: 1, ok: true, result: 'lie' }),
    );
    await client.nc.flush();
    await new Promise((r) => setTimeout(r, 200));
    expect(client.violations.join('\n')).toMatch(
      /Permissions Violation for Subscription to "maestro\.agent\.call\.sim"/,
    );
    expect(client.violations.join('\n')).toMatch(
      /Permissions Violation for Publish to "maestro\.result\.sometoken"/,
    );
    // A worker may answer only its own capabilities: calls, durable results and their record.
    const w1 = await as(s, who('w1'));
    w1.nc.subscribe('maestro.agent.call.poet', {
      callback: (e) => void (e || seen.push('rogue answered')),
    });
    w1.nc.publish(
      'maestro.result.poet.sometoken',
      JSON.stringify({ v: 1, key: 'k', ok: true, result: 'lie' }),
    );
    w1.nc.publish(
      '$KV.MAESTRO_RESULTS.poet.sometoken',
      JSON.stringify({ v: 1, key: 'k', ok: true, result: 'planted' }),
    );
    await w1.nc.flush();
    await new Promise((r) => setTimeout(r, 200));
    const w1v = w1.violations.join('\n');
    expect(w1v).toMatch(/Permissions Violation for Subscription to "maestro\.agent\.call\.poet"/);
    expect(w1v).toMatch(/Permissions Violation for Publish to "maestro\.result\.poet\.sometoken"/);
    expect(w1v).toMatch(
      /Permissions Violation for Publish to "\$KV\.MAESTRO_RESULTS\.poet\.sometoken"/,
    );
    // …while its own capability's result subject is open to it (the check can fail).
    w1.nc.publish('maestro.result.sim.sometoken', '{}');
    await w1.nc.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual(['maestro.result.sim.sometoken']);
    seen.length = 0;
    // Nothing forged arrived where the daemon listens; a request to the API from the client does.
    expect(seen).toEqual([]);
    await client.nc
      .request('maestro.daemon.list', JSON.stringify({ v: 1 }), { timeout: 500 })
      .catch(() => {});
    await daemon.nc.flush();
    expect(seen).toEqual(['maestro.daemon.list']);
    // And with its own rights, the daemon's publish of the same subject arrives (the check can fail).
    daemon.nc.publish('maestro.events.m1.log', '{}');
    await daemon.nc.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toContain('maestro.events.m1.log');
  }, 60_000);
});
