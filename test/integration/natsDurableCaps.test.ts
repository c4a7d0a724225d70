/**
 * An answer too big for the server over the durable path: a real nats-server with a 64 KiB
 * max_payload, a real `maestro worker` process, a prompt-stage mission whose call goes through
 * the JetStream work queue. The result could be neither recorded nor published, so the worker
 * handed the job back and it was redelivered until dead-lettered; it must answer at once with
 * an error that names the provider and the limit.
 */
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { loadConfigFile } from '../../config/loader.js';
import { missionSchema } from '../../config/mission.js';
import { runMission } from '../../runner/runMission.js';
import { parseNatsOptions } from '../../transport/natsOptions.js';
import { tempDir } from '../helpers/missions.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/natsServer.js';
import { startWorker, stopAllWorkers } from '../helpers/workerProcess.js';

const file = fileURLToPath(new URL('../fixtures/missions/nats-big-answer.yaml', import.meta.url));
const env = { BIG_ANSWER: 'b'.repeat(100_000) };

let server: NatsServerHandle | undefined;
afterEach(async () => {
  await stopAllWorkers();
  await server?.stop();
});

describe('an answer over max_payload on the durable path (real nats-server and worker)', () => {
  it('should fail the mission at once with the size and the limit, after one delivery', async () => {
    server = await startNatsServer({ config: 'max_payload: 65536\n' });
    await startWorker({
      natsUrl: server.url,
      config: file,
      capabilities: ['big'],
      id: 'big-a',
      env,
      logLevel: 'warn',
    });
    const config = await loadConfigFile(file, missionSchema, { env });
    const started = performance.now();
    const { output, eventLogFile } = await runMission(config, {
      stateDir: tempDir('maestro-nats-caps-'),
      logger: pino({ level: 'silent' }),
      missionId: `big-${Date.now().toString(36)}`,
      nats: parseNatsOptions({ servers: server.url }),
      waitWorkersMs: 15_000,
    });
    const events = EventLog.read(eventLogFile);
    expect(output.status).toBe('failed');
    expect(output.error?.reason).toBe('non_retryable');
    expect(output.error?.message).toMatch(
      /^provider 'big': answer of 100\d{3} bytes does not fit the transport's max payload \(65536 bytes\); lower providers\.big\.maxAnswerBytes below it, or over NATS raise the server's max_payload \(non-retryable: output_cap\)$/,
    );
    expect(events.filter((e) => e.type === 'agent.call').map((e) => [e.attempt, e.ok])).toEqual([
      [0, false],
    ]);
    expect(performance.now() - started).toBeLessThan(20_000);
    // At once: from the worker's arrival (the mission waits for it first; on a loaded machine
    // that wait alone took 6.6 s) to the mission's end, one delivery and no redelivery loop.
    const at = (type: string) => Date.parse(events.find((e) => e.type === type)!.ts);
    expect(at('mission.finished') - at('worker.joined')).toBeLessThan(2_000);
  }, 45_000);
});
