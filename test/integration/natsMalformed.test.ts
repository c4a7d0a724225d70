/**
 * Garbage on the bus, as an attacker with a connection sends it: each kind of malformed request
 * gets an error reply at once (no requester waits out its timeout), and a flood of it during a
 * MAKER mission costs counters, not the mission's calls.
 */
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { serveProviders } from '../../actors/providerService.js';
import { createProvider } from '../../actors/providers/index.js';
import { serveDaemonOverNats } from '../../daemon/daemonNats.js';
import { loadConfigFile } from '../../config/loader.js';
import { missionSchema } from '../../config/mission.js';
import type { DaemonApi } from '../../daemon/daemonApi.js';
import { runMission } from '../../runner/runMission.js';
import { NatsTransport } from '../../transport/natsTransport.js';
import { parseNatsOptions } from '../../transport/natsOptions.js';
import { tempDir } from '../helpers/missions.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/natsServer.js';
import { startWorker, stopAllWorkers } from '../helpers/workerProcess.js';

const silent = pino({ level: 'silent' });
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await stopAllWorkers();
  for (const c of cleanups.splice(0)) await c().catch(() => {});
});

async function server(): Promise<NatsServerHandle> {
  const s = await startNatsServer();
  cleanups.push(() => s.stop());
  return s;
}
async function raw(s: NatsServerHandle): Promise<NatsConnection> {
  const nc = await connect({ servers: s.url });
  cleanups.unshift(() => nc.close());
  return nc;
}

const enc = new TextEncoder();
/** Seven kinds of garbage, and one that is JSON but not a call. */
const GARBAGE: [string, Uint8Array, string][] = [
  ['not JSON', enc.encode('not json {'), 'not JSON'],
  ['empty', new Uint8Array(0), 'empty'],
  ['invalid UTF-8', Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'not UTF-8'],
  ['a JSON string', enc.encode('"hello"'), 'expected object'],
  ['an array', enc.encode('[1,2]'), 'expected object'],
  [
    'another version',
    enc.encode('{"v":2,"id":"x","provider":"p","request":{"prompt":"hi"}}'),
    'v: ',
  ],
  ['no request', enc.encode('{"v":1,"id":"x","provider":"p"}'), 'request: '],
  [
    'unknown field',
    enc.encode('{"v":1,"id":"x","provider":"p","request":{"prompt":"hi"},"evil":1}'),
    'evil',
  ],
];

describe('malformed requests on the bus', () => {
  it.each(GARBAGE)(
    'should answer an agent call that is %s with an error reply at once',
    async (_kind, payload, says) => {
      const s = await server();
      const t = await NatsTransport.connect(parseNatsOptions({ servers: s.url }), {
        logger: silent,
      });
      cleanups.unshift(() => t.close());
      const service = serveProviders(
        t,
        [createProvider('p', { kind: 'scripted', responses: ['ok'] } as never)],
        silent,
      );
      await t.connection.flush();
      const nc = await raw(s);
      const started = Date.now();
      const reply = (await nc.request('maestro.agent.call.p', payload, { timeout: 2000 })).json<
        Record<string, any>
      >();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(reply).toMatchObject({
        v: 1,
        ok: false,
        error: { name: 'ProtocolError', kind: 'protocol', retryable: false },
      });
      expect(reply.error.message).toMatch(/^malformed agent call: /);
      expect(reply.error.message).toContain(says);
      expect(service.malformed).toBe(1);
      service.stop();
    },
  );

  it("should answer garbage sent to the daemon's NATS API with 400, for every kind", async () => {
    const s = await server();
    const t = await NatsTransport.connect(parseNatsOptions({ servers: s.url }), { logger: silent });
    cleanups.unshift(() => t.close());
    const api = { list: () => [] } as unknown as DaemonApi;
    serveDaemonOverNats(api, t, { token: 'daemon-token-0123456789' });
    await t.connection.flush();
    const nc = await raw(s);
    for (const [, payload] of GARBAGE) {
      const reply = (await nc.request('maestro.daemon.list', payload, { timeout: 2000 })).json<
        Record<string, any>
      >();
      expect(reply).toMatchObject({ v: 1, ok: false, status: 400 });
      expect(reply.error).toMatch(/^malformed request: /);
    }
    expect(t.counters.malformedReplies).toBe(3); // the three that are not JSON at all; the rest fail the schema
  });

  it('should decide every step of a MAKER mission while a flood of garbage hits its agent-call subject', async () => {
    const s = await server();
    const fixture = fileURLToPath(new URL('../fixtures/missions/nats-hanoi.yaml', import.meta.url));
    await startWorker({ natsUrl: s.url, config: fixture, capabilities: ['sim'], id: 'flooded' });
    const nc = await raw(s);
    let sent = 0;
    let answered = 0;
    let flooding = true;
    const inbox = nc.subscribe('flood.replies.>', { callback: () => void answered++ });
    const flood = (async () => {
      const kinds = GARBAGE.map(([, p]) => p);
      while (flooding) {
        // About 20,000 a second, beside the mission and its worker on two cores.
        for (let i = 0; i < 400; i++)
          nc.publish('maestro.agent.call.sim', kinds[sent % kinds.length]!, {
            reply: `flood.replies.${sent++}`,
          });
        await nc.flush();
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    // The flood is at full speed before the mission's first step, so every step runs under it
    // (a mission of a second on a slow machine had 4,800 of it, the flood still starting up).
    while (sent < 2000) await new Promise((r) => setTimeout(r, 5));
    const config = await loadConfigFile(fixture, missionSchema);
    const steps: number[] = [];
    const { output } = await runMission(config, {
      stateDir: tempDir(),
      logger: silent,
      missionId: `flood-${Date.now().toString(36)}`,
      nats: parseNatsOptions({ servers: s.url }),
      waitWorkersMs: 15_000,
      onEvent: (e) =>
        void (e.type === 'maker.vote' && e.outcome === 'decided' && steps.push(e.step as number)),
    });
    flooding = false;
    await flood;
    await nc.flush();
    expect(output.status).toBe('succeeded');
    expect(steps).toHaveLength(63);
    expect(new Set(steps).size).toBe(63);
    // The flood ran through the mission, and its garbage was answered, not queued in front of it.
    expect(sent).toBeGreaterThan(5000);
    await new Promise((r) => setTimeout(r, 500));
    expect(answered).toBeGreaterThan(sent * 0.9);
    inbox.unsubscribe();
  }, 90_000);
});
