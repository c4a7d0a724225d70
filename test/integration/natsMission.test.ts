/**
 * Missions over NATS end to end: a real nats-server, real `maestro worker` processes, the mission
 * run in process with `runMission({ nats })`. Prompt-stage calls go by the durable JetStream path,
 * MAKER samples by request/reply in the queue group `maestro.providers`. Each test has its own
 * server, workers and mission id; workers are SIGKILLed and servers stopped after each test.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { LooseEvent } from '../helpers/looseEvent.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { formatMove, hanoiSolution } from '../../actors/tasks/index.js';
import { runChaos } from '../../bench/chaos.js';
import { loadConfigFile } from '../../config/loader.js';
import { missionSchema, type MissionConfig } from '../../config/mission.js';
import { runMission, type RunOptions } from '../../runner/runMission.js';
import { ProviderMismatchError } from '../../runner/workerMatch.js';
import { parseNatsOptions } from '../../transport/natsOptions.js';
import { RESULTS_BUCKET } from '../../transport/natsWorkQueue.js';
import { tempDir } from '../helpers/missions.js';
import { type NatsServerHandle, startNatsServer } from '../helpers/natsServer.js';
import {
  startWorker,
  stopAllWorkers,
  type WorkerProcessOptions,
} from '../helpers/workerProcess.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/missions/${name}`, import.meta.url));
const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let seq = 0;
const uniqueId = (name: string) => `${name}-${Date.now().toString(36)}-${++seq}`;

const cleanups: (() => Promise<unknown>)[] = [];

async function natsServer(): Promise<NatsServerHandle> {
  const server = await startNatsServer();
  cleanups.push(() => server.stop());
  return server;
}

async function rawClient(server: NatsServerHandle): Promise<NatsConnection> {
  const nc = await connect({ servers: server.url });
  cleanups.unshift(() => nc.close());
  return nc;
}

/** Starts workers in parallel, all on `server`. */
function workers(
  server: NatsServerHandle,
  config: string,
  capabilities: string[],
  ids: string[],
  over: Partial<WorkerProcessOptions> = {},
) {
  return Promise.all(
    ids.map((id) => startWorker({ natsUrl: server.url, config, capabilities, id, ...over })),
  );
}

async function runOverNats(
  config: MissionConfig,
  server: NatsServerHandle,
  options: Partial<RunOptions> = {},
) {
  const missionId = options.missionId ?? uniqueId(config.name);
  const { output, eventLogFile } = await runMission(config, {
    stateDir: tempDir('maestro-nats-mission-'),
    logger: silent,
    missionId,
    nats: parseNatsOptions({ servers: server.url, reconnectTimeWaitMs: 100 }),
    waitWorkersMs: 15_000,
    ...options,
  });
  return { output, events: EventLog.read(eventLogFile), missionId };
}

/** A MAKER Hanoi mission from nats-hanoi.yaml with `disks` disks. */
async function hanoiMission(disks: number): Promise<MissionConfig> {
  const config = await loadConfigFile(fixture('nats-hanoi.yaml'), missionSchema);
  const stage = config.stages[0]!;
  return missionSchema.parse({
    ...config,
    stages: [{ ...stage, maker: { ...stage.maker!, task: { kind: 'hanoi', disks } } }],
  });
}

/** Counts each decided step and checks its move against the true solution. */
function solutionChecker(disks: number) {
  const truth = [...hanoiSolution(disks)].map(formatMove);
  const decided = new Map<number, number>();
  let wrong = 0;
  const onEvent = (e: LooseEvent) => {
    if (e.type !== 'maker.vote' || e.outcome !== 'decided') return;
    const step = e.step as number;
    decided.set(step, (decided.get(step) ?? 0) + 1);
    if (truth[step] !== e.answer) wrong++;
  };
  return {
    onEvent,
    get summary() {
      return {
        steps: decided.size,
        wrong,
        twice: [...decided.values()].filter((n) => n > 1).length,
        all: truth.every((_, i) => decided.has(i)),
      };
    },
  };
}

async function eventually<T>(
  check: () => T | undefined | false,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * What each worker's queue subscription to the provider's subject got, as the server counts it
 * (monitoring's `/connz?subs=detail`); workers name their connections `maestro-worker-<id>`.
 */
async function servedSamples(
  server: NatsServerHandle,
  provider: string,
): Promise<(id: string) => number | undefined> {
  const connz = (await (await fetch(`${server.monitorUrl}/connz?subs=detail`)).json()) as {
    connections: {
      name?: string;
      subscriptions_list_detail?: { subject: string; qgroup?: string; msgs: number }[];
    }[];
  };
  return (id) =>
    connz.connections
      .find((c) => c.name === `maestro-worker-${id}`)
      ?.subscriptions_list_detail?.find(
        (s) => s.subject === `maestro.agent.call.${provider}` && s.qgroup === 'maestro.providers',
      )?.msgs;
}

const decisions = (events: LooseEvent[], supervisor: string) =>
  events.filter((e) => e.type === 'supervisor.decision' && e.supervisor === supervisor);

afterEach(async () => {
  await stopAllWorkers();
  for (const f of cleanups.splice(0)) await f().catch(() => undefined);
});

describe('missions over NATS with maestro worker processes', () => {
  it('runs a prompt-stage mission on two workers with the same result as embedded, and logs both joining', async () => {
    const file = fixture('nats-hello.yaml');
    const config = await loadConfigFile(file, missionSchema);
    const embedded = await runMission(config, {
      stateDir: tempDir(),
      logger: silent,
      missionId: uniqueId('embedded'),
    });
    expect(embedded.output.status).toBe('succeeded');

    const server = await natsServer();
    await workers(server, file, ['poet', 'editing', 'critiquing'], ['hello-a', 'hello-b']);
    const { output, events } = await runOverNats(config, server);
    expect(output.status).toBe('succeeded');
    expect(output.result).toBe(embedded.output.result);
    expect(
      events
        .filter((e) => e.type === 'worker.joined')
        .map((e) => e.worker)
        .sort(),
    ).toEqual(['hello-a', 'hello-b']);
    expect(events.filter((e) => e.type === 'agent.call').map((e) => [e.agent, e.ok])).toEqual(
      expect.arrayContaining([
        ['drafter', true],
        ['editor', true],
        ['critic', true],
      ]),
    );
  });

  it('balances MAKER samples over the queue group: both workers serve, and together they serve every sample', async () => {
    const server = await natsServer();
    await workers(server, fixture('nats-hanoi.yaml'), ['sim'], ['bal-a', 'bal-b']);
    const check = solutionChecker(6);
    const { output } = await runOverNats(await hanoiMission(6), server, { onEvent: check.onEvent });
    expect(output.status).toBe('succeeded');
    expect(check.summary).toEqual({ steps: 63, wrong: 0, twice: 0, all: true });
    const served = await servedSamples(server, 'sim');
    expect(served('bal-a')).toBeGreaterThan(0);
    expect(served('bal-b')).toBeGreaterThan(0);
    expect(served('bal-a')! + served('bal-b')!).toBe(output.usage.samples);
  });

  it('finishes a durable call on another worker when its worker is SIGKILLed mid-call: one result, one agent call', async () => {
    // Exactly once here means: one result is recorded and delivered per idempotency key (the
    // agent call's key), and the agent is never restarted for it. Execution is at least once:
    // the killed worker's run had begun (and its orphaned CLI process may even finish).
    const calls = join(tempDir(), 'calls.log');
    const file = fixture('nats-durable.yaml');
    // The mission names the provider with the same file argument as its workers run.
    const env = { MAESTRO_TEST_CALLS_FILE: calls };
    const config = await loadConfigFile(file, missionSchema, { env });
    const server = await natsServer();
    const opts = { ackWaitMs: 1500, heartbeatMs: 200, env };
    const [a] = await workers(server, file, ['slowcli'], ['durable-a'], opts);
    const seen: LooseEvent[] = [];
    const running = runOverNats(config, server, { onEvent: (e) => void seen.push(e) });
    const begun = () =>
      existsSync(calls)
        ? readFileSync(calls, 'utf8')
            .split('\n')
            .filter((l) => l.startsWith('begin'))
        : [];
    await eventually(() => begun().length === 1, 10_000, 'the call to begin on worker A');
    const killedAt = Date.now();
    await a!.kill('SIGKILL');
    // The mission says at once which call comes back, when and as which attempt; B starts after
    // that, so the redelivery can only go to B.
    await eventually(
      () => seen.some((e) => e.type === 'call.redelivery'),
      10_000,
      'the call.redelivery event',
    );
    await workers(server, file, ['slowcli'], ['durable-b'], opts);
    const { output, events, missionId } = await running;

    expect(output.status).toBe('succeeded');
    expect(output.result).toBe('checked once');
    expect(begun()).toHaveLength(2);
    const agentCalls = events.filter((e) => e.type === 'agent.call');
    expect(agentCalls.map((e) => [e.agent, e.attempt, e.ok])).toEqual([['checker', 0, true]]);
    expect(
      decisions(events, `mission/${missionId}/stage/check`).filter((e) => e.action === 'restart'),
    ).toEqual([]);
    const caller = `mission/${missionId}/stage/check/agent/checker#0`;
    expect(events.find((e) => e.type === 'worker.lost')).toMatchObject({
      worker: 'durable-a',
      capabilities: ['slowcli'],
      reason: 'missed_heartbeats',
      calls: 1,
    });
    const redelivery = events.find((e) => e.type === 'call.redelivery')!;
    expect(redelivery).toMatchObject({
      provider: 'slowcli',
      caller,
      worker: 'durable-a',
      attempt: 2,
      maxDeliveries: 5,
      ackWaitMs: 1500,
      deadLetter: false,
    });
    // Due by the last heartbeat + one beat + the ack wait: about 1.5 s to 1.7 s after the kill. (nats-server 2.9 may hand
    // the job on sooner, numbered 1 again, when the holder's connection dies: the attempt is counted by the mission.)
    const due = Date.parse(redelivery.redeliverBy as string) - killedAt;
    expect(due).toBeGreaterThan(1000);
    expect(due).toBeLessThan(2200);
    expect(events.filter((e) => e.type === 'call.redelivered')).toMatchObject([
      {
        provider: 'slowcli',
        caller,
        worker: 'durable-b',
        attempt: 2,
        maxDeliveries: 5,
        from: 'durable-a',
      },
    ]);
    // One result recorded for the one key.
    const kv = await new Kvm(await rawClient(server)).open(RESULTS_BUCKET);
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    expect(keys).toHaveLength(1);
    expect((await kv.get(keys[0]!))?.json()).toMatchObject({
      ok: true,
      result: { ok: true, result: { text: 'checked once' } },
    });
  });

  it('survives a nats-server restart in the middle of a 10-disk MAKER mission: no wrong step, every step decided once', async () => {
    const server = await natsServer();
    await workers(server, fixture('nats-hanoi.yaml'), ['sim'], ['restart-a', 'restart-b']);
    const check = solutionChecker(10);
    let restarted: Promise<void> | undefined;
    const { output } = await runOverNats(await hanoiMission(10), server, {
      onEvent: (e) => {
        check.onEvent(e);
        if (!restarted && e.type === 'maker.vote' && (e.step as number) >= 300)
          restarted = server.restart();
      },
    });
    await restarted;
    expect(restarted).toBeDefined();
    expect(output.status).toBe('succeeded');
    expect(check.summary).toEqual({ steps: 1023, wrong: 0, twice: 0, all: true });
    expect(JSON.parse(output.result!)).toMatchObject({ steps: 1023 });
    // The restarted server counts from zero: both workers reconnected and served samples after it.
    const served = await servedSamples(server, 'sim');
    expect(served('restart-a')).toBeGreaterThan(0);
    expect(served('restart-b')).toBeGreaterThan(0);
  }, 40_000);

  it('keeps serving after garbage on its agent-call subject and its work queue, and the next mission succeeds', async () => {
    const file = fixture('nats-hello.yaml');
    const server = await natsServer();
    const [w] = await workers(server, file, ['poet', 'editing', 'critiquing'], ['garbage-a']);
    const nc = await rawClient(server);
    nc.publish('maestro.agent.call.poet', 'not json {');
    // Not JSON: answered at once with a protocol error (issue 12: it used to be dropped unanswered,
    // leaving the requester to wait out its timeout).
    const notJson = await nc.request('maestro.agent.call.poet', '\u0000\u0001', { timeout: 2000 });
    expect(notJson.json()).toMatchObject({
      v: 1,
      ok: false,
      error: { name: 'ProtocolError', message: 'malformed agent call: not JSON', retryable: false },
    });
    // JSON that is not an agent call: answered with a protocol error.
    const reply = await nc.request(
      'maestro.agent.call.poet',
      JSON.stringify({ v: 1, id: 'x', hello: 'world' }),
      { timeout: 2000 },
    );
    expect(reply.json()).toMatchObject({
      v: 1,
      ok: false,
      error: { name: 'ProtocolError', message: expect.stringContaining('malformed agent call') },
    });
    // And on the durable path: a job that is not a job is terminated.
    await jetstream(nc).publish('maestro.work.poet', 'garbage');
    await eventually(
      () => w!.stderr().includes('malformed job terminated'),
      5000,
      'the worker to terminate the garbage job',
    );

    const { output } = await runOverNats(await loadConfigFile(file, missionSchema), server);
    expect(output.status).toBe('succeeded');
    expect(output.result).toContain('Children fall and rise');
    const log = w!.stderr();
    expect(log).toContain('dropped nats messages that are not JSON');
    expect(log).toContain('malformed agent calls answered with an error');
    await expect(
      Promise.race([w!.exited.then(() => 'exited'), sleep(50).then(() => 'running')]),
    ).resolves.toBe('running');
  });

  it('times out a call a worker never answers; the stage restarts its agent, then gives up at its intensity', async () => {
    const file = fixture('nats-stuck.yaml');
    const server = await natsServer();
    await workers(server, file, ['stuck'], ['stuck-a']);
    const { output, events, missionId } = await runOverNats(
      await loadConfigFile(file, missionSchema),
      server,
    );
    expect(output.status).toBe('failed');
    const timeout = "request timed out after 500 ms: 'maestro.work.stuck'";
    const stage = decisions(events, `mission/${missionId}/stage/wait`);
    expect(stage.filter((e) => e.action === 'restart').map((e) => e.reason)).toEqual([
      timeout,
      timeout,
    ]);
    expect(stage.at(-1)).toMatchObject({
      errorContext: 'shutdown',
      reason: 'reached_max_restart_intensity',
      action: 'shutdown',
    });
    expect(
      events.filter((e) => e.type === 'agent.call').map((e) => [e.attempt, e.ok, e.error]),
    ).toEqual([
      [0, false, timeout],
      [1, false, timeout],
      [2, false, timeout],
    ]);
    expect(output.error?.reason).toBe('reached_max_restart_intensity');
  });

  it("fails the mission at once on an error its provider names non-retryable, over the durable path too: one delivery, the provider's error, no restart", async () => {
    const file = fixture('nats-nonretryable.yaml');
    const server = await natsServer();
    // Each delivery of a durable call is announced on its result subject as it starts.
    const nc = await rawClient(server);
    const deliveries: number[] = [];
    const sub = nc.subscribe('maestro.result.>', {
      callback: (_err, msg) => {
        const notice = msg.json<{ started?: { delivery: number } }>();
        if (notice.started) deliveries.push(notice.started.delivery);
      },
    });
    cleanups.unshift(async () => sub.unsubscribe());
    await workers(server, file, ['down'], ['down-a']);
    const { output, events, missionId } = await runOverNats(
      await loadConfigFile(file, missionSchema),
      server,
    );
    expect(output.status).toBe('failed');
    expect(output.error).toEqual({
      reason: 'non_retryable',
      message: "provider 'down': http 500: down (non-retryable: http_500)",
    });
    expect(events.filter((e) => e.type === 'agent.call').map((e) => [e.attempt, e.ok])).toEqual([
      [0, false],
    ]);
    expect(
      events.filter((e) => e.type === 'supervisor.decision' && e.action === 'restart'),
    ).toEqual([]);
    expect(decisions(events, `mission/${missionId}/stage/ask`).map((e) => e.action)).not.toContain(
      'restart',
    );
    // Past the first redelivery's backoff (1 s): the call was run once, and its result is final.
    await sleep(1500);
    expect(deliveries).toEqual([1]);
    const kv = await new Kvm(nc).open(RESULTS_BUCKET);
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    expect(keys).toHaveLength(1);
    expect((await kv.get(keys[0]!))?.json()).toMatchObject({
      ok: true,
      result: { ok: false, error: { name: 'ProviderHttpError', status: 500, nonRetryable: true } },
    });
  });

  it('refuses to start a mission whose provider a worker runs with another definition, naming provider, worker and fields; the log says so', async () => {
    const file = fixture('nats-hello.yaml');
    const config = await loadConfigFile(file, missionSchema);
    // The worker's file names the same providers, but `poet` with another model and a latency.
    const other = join(tempDir(), 'worker.yaml');
    writeFileSync(
      other,
      readFileSync(file, 'utf8').replace(
        '  poet:\n    kind: scripted\n',
        '  poet:\n    kind: scripted\n    model: haiku-2\n',
      ),
    );
    const server = await natsServer();
    await workers(server, other, ['poet', 'editing', 'critiquing'], ['mismatch-a']);
    const missionId = uniqueId('mismatch');
    const stateDir = tempDir();
    const run = runOverNats(config, server, { missionId, stateDir });
    const message =
      "provider 'poet': worker mismatch-a runs a different definition (model 'haiku-2' (worker) ≠ 'scripted' (mission)); start workers with the mission's own providers: maestro worker --config MISSION_FILE";
    await expect(run).rejects.toThrow(ProviderMismatchError);
    await expect(run).rejects.toThrow(message);
    // The mission has its log: submitted, why it did not start, and its end (run tries nothing again); nothing ran.
    const events = EventLog.read(EventLog.pathFor(stateDir, missionId));
    expect(events.map((e) => e.type)).toEqual([
      'mission.submitted',
      'mission.start_failed',
      'mission.finished',
    ]);
    expect(events[1]).toMatchObject({ error: 'ProviderMismatchError', message });
    expect(events[2]).toMatchObject({
      status: 'failed',
      error: { reason: 'start_failed', message },
    });

    // A call that names another definition, sent anyway, is refused by the worker and not run.
    const nc = await rawClient(server);
    const reply = await nc.request(
      'maestro.agent.call.poet',
      JSON.stringify({
        v: 1,
        id: 'x',
        provider: 'poet',
        definition: 'f'.repeat(64),
        request: { prompt: 'hi' },
      }),
      { timeout: 2000 },
    );
    expect(reply.json()).toMatchObject({
      v: 1,
      ok: false,
      error: {
        name: 'ProviderDefinitionError',
        provider: 'poet',
        message: expect.stringMatching(
          /^provider 'poet': worker mismatch-a runs a different definition \(sha256 [0-9a-f]{12}… here, f{12}… in the mission\); call refused$/,
        ),
      },
    });
  });

  it('names a worker that joins mid-mission with another definition of a provider it uses (worker.mismatch), and still succeeds', async () => {
    const file = fixture('nats-lost.yaml');
    const other = join(tempDir(), 'worker.yaml');
    writeFileSync(other, readFileSync(file, 'utf8').replace('delayMs: 4000', 'delayMs: 10'));
    const server = await natsServer();
    await startWorker({
      natsUrl: server.url,
      config: file,
      capabilities: ['slow'],
      id: 'join-right',
    });
    let late: Promise<unknown> | undefined;
    const { output, events } = await runOverNats(
      await loadConfigFile(file, missionSchema),
      server,
      {
        onEvent: (e) => {
          if (e.type === 'mission.started')
            late ??= startWorker({
              natsUrl: server.url,
              config: other,
              capabilities: ['slow'],
              id: 'join-other',
            });
        },
      },
    );
    await late;
    expect(output.status).toBe('succeeded');
    expect(output.result).toBe('done after a while');
    const mismatch = events.filter((e) => e.type === 'worker.mismatch');
    expect(mismatch).toHaveLength(1);
    expect(mismatch[0]).toMatchObject({
      worker: 'join-other',
      provider: 'slow',
      differences: [
        'responses [{"delayMs":10,"text":"done after a while"}] (worker) ≠ [{"delayMs":4000,"text":"done after a while"}] (mission)',
      ],
    });
    expect(mismatch[0]!.message).toBe(
      'provider \'slow\': worker join-other runs a different definition (responses [{"delayMs":10,"text":"done after a while"}] (worker) ≠ [{"delayMs":4000,"text":"done after a while"}] (mission))',
    );
  });

  it('reports a SIGKILLed worker lost: a decision of workers/<mission> naming it and its missed heartbeats', async () => {
    const file = fixture('nats-lost.yaml');
    const server = await natsServer();
    const [idle] = await Promise.all([
      startWorker({
        natsUrl: server.url,
        config: file,
        capabilities: ['idle'],
        id: 'lost-idle',
        heartbeatMs: 200,
      }),
      startWorker({
        natsUrl: server.url,
        config: file,
        capabilities: ['slow'],
        id: 'lost-keep',
        heartbeatMs: 200,
      }),
    ]);
    const missionId = uniqueId('lost');
    const { output, events } = await runOverNats(
      await loadConfigFile(file, missionSchema),
      server,
      {
        missionId,
        onEvent: (e) => {
          if (e.type === 'mission.started') void idle.kill('SIGKILL');
        },
      },
    );
    expect(output.status).toBe('succeeded');
    expect(
      events
        .filter((e) => e.type === 'worker.joined')
        .map((e) => e.worker)
        .sort(),
    ).toEqual(['lost-idle', 'lost-keep']);
    const lost = decisions(events, `workers/${missionId}`).filter((e) =>
      String(e.reason).includes('lost-idle'),
    );
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({
      reason: "remote worker 'lost-idle' lost: missed_heartbeats",
      errorContext: 'child_terminated',
    });
    expect(
      decisions(events, `workers/${missionId}`).filter((e) =>
        String(e.reason).includes('lost-keep'),
      ),
    ).toEqual([]);
  });

  it('decides every step once and none wrong while workers are SIGKILLed and the server restarts (chaos, short)', async () => {
    const r = await runChaos({
      steps: 300,
      killEveryMs: 700,
      workers: 2,
      timeoutMs: 500,
      latencyMs: 3,
    });
    expect({
      wrong: r.wrong,
      lost: r.lost,
      twice: r.twice,
      serverRestarts: r.serverRestarts,
    }).toEqual({ wrong: 0, lost: 0, twice: 0, serverRestarts: 1 });
    expect(r.decided).toBe(300);
    expect(r.workersKilled).toBeGreaterThan(0);
  }, 60_000);
});
