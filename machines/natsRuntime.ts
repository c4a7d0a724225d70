/**
 * What a mission under NATS gets instead of the in-memory transport: the NATS transport, the
 * durable work queue for prompt-stage agent calls, the dead-letter mover, and the worker
 * registry. Remote workers become temporary children of a `workers/<mission>` supervisor
 * (simple_one_for_one): one that misses its heartbeats fails its child, and the supervisor's
 * decision is logged and goes to the mission's event log.
 *
 * One `NatsConnection` (`connectNatsHub`) serves any number of missions: `maestro run --nats`
 * opens one for its mission; the daemon opens one and attaches every mission to it, so a hundred
 * missions are one connection, one reaper and one dead-letter mover. Loaded only when NATS is used.
 */
import type { AnyActorRef } from 'xstate';
import type { Logger } from 'pino';
import type { DurableDispatch } from '../actors/agentCall.js';
import type { MissionObserver } from './runMission.js';
import { remoteWorkerLogic } from '../actors/remoteWorker.js';
import { SystemError } from '../config/errors.js';
import { createSupervisor, type SupervisionRuntime } from '../supervisors/index.js';
import { WorkerReaper } from '../transport/natsReaper.js';
import type { WorkerRecord } from '../transport/natsRegistry.js';
import type { NatsOptions } from '../transport/natsOptions.js';
import { NatsTransport } from '../transport/natsTransport.js';
import { ensureWorkStreams, startDeadLetterMover, WorkClient } from '../transport/natsWorkQueue.js';

/** One mission's use of a NATS connection. */
export interface NatsRuntime {
  transport: NatsTransport;
  durable: DurableDispatch;
  /** Starts watching workers: joins, departures and losses become supervised children. */
  superviseWorkers(runtime: SupervisionRuntime, name: string, observer?: Pick<MissionObserver, 'inspect' | 'setRootPath' | 'addRoot'>): void;
  /** Stops this mission's watching; closes the connection only when the runtime owns it. */
  close(): Promise<void>;
}

/** A NATS connection shared by missions. */
export interface NatsHub {
  transport: NatsTransport;
  /** Waits for a worker for every capability (or fails with NoWorkersError), then gives the mission its runtime. */
  attach(capabilities: string[], waitWorkersMs: number): Promise<NatsRuntime>;
  close(): Promise<void>;
}

/** No worker serves a provider the mission needs: the mission cannot start. */
export class NoWorkersError extends SystemError {
  override name = 'NoWorkersError';
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
    async attach(capabilities, waitWorkersMs) {
      await waitForCapabilities(reaper, capabilities, waitWorkersMs, servers);
      let workers: AnyActorRef | undefined;
      let listener: WorkerListener | undefined;
      return {
        transport,
        durable: (capability, key, payload, o) => client.submit(capability, { key, payload }, o),
        superviseWorkers(runtime, name, observer) {
          workers = superviseWorkers(runtime, name, observer);
          const children = new Map<string, AnyActorRef>();
          const sup = workers;
          const add = (r: WorkerRecord) => {
            sup.send({ type: 'supervisor.startChild', input: { id: r.id, capabilities: r.capabilities, host: r.host, pid: r.pid } });
            const kids = sup.getSnapshot().children as Record<string, AnyActorRef>;
            const ref = Object.values(kids).at(-1);
            if (ref) children.set(r.id, ref);
            runtime.events.append({ type: 'worker.joined', worker: r.id, capabilities: r.capabilities, host: r.host, pid: r.pid });
          };
          for (const r of reaper.workers()) add(r);
          listener = {
            joined: add,
            lost: (r, reason) => {
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
export async function connectNats(options: NatsOptions, logger: Logger, capabilities: string[], waitWorkersMs: number): Promise<NatsRuntime> {
  const hub = await connectNatsHub(options, logger);
  try {
    const runtime = await hub.attach(capabilities, waitWorkersMs);
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

function superviseWorkers(runtime: SupervisionRuntime, name: string, observer?: Pick<MissionObserver, 'inspect' | 'setRootPath' | 'addRoot'>): AnyActorRef {
  const sup = createSupervisor(
    {
      name,
      runtime,
      flags: { strategy: 'simple_one_for_one', intensity: 1_000_000 },
      children: [{ id: 'worker', restart: 'temporary', shutdown: 'brutal_kill', start: { logic: remoteWorkerLogic } }],
    },
    observer && !observer.addRoot ? { inspect: observer.inspect } : {},
  );
  observer?.setRootPath(sup.sessionId, name);
  observer?.addRoot?.(sup);
  sup.start();
  return sup;
}

async function waitForCapabilities(reaper: WorkerReaper, capabilities: string[], waitMs: number, servers: string): Promise<void> {
  const missing = () => capabilities.filter((c) => !reaper.workers().some((w) => w.capabilities.includes(c)));
  const deadline = Date.now() + waitMs;
  while (missing().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const m = missing();
  if (m.length > 0) {
    throw new NoWorkersError(
      `no worker serves ${m.map((c) => `'${c}'`).join(', ')} on ${servers} after ${waitMs} ms; start one: maestro worker --nats URL --capability ${m[0]} --config MISSION_FILE`,
    );
  }
}
