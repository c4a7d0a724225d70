/**
 * The durable calls one mission has in flight under NATS, and which worker holds each. A worker
 * announces each job it starts (a `started` notice on the job's result subject), so when the
 * reaper finds that worker lost the mission can say at once which of its calls will be delivered
 * again, by when at the latest, and as which attempt, instead of an ack wait's silence. The
 * notices and events are built here, from plain values; natsRuntime.ts appends them.
 */
import type { WorkStarted } from '../transport/natsWorkQueue.js';
import type { WorkerRecord } from '../transport/natsRegistry.js';
import type { Json } from '../transport/transport.js';

/** The heartbeat a record that declares none beats at (WorkerRegistration's default). */
const DEFAULT_HEARTBEAT_MS = 2000;

/** A lost worker held this call: JetStream delivers it again once its ack wait runs out. */
export type CallRedeliveryEvent = {
  type: 'call.redelivery';
  provider: string;
  /** The agent's stable path (`mission/<id>/stage/<name>/agent/<id>`), when the call names it. */
  caller?: string;
  /** The lost worker that held it. */
  worker: string;
  /** The number of the coming delivery (1 was the first). */
  attempt: number;
  maxDeliveries: number;
  /**
   * When it is delivered again at the latest (ISO): the worker's last heartbeat, one heartbeat
   * interval (it may have lived that long after it) and the ack wait (counted from its last sign of life).
   */
  redeliverBy: string;
  ackWaitMs: number;
  /** The lost delivery was the last one: the call goes to the dead-letter stream and fails instead. */
  deadLetter: boolean;
};

/** A call a lost worker held was delivered again, to this worker. */
export type CallRedeliveredEvent = {
  type: 'call.redelivered';
  provider: string;
  caller?: string;
  worker: string;
  attempt: number;
  maxDeliveries: number;
  /** The lost worker it came back from. */
  from: string;
};

interface HeldCall {
  provider: string;
  caller?: string;
  /** Set by the latest `started` notice. */
  held?: WorkStarted['started'];
  /**
   * Deliveries seen, counted here: nats-server 2.9 may hand a lost worker's job to the next one
   * with a delivery count of 1 again (when the holder's connection died), so the server's count
   * alone would call the second run a first.
   */
  runs: number;
  /** The lost worker it waits to come back from. */
  lostFrom?: string;
}

export interface TrackedCall {
  /** A worker started a delivery of the call; a redelivery after a loss is returned as an event. */
  started(notice: WorkStarted['started']): CallRedeliveredEvent | undefined;
  /** The call settled (or its caller stopped waiting). */
  done(): void;
}

export class DurableCalls {
  private readonly calls = new Set<HeldCall>();

  get size(): number {
    return this.calls.size;
  }

  track(provider: string, payload: Json): TrackedCall {
    const call: HeldCall = { provider, ...callerOf(payload), runs: 0 };
    this.calls.add(call);
    return {
      started: (notice) => {
        const from = call.lostFrom;
        call.held = notice;
        call.runs = Math.max(call.runs + 1, notice.delivery);
        call.lostFrom = undefined;
        if (from === undefined) return undefined;
        return {
          type: 'call.redelivered',
          provider,
          ...(call.caller !== undefined && { caller: call.caller }),
          worker: notice.worker,
          attempt: call.runs,
          maxDeliveries: notice.maxDeliver,
          from,
        };
      },
      done: () => void this.calls.delete(call),
    };
  }

  /** The calls `record`'s worker held, each as the redelivery to expect; each reported once. */
  lost(record: Pick<WorkerRecord, 'id' | 'heartbeatAt' | 'heartbeatMs'>): CallRedeliveryEvent[] {
    const out: CallRedeliveryEvent[] = [];
    for (const call of this.calls) {
      const held = call.held;
      if (!held || held.worker !== record.id || call.lostFrom !== undefined) continue;
      call.lostFrom = record.id;
      const by = record.heartbeatAt + (record.heartbeatMs ?? DEFAULT_HEARTBEAT_MS) + held.ackWaitMs;
      out.push({
        type: 'call.redelivery',
        provider: call.provider,
        ...(call.caller !== undefined && { caller: call.caller }),
        worker: record.id,
        attempt: call.runs + 1,
        maxDeliveries: held.maxDeliver,
        redeliverBy: new Date(by).toISOString(),
        ackWaitMs: held.ackWaitMs,
        // The server's own count decides when it gives up.
        deadLetter: held.delivery >= held.maxDeliver,
      });
    }
    return out;
  }
}

function callerOf(payload: Json): { caller?: string } {
  const caller = (payload as { request?: { caller?: unknown } } | null)?.request?.caller;
  return typeof caller === 'string' ? { caller } : {};
}
