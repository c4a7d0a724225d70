/**
 * What `maestro run --nats` adds around a mission: the NATS transport instead of the in-memory
 * one, the durable work queue for prompt-stage agent calls, the dead-letter mover, and the worker
 * registry. Remote workers become temporary children of a `workers` supervisor (simple_one_for_one):
 * one that misses its heartbeats fails its child, and the supervisor's decision is logged and
 * goes to the mission's event log. Loaded only when NATS is used.
 */
import type { AnyActorRef } from 'xstate';
import type { Logger } from 'pino';
import type { DurableDispatch } from '../actors/agentCall.js';
import type { MissionObserver } from './runMission.js';
import { remoteWorkerLogic } from '../actors/remoteWorker.js';
import { SystemError } from '../config/errors.js';
import { createSupervisor, type SupervisionRuntime } from '../supervisors/index.js';
import { WorkerReaper, type WorkerRecord } from '../transport/natsRegistry.js';
import type { NatsOptions } from '../transport/natsOptions.js';
import { NatsTransport } from '../transport/natsTransport.js';
import { ensureWorkStreams, startDeadLetterMover, WorkClient } from '../transport/natsWorkQueue.js';

export interface NatsRuntime {
  transport: NatsTransport;
  durable: DurableDispatch;
  /** Starts watching workers: joins, departures and losses become supervised children. */
  superviseWorkers(runtime: SupervisionRuntime, name: string, observer?: Pick<MissionObserver, 'inspect' | 'setRootPath' | 'addRoot'>): void;
  close(): Promise<void>;
}

/** No worker serves a provider the mission needs: the mission cannot start. */
export class NoWorkersError extends SystemError {
  override name = 'NoWorkersError';
}

export async function connectNats(options: NatsOptions, logger: Logger, capabilities: string[], waitWorkersMs: number): Promise<NatsRuntime> {
  const transport = await NatsTransport.connect(options, { logger, strictPayloads: false });
  const nc = transport.connection;
  await ensureWorkStreams(nc);
  const client = new WorkClient(nc, { logger });
  const mover = await startDeadLetterMover(nc, { logger });
  let onJoined: (r: WorkerRecord) => void = () => {};
  let onLost: (r: WorkerRecord, reason: string) => void = () => {};
  let onLeft: (r: WorkerRecord) => void = () => {};
  const reaper = await WorkerReaper.start(nc, {
    logger,
    onJoined: (r) => onJoined(r),
    onLost: (r, reason) => onLost(r, reason),
    onLeft: (r) => onLeft(r),
  });
  await waitForCapabilities(reaper, capabilities, waitWorkersMs, [options.servers].flat().join(', '));
  let workers: AnyActorRef | undefined;
  const children = new Map<string, AnyActorRef>();
  return {
    transport,
    durable: (capability, key, payload, o) => client.submit(capability, { key, payload }, o),
    superviseWorkers(runtime, name, observer) {
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
      workers = sup;
      const add = (r: WorkerRecord) => {
        sup.send({ type: 'supervisor.startChild', input: { id: r.id, capabilities: r.capabilities, host: r.host, pid: r.pid } });
        const kids = sup.getSnapshot().children as Record<string, AnyActorRef>;
        const ref = Object.values(kids).at(-1);
        if (ref) children.set(r.id, ref);
        runtime.events.append({ type: 'worker.joined', worker: r.id, capabilities: r.capabilities, host: r.host, pid: r.pid });
      };
      for (const r of reaper.workers()) add(r);
      onJoined = add;
      onLost = (r, reason) => {
        children.get(r.id)?.send({ type: 'worker.lost', reason });
        children.delete(r.id);
      };
      onLeft = (r) => {
        children.get(r.id)?.send({ type: 'worker.left' });
        children.delete(r.id);
        runtime.events.append({ type: 'worker.left', worker: r.id });
      };
    },
    async close() {
      workers?.stop();
      await reaper.stop();
      await mover.stop();
      await transport.close();
    },
  };
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
