/**
 * `maestro/nats`: Maestro over NATS (remote workers, a shared connection, the work queue). Kept
 * off the root so that `import 'maestro'` never loads `@nats-io/*`; `runMission` with its `nats`
 * option loads the same code on demand.
 */
export {
  NatsConnectError,
  NatsTransport,
  type NatsTransportCounters,
  type NatsTransportOptions,
} from './transport/natsTransport.js';
export {
  NatsOptionsError,
  natsOptionsSchema,
  natsTlsSchema,
  parseNatsOptions,
  registerNatsSecrets,
  toConnectionOptions,
  type NatsOptions,
  type NatsOptionsInput,
} from './transport/natsOptions.js';
export {
  connectNats,
  connectNatsHub,
  NoWorkersError,
  WaitStoppedError,
  type NatsHub,
  type NatsRuntime,
  type ProviderIdentities,
} from './runner/natsRuntime.js';
export {
  WorkWorker,
  type WorkHandler,
  type WorkHandlerContext,
  type WorkerStartOptions,
  type WorkWorkerStats,
} from './transport/natsWorkWorker.js';
export { WorkEnqueueError, WorkFailedError } from './transport/natsWorkProtocol.js';
