import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RequestTimeoutError } from '../../transport/errors.js';
import {
  consumerName,
  DLQ_STREAM,
  ensureWorkStreams,
  KEY_TOKEN_HEADER,
  keyToken,
  RESULTS_BUCKET,
  resultKey,
  resultSubject,
  startDeadLetterMover,
  WORK_STREAM,
  WorkClient,
  WorkFailedError,
  type WorkHandler,
  type WorkerStartOptions,
  workSubject,
  WorkWorker,
} from '../../transport/natsWorkQueue.js';
import type { Json } from '../../transport/transport.js';
import { type NatsServerHandle, startNatsServer } from '../helpers/natsServer.js';
import { eventually } from '../helpers/eventually.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A handler that ends only when its worker is stopped. */
const hang: WorkHandler = (_p, { signal }) =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
const FAST: WorkerStartOptions = { ackWaitMs: 1000, pullExpiresMs: 1000, backoffMs: [50] };

describe('durable work queue (JetStream)', () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let client: WorkClient;
  const cleanup: (() => Promise<unknown>)[] = [];
  let n = 0;
  const cap = (name: string) => `${name}${++n}`;

  async function worker(
    capability: string,
    handler: WorkHandler,
    options: WorkerStartOptions = {},
    workerId?: string,
  ): Promise<WorkWorker> {
    const conn = await connect({ servers: server.url });
    const w = new WorkWorker(conn, { workerId });
    cleanup.push(async () => {
      await w.stop();
      await conn.close();
    });
    await w.start(capability, handler, { ...FAST, ...options });
    return w;
  }

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    await ensureWorkStreams(nc, { duplicateWindowMs: 60_000, resultTtlMs: 600_000 });
    await ensureWorkStreams(nc, { duplicateWindowMs: 60_000, resultTtlMs: 600_000 }); // idempotent
    jsm = await jetstreamManager(nc);
    client = new WorkClient(nc);
  });
  afterEach(async () => {
    await Promise.all(cleanup.splice(0).map((f) => f()));
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('runs a submitted job once and returns its result; the job leaves the work queue', async () => {
    const c = cap('echo');
    const runs: Json[] = [];
    await worker(c, async (payload) => (runs.push(payload), { echoed: payload }));
    await expect(
      client.submit(c, { key: 'job-1', payload: { prompt: 'hi' } }, { timeoutMs: 5000 }),
    ).resolves.toEqual({
      echoed: { prompt: 'hi' },
    });
    expect(runs).toEqual([{ prompt: 'hi' }]);
    await eventually(async () =>
      expect(
        await jsm.streams.getMessage(WORK_STREAM, { last_by_subj: workSubject(c) }),
      ).toBeNull(),
    );
  });

  it('two workers share a capability’s jobs', async () => {
    const c = cap('shared');
    const slow: WorkHandler = async (p) => (await sleep(150), p);
    const a = await worker(c, slow);
    const b = await worker(c, slow);
    const results = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((i) =>
        client.submit(c, { key: `k${i}`, payload: i }, { timeoutMs: 5000 }),
      ),
    );
    expect(results).toEqual([1, 2, 3, 4, 5, 6]);
    expect(a.stats.completed + b.stats.completed).toBe(6);
    expect(a.stats.completed).toBeGreaterThan(0);
    expect(b.stats.completed).toBeGreaterThan(0);
  });

  it('runs a key once: concurrent and later submits of the same key all get the one result', async () => {
    const c = cap('once');
    let runs = 0;
    const w = await worker(c, async () => (await sleep(200), { run: ++runs }));
    const [r1, r2] = await Promise.all([
      client.submit(c, { key: 'same', payload: 'a' }, { timeoutMs: 5000 }),
      client.submit(c, { key: 'same', payload: 'a' }, { timeoutMs: 5000 }),
    ]);
    expect([r1, r2]).toEqual([{ run: 1 }, { run: 1 }]);
    // Long after: answered from the record, the handler is not run again.
    await expect(
      client.submit(c, { key: 'same', payload: 'a' }, { timeoutMs: 5000 }),
    ).resolves.toEqual({ run: 1 });
    expect(runs).toBe(1);
    expect(w.stats.completed).toBe(1);
  });

  it('a redelivered job whose result is recorded is answered from the record, not run again', async () => {
    // As after a worker that recorded the result and died before its ack.
    const c = cap('replay');
    const token = keyToken(c, 'k');
    const kv = await new Kvm(nc).open(RESULTS_BUCKET);
    await kv.create(
      resultKey(c, token),
      JSON.stringify({ v: 1, key: 'k', ok: true, result: 'recorded' }),
    );
    const answers: unknown[] = [];
    const sub = nc.subscribe(resultSubject(c, token), {
      callback: (_e, m) => void answers.push(m.json()),
    });
    cleanup.push(async () => sub.unsubscribe());
    let runs = 0;
    const w = await worker(c, async () => (runs++, 'ran again'));
    await jetstream(nc).publish(
      workSubject(c),
      JSON.stringify({ v: 1, key: 'k', capability: c, payload: 1 }),
    );
    await eventually(() =>
      expect(answers).toEqual([{ v: 1, key: 'k', ok: true, result: 'recorded' }]),
    );
    expect(runs).toBe(0);
    expect(w.stats.replayed).toBe(1);
    await eventually(async () =>
      expect(
        await jsm.streams.getMessage(WORK_STREAM, { last_by_subj: workSubject(c) }),
      ).toBeNull(),
    );
  });

  it('a worker that dies mid-job: the job is redelivered after the ack wait and completes once', async () => {
    const c = cap('dies');
    const log: string[] = [];
    // Ignores the abort, as a process that died would never answer.
    const a = await worker(c, () => (log.push('A started'), new Promise<Json>(() => {})));
    const pending = client.submit(c, { key: 'k', payload: 1 }, { timeoutMs: 8000 });
    await eventually(() => expect(log).toEqual(['A started']));
    await a.stop();
    const started = Date.now();
    const b = await worker(
      c,
      async (_p, { deliveryCount }) => (log.push(`B done (delivery ${deliveryCount})`), 'from B'),
    );
    await expect(pending).resolves.toBe('from B');
    expect(Date.now() - started).toBeGreaterThanOrEqual(500); // the redelivery waited for the ack wait
    expect(log).toEqual(['A started', 'B done (delivery 2)']);
    expect(b.stats.completed).toBe(1);
    expect(a.stats.completed).toBe(0);
  });

  it('a worker with an id tells the submitter each delivery it starts: who, which delivery, its ack wait and max deliveries', async () => {
    const c = cap('told');
    const a = await worker(c, () => new Promise<Json>(() => {}), {}, 'wa');
    const notices: unknown[] = [];
    const malformedBefore = client.malformedResults;
    const pending = client.submit(
      c,
      { key: 'k', payload: 1 },
      { timeoutMs: 8000, onStarted: (s) => void notices.push(s) },
    );
    await eventually(() =>
      expect(notices).toEqual([{ worker: 'wa', delivery: 1, ackWaitMs: 1000, maxDeliver: 5 }]),
    );
    await a.stop();
    await worker(c, async () => 'from B', {}, 'wb');
    await expect(pending).resolves.toBe('from B');
    expect(notices).toEqual([
      { worker: 'wa', delivery: 1, ackWaitMs: 1000, maxDeliver: 5 },
      { worker: 'wb', delivery: 2, ackWaitMs: 1000, maxDeliver: 5 },
    ]);
    // A notice is not a result: nothing was dropped as malformed.
    expect(client.malformedResults).toBe(malformedBefore);
  });

  it('heartbeats keep a job that takes 3 × ackWait from being redelivered', async () => {
    const c = cap('slow');
    const deliveries: number[] = [];
    const handler: WorkHandler = async (_p, { deliveryCount }) => (
      deliveries.push(deliveryCount), await sleep(3000), 'slow done'
    );
    await worker(c, handler, { ackWaitMs: 1000 });
    await worker(c, handler, { ackWaitMs: 1000 }); // would take a redelivery if there were one
    await expect(client.submit(c, { key: 'k', payload: null }, { timeoutMs: 8000 })).resolves.toBe(
      'slow done',
    );
    expect(deliveries).toEqual([1]);
  });

  it('a retryable failure is retried on redelivery after the backoff, then succeeds', async () => {
    const c = cap('retry');
    const deliveries: number[] = [];
    const w = await worker(
      c,
      async (_p, { deliveryCount }) => {
        deliveries.push(deliveryCount);
        if (deliveryCount === 1)
          throw Object.assign(new Error('rate limited'), { retryable: true });
        return 'second time';
      },
      { backoffMs: [200] },
    );
    const started = Date.now();
    await expect(client.submit(c, { key: 'k', payload: 1 }, { timeoutMs: 5000 })).resolves.toBe(
      'second time',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(deliveries).toEqual([1, 2]);
    expect(w.stats).toMatchObject({ retried: 1, completed: 1, failed: 0 });
  });

  it('a non-retryable failure is an error result at once, and stays the key’s result', async () => {
    const c = cap('fatal');
    let runs = 0;
    await worker(c, async () => {
      runs++;
      throw Object.assign(new Error('bad request'), {
        name: 'ProviderError',
        kind: 'bad_request',
        retryable: false,
      });
    });
    const err = await client
      .submit(c, { key: 'k', payload: 1 }, { timeoutMs: 5000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkFailedError);
    expect((err as WorkFailedError).message).toBe(`work failed: bad request: 'maestro.work.${c}'`);
    expect((err as WorkFailedError).remote).toMatchObject({
      name: 'ProviderError',
      kind: 'bad_request',
      retryable: false,
      deliveries: 1,
    });
    expect((err as WorkFailedError).deadLettered).toBe(false);
    await expect(client.submit(c, { key: 'k', payload: 1 }, { timeoutMs: 5000 })).rejects.toThrow(
      'work failed: bad request',
    );
    expect(runs).toBe(1);
  });

  it('a retryable failure on the last delivery is an error result', async () => {
    const c = cap('exhaust');
    const deliveries: number[] = [];
    await worker(
      c,
      async (_p, { deliveryCount }) => {
        deliveries.push(deliveryCount);
        throw new Error('flaky');
      },
      { maxDeliver: 3, backoffMs: [10] },
    );
    const err = (await client
      .submit(c, { key: 'k', payload: 1 }, { timeoutMs: 5000 })
      .catch((e: unknown) => e)) as WorkFailedError;
    expect(err.remote).toMatchObject({ message: 'flaky', retryable: true, deliveries: 3 });
    expect(deliveries).toEqual([1, 2, 3]);
  });

  it('a failure that ends the job is recorded as the handler’s own wire form when it gives one (a provider’s serialized error)', async () => {
    const c = cap('wire');
    const provider = {
      name: 'ProviderHttpError',
      kind: 'server',
      message: "provider 'p': http 500: down",
      retryable: true,
      provider: 'p',
      status: 500,
    };
    await worker(
      c,
      async () => {
        throw Object.assign(new Error(provider.message), { retryable: true, wire: provider });
      },
      { maxDeliver: 2, backoffMs: [10] },
    );
    const err = (await client
      .submit(c, { key: 'k', payload: 1 }, { timeoutMs: 5000 })
      .catch((e: unknown) => e)) as WorkFailedError;
    expect(err).toBeInstanceOf(WorkFailedError);
    expect(err.remote).toEqual({ ...provider, deliveries: 2 });
  });

  it('max deliveries exhausted: the job moves to MAESTRO_DLQ and the submitter gets the dead-letter error', async () => {
    const c = cap('dead');
    const mover = await startDeadLetterMover(nc);
    cleanup.push(() => mover.stop());
    const opts = { maxDeliver: 2 };
    const pending = client
      .submit(c, { key: 'poison', payload: { prompt: 'secret' } }, { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    const started: string[] = [];
    // Two workers die holding it, each after taking one delivery.
    for (const name of ['A', 'B']) {
      const w = await worker(
        c,
        (p, ctx) => (started.push(`${name}${ctx.deliveryCount}`), hang(p, ctx)),
        opts,
      );
      await eventually(() => expect(started).toHaveLength(name === 'A' ? 1 : 2));
      await w.stop();
    }
    let healthyRuns = 0;
    await worker(c, async () => (healthyRuns++, 'too late'), opts);
    const err = (await pending) as WorkFailedError;
    expect(err).toBeInstanceOf(WorkFailedError);
    expect(err.message).toBe(`work failed: dead-lettered after 2 deliveries: 'maestro.work.${c}'`);
    expect(err.deadLettered).toBe(true);
    expect(started).toEqual(['A1', 'B2']);
    expect(healthyRuns).toBe(0);
    await eventually(() => expect(mover.moved).toBe(1));
    const dead = await jsm.streams.getMessage(DLQ_STREAM, { last_by_subj: `maestro.dlq.${c}` });
    expect(dead?.json()).toEqual({
      v: 1,
      key: 'poison',
      capability: c,
      payload: { prompt: 'secret' },
    });
    expect(dead?.header.get(KEY_TOKEN_HEADER)).toBe(keyToken(c, 'poison'));
    expect(dead?.header.get('Maestro-Dead-Letter-Deliveries')).toBe('2');
    expect(await jsm.streams.getMessage(WORK_STREAM, { last_by_subj: workSubject(c) })).toBeNull();
    // The key's answer is final: a resubmit fails the same way at once.
    await expect(
      client.submit(c, { key: 'poison', payload: null }, { timeoutMs: 1000 }),
    ).rejects.toThrow('dead-lettered after 2 deliveries');
  });

  it('a malformed job is terminated and counted; the worker keeps working', async () => {
    const c = cap('malformed');
    const w = await worker(c, async (p) => p);
    const js = jetstream(nc);
    await js.publish(workSubject(c), 'not json');
    await js.publish(workSubject(c), JSON.stringify({ v: 1, key: 'k', capability: c })); // no payload
    await js.publish(workSubject(c), JSON.stringify({ v: 2, key: 'k', capability: c, payload: 1 }));
    await eventually(() => expect(w.stats.malformed).toBe(3));
    await expect(
      client.submit(c, { key: 'fine', payload: 'ok' }, { timeoutMs: 5000 }),
    ).resolves.toBe('ok');
    await eventually(async () =>
      expect(
        await jsm.streams.getMessage(WORK_STREAM, { last_by_subj: workSubject(c) }),
      ).toBeNull(),
    );
  });

  it('drain: jobs in flight finish and are acked, no new ones are taken', async () => {
    const c = cap('drain');
    const started: Json[] = [];
    const w = await worker(c, async (p) => (started.push(p), await sleep(400), p), {
      concurrency: 2,
    });
    const first = [1, 2].map((i) =>
      client.submit(c, { key: `k${i}`, payload: i }, { timeoutMs: 5000 }),
    );
    await eventually(() => expect(started).toHaveLength(2));
    const drained = w.drain();
    const late = client.submit(c, { key: 'late', payload: 3 }, { timeoutMs: 5000 });
    await drained;
    await expect(Promise.all(first)).resolves.toEqual([1, 2]);
    expect(w.stats).toMatchObject({ completed: 2, inFlight: 0 });
    const info = await jsm.consumers.info(WORK_STREAM, consumerName(c));
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(1);
    expect(started).toEqual([1, 2]);
    await worker(c, async (p) => p);
    await expect(late).resolves.toBe(3);
  });

  it('a submit times out with RequestTimeoutError when no worker answers', async () => {
    const c = cap('nobody');
    const err = await client
      .submit(c, { key: 'k', payload: 1 }, { timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect((err as Error).message).toBe(`request timed out after 300 ms: 'maestro.work.${c}'`);
  });

  describe('worker processes', () => {
    const procs: ChildProcess[] = [];
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'maestro-work-'));
    });
    afterAll(() => {
      for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    function startWorkerProcess(
      capability: string,
      logFile: string,
      holdMs: number,
    ): Promise<ChildProcess> {
      const proc = spawn(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, '../fixtures/nats-work-worker.ts')],
        {
          env: {
            ...process.env,
            NATS_URL: server.url,
            CAPABILITY: capability,
            LOG_FILE: logFile,
            HOLD_MS: String(holdMs),
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      procs.push(proc);
      return new Promise((resolve, reject) => {
        proc.once('exit', (code) =>
          reject(new Error(`worker process exited (${code}) before it was ready`)),
        );
        proc.stdout!.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('ready')) resolve(proc);
        });
      });
    }

    const lines = (file: string) =>
      existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];

    it('a worker process SIGKILLed mid-call: the call is redelivered to another process and completes once', async () => {
      const c = cap('proc');
      const logFile = join(dir, `${c}.log`);
      const first = await startWorkerProcess(c, logFile, 60_000);
      const pending = client.submit(
        c,
        { key: 'call-1', payload: { prompt: 'p' } },
        { timeoutMs: 10_000 },
      );
      await eventually(() => expect(lines(logFile)).toEqual([`start ${first.pid} 1`]));
      const exited = new Promise((r) => first.once('exit', r));
      first.kill('SIGKILL');
      await exited;
      const second = await startWorkerProcess(c, logFile, 0);
      await expect(pending).resolves.toEqual({ pid: second.pid, echo: { prompt: 'p' } });
      expect(lines(logFile)).toEqual([
        `start ${first.pid} 1`,
        `start ${second.pid} 2`,
        `done ${second.pid}`,
      ]);
      const exit = new Promise((r) => second.once('exit', r));
      second.kill('SIGTERM');
      await expect(exit).resolves.toBe(0);
    });
  });
});
