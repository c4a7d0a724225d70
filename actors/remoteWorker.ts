/**
 * A remote worker as a child in the orchestrator's tree: it lives while the worker's registry
 * entry does. A worker that misses its heartbeats (or whose connection dropped, so it stopped
 * heartbeating) makes this actor fail with `WorkerLostError`, so its supervisor sees a child
 * that exited abnormally and applies its rules; a worker that deregistered ends it normally.
 */
import { setup } from 'xstate';
import { SystemError } from '../kernel/errors.js';

export interface RemoteWorkerInput {
  id: string;
  capabilities: string[];
  host: string;
  pid: number;
}

export type RemoteWorkerEvent =
  | { type: 'worker.lost'; reason: string }
  | { type: 'worker.left' }
  | { type: 'maestro.shutdown' };

export class WorkerLostError extends SystemError {
  override name = 'WorkerLostError';
  constructor(
    readonly worker: string,
    readonly reason: string,
  ) {
    super(`remote worker '${worker}' lost: ${reason}`);
  }
}

export const remoteWorkerLogic = setup({
  types: {
    input: {} as RemoteWorkerInput,
    context: {} as RemoteWorkerInput & { reason?: string },
    events: {} as RemoteWorkerEvent,
  },
}).createMachine({
  id: 'remoteWorker',
  context: ({ input }) => ({ ...input }),
  initial: 'connected',
  states: {
    connected: {
      on: {
        'worker.lost': {
          target: 'lost',
          actions: ({ context, event }) => void (context.reason = event.reason),
        },
        'worker.left': 'left',
        'maestro.shutdown': 'left',
      },
    },
    lost: {
      entry: ({ context }) => {
        throw new WorkerLostError(context.id, context.reason ?? 'lost');
      },
    },
    left: { type: 'final' },
  },
});
