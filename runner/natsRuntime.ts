/**
 * What a mission under NATS gets instead of the in-memory transport: the NATS transport, the
 * durable work queue for prompt-stage agent calls, the dead-letter mover, and the worker
 * registry. Remote workers become temporary children of a `workers/<mission>` supervisor
 * (simple_one_for_one): one that misses its heartbeats fails its child, and the supervisor's
 * decision is logged and goes to the mission's event log.
 *
 * A mission runs only on workers that run exactly the providers it names: it does not start while
 * a worker of one of its providers advertises another definition (workerMatch.ts), and each of its
 * agent calls carries the definition's hash, which the worker checks. When a worker is lost, the
 * mission's log says which of its durable calls that worker held and when each comes back
 * (durableCalls.ts), rather than an ack wait of silence.
 *
 * One `NatsConnection` (`connectNatsHub`) serves any number of missions: `maestro run --nats`
 * opens one for its mission; the daemon opens one and attaches every mission to it, so a hundred
 * missions are one connection, one reaper and one dead-letter mover. Loaded only when NATS is used.
 */
import type { AnyActorRef } from 'xstate';
import type { Logger } from 'pino';
import type { DurableDispatch } from '../actors/agentCall.js';
import type { MissionObserver } from './missionObserver.js';
import { remoteWorkerLogic } from '../actors/remoteWorker.js';
import { SystemError } from '../kernel/errors.js';
import type { ProviderIdentity } from '../config/providerIdentity.js';
import { createSupervisor, type SupervisionRuntime } from '../supervisors/index.js';
import { WorkerReaper } from '../transport/natsReaper.js';
import type { WorkerRecord } from '../transport/natsRegistry.js';
import type { NatsOptions } from '../transport/natsOptions.js';
import { NatsTransport } from '../transport/natsTransport.js';
import { ensureWorkStreams, startDeadLetterMover, WorkClient } from '../transport/natsWorkQueue.js';
import { AGENT_CALL_SUBJECT_PREFIX } from '../transport/protocol.js';
import type { Json, Transport } from '../transport/transport.js';
import { DurableCalls } from './durableCalls.js';
import { describeMismatch, matchWorkers, ProviderMismatchError } from './workerMatch.js';

/** The providers a mission uses, each with the identity of the definition it names. */
export type ProviderIdentities = Readonly<Record<string, ProviderIdentity>>;

/** One mission's use of a NATS connection. */
export interface NatsRuntime {
  /** The hub's transport; agent calls on it carry the hash of the definition the mission names. */
  transport: Transport;
  durable: DurableDispatch;
  /** Starts watching workers: joins, departures and losses become supervised children. */
  superviseWorkers(
    runtime: SupervisionRuntime,
    name: string,
    observer?: Pick<MissionObserver, 'inspect' | 'setRootPath' | 'addRoot'>,
  ): void;
  /** Stops this mission's watching; closes the connection only when the runtime owns it. */
  close(): Promise<void>;
}

/** A NATS connection shared by missions. */
export interface NatsHub {
  transport: NatsTransport;
  /**
   * Waits for a worker for every provider (or fails with NoWorkersError), refusing workers that
   * run another definition of one (ProviderMismatchError), then gives the mission its runtime.
   * `signal` aborted (the mission stopped) ends the wait at once with WaitStoppedError.
   */
  attach(
    providers: ProviderIdentities,
    waitWorkersMs: number,
    signal?: AbortSignal,
  ): Promise<NatsRuntime>;
  close(): Promise<void>;
}

/** No worker serves a provider the mission needs: the mission cannot start. */
export class NoWorkersError extends SystemError {
  override name = 'NoWorkersError';
}

/** The mission was stopped before its workers were there: it did not start. */
export class WaitStoppedError extends SystemError {
  override name = 'WaitStoppedError';
  constructor(readonly reason: string) {
    super(`stopped while waiting for workers: ${reason}`);
  }
}

interface WorkerListener {
  joined(r: WorkerRecord): void;
  lost(r: WorkerRecord, reason: string): void;
  left(r: WorkerRecord): void;
}

export async function connectNatsHub(options: NatsOptions, logger: Logger): Promise<NatsHub> {
  const transport = await NatsTransport.connect(options, { logger, strictPayloads: false });
  const nc = transport.connection;
  try {
    await ensureWorkStreams(nc);
  } catch (err) {
    await transport.close();
    throw err;
  }
  const client = new WorkClient(nc, { logger });
  const mover = await startDeadLetterMover(nc, { logger });
  // Every attached mission hears of every join, loss and departure.
  const listeners = new Set<WorkerListener>();
  const each = (f: (l: WorkerListener) => void) => {
    for (const l of listeners) {
      try {
        f(l);
      } catch (err) {
        logger.error({ err }, 'nats: a mission failed to take a worker event');
      }
    }
  };
  const reaper = await WorkerReaper.start(nc, {
    logger,
    onJoined: (r) => each((l) => l.joined(r)),
    onLost: (r, reason) => each((l) => l.lost(r, reason)),
    onLeft: (r) => each((l) => l.left(r)),
  });
  const servers = [options.servers].flat().join(', ');
  let closing: Promise<void> | undefined;
  return {
    transport,
    async attach(providers, waitWorkersMs, signal) {
      await waitForWorkers(reaper, providers, waitWorkersMs, servers, signal);
      let workers: AnyActorRef | undefined;
      let listener: WorkerListener | undefined;
      let mission: SupervisionRuntime | undefined;
      const hashes = Object.fromEntries(Object.entries(providers).map(([id, p]) => [id, p.hash]));
      const calls = new DurableCalls();
      return {
        transport: stampDefinitions(transport, hashes),
        durable: async (capability, key, payload, o) => {
          const stamped = withDefinition(payload, hashes[capability]);
          const call = calls.track(capability, stamped);
          try {
            return await client.submit(
              capability,
              { key, payload: stamped },
              {
                ...o,
                onStarted: (notice) => {
                  const again = call.started(notice);
                  if (!again || !mission) return;
                  const { type: _t, ...fields } = again;
                  mission.logger.info(fields, 'call redelivered');
                  mission.events.append(again);
                },
              },
            );
          } finally {
            call.done();
          }
        },
        superviseWorkers(runtime, name, observer) {
          mission = runtime;
          workers = superviseWorkers(runtime, name, observer);
          const children = new Map<string, AnyActorRef>();
          const sup = workers;
          const add = (r: WorkerRecord) => {
            sup.send({
              type: 'supervisor.startChild',
              input: { id: r.id, capabilities: r.capabilities, host: r.host, pid: r.pid },
            });
            const kids = sup.getSnapshot().children as Record<string, AnyActorRef>;
            const ref = Object.values(kids).at(-1);
            if (ref) children.set(r.id, ref);
            runtime.events.append({
              type: 'worker.joined',
              worker: r.id,
              capabilities: r.capabilities,
              host: r.host,
              pid: r.pid,
            });
            // Joined after the start check: its calls of another definition are refused by the worker itself.
            for (const m of matchWorkers([r], providers).mismatched) {
              runtime.logger.warn(
                { worker: m.worker, provider: m.provider, differences: m.differences },
                "worker runs another provider definition: it refuses this mission's calls",
              );
              runtime.events.append({
                type: 'worker.mismatch',
                worker: m.worker,
                provider: m.provider,
                ...(m.differences && { differences: m.differences }),
                message: describeMismatch(m),
              });
            }
          };
          for (const r of reaper.workers()) add(r);
          listener = {
            joined: add,
            lost: (r, reason) => {
              const redeliveries = calls.lost(r);
              runtime.events.append({
                type: 'worker.lost',
                worker: r.id,
                capabilities: r.capabilities,
                reason,
                heartbeatAt: new Date(r.heartbeatAt).toISOString(),
                silentForMs: Math.max(0, Math.round(runtime.clock.now() - r.heartbeatAt)),
                calls: redeliveries.length,
              });
              for (const e of redeliveries) {
                const { type: _t, ...fields } = e;
                runtime.logger.warn(
                  fields,
                  e.deadLetter
                    ? 'call held by a lost worker will be dead-lettered'
                    : 'call held by a lost worker will be redelivered',
                );
                runtime.events.append(e);
              }
              children.get(r.id)?.send({ type: 'worker.lost', reason });
              children.delete(r.id);
            },
            left: (r) => {
              children.get(r.id)?.send({ type: 'worker.left' });
              children.delete(r.id);
              runtime.events.append({ type: 'worker.left', worker: r.id });
            },
          };
          listeners.add(listener);
        },
        async close() {
          if (listener) listeners.delete(listener);
          workers?.stop();
        },
      };
    },
    close: () =>
      (closing ??= (async () => {
        listeners.clear();
        await reaper.stop();
        await mover.stop();
        await transport.close();
      })()),
  };
}

/** `maestro run --nats`: a connection of the mission's own, closed with it. */
export async function connectNats(
  options: NatsOptions,
  logger: Logger,
  providers: ProviderIdentities,
  waitWorkersMs: number,
  signal?: AbortSignal,
): Promise<NatsRuntime> {
  const hub = await connectNatsHub(options, logger);
  try {
    const runtime = await hub.attach(providers, waitWorkersMs, signal);
    return {
      ...runtime,
      async close() {
        await runtime.close();
        await hub.close();
      },
    };
  } catch (err) {
    await hub.close();
    throw err;
  }
}

function superviseWorkers(
  runtime: SupervisionRuntime,
  name: string,
  observer?: Pick<MissionObserver, 'inspect' | 'setRootPath' | 'addRoot'>,
): AnyActorRef {
  const sup = createSupervisor(
    {
      name,
      runtime,
      flags: { strategy: 'simple_one_for_one', intensity: 1_000_000 },
      children: [
        {
          id: 'worker',
          restart: 'temporary',
          shutdown: 'brutal_kill',
          start: { logic: remoteWorkerLogic },
        },
      ],
    },
    observer && !observer.addRoot ? { inspect: observer.inspect } : {},
  );
  observer?.setRootPath(sup.sessionId, name);
  observer?.addRoot?.(sup);
  sup.start();
  return sup;
}

/**
 * Until every provider has a worker and none of its workers runs another definition. A mismatch
 * fails at once: calls would go to that worker too, and waiting does not change what it runs. A
 * stop (`signal`) fails it at once too, even with every worker there: the mission must not start.
 */
async function waitForWorkers(
  reaper: WorkerReaper,
  providers: ProviderIdentities,
  waitMs: number,
  servers: string,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (signal?.aborted)
      throw new WaitStoppedError(typeof signal.reason === 'string' ? signal.reason : 'interrupted');
    const { missing, mismatched } = matchWorkers(reaper.workers(), providers);
    if (mismatched.length > 0) throw new ProviderMismatchError(mismatched);
    if (missing.length === 0) return;
    if (Date.now() >= deadline) {
      // One worker may serve them all: one command, each capability named.
      throw new NoWorkersError(
        `no worker serves ${missing.map((c) => `'${c}'`).join(', ')} on ${servers} after ${waitMs} ms; start one: maestro worker --nats URL ${missing.map((c) => `--capability ${c}`).join(' ')} --config MISSION_FILE`,
      );
    }
    await pause(100, signal);
  }
}

/** `ms`, or until `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** An agent call's payload with the hash of the definition the mission names, for the worker to check. */
function withDefinition(payload: Json, hash: string | undefined): Json {
  if (
    hash === undefined ||
    payload === null ||
    typeof payload !== 'object' ||
    Array.isArray(payload)
  )
    return payload;
  return { ...payload, definition: hash };
}

/** The transport, with request/reply agent calls stamped by `withDefinition`. */
function stampDefinitions(
  transport: Transport,
  hashes: Readonly<Record<string, string>>,
): Transport {
  return {
    request: (subject, data, o) =>
      transport.request(
        subject,
        subject.startsWith(AGENT_CALL_SUBJECT_PREFIX)
          ? withDefinition(data, hashes[subject.slice(AGENT_CALL_SUBJECT_PREFIX.length)])
          : data,
        o,
      ),
    publish: (subject, data) => transport.publish(subject, data),
    respond: (message, data) => transport.respond(message, data),
    subscribe: (subject, handler, o) => transport.subscribe(subject, handler, o),
    onStatus: (listener) => transport.onStatus(listener),
    // The hub owns the connection: a mission closes its runtime, never the hub's transport.
    close: async () => {},
  };
}
