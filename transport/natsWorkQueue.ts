/**
 * Durable agent work over JetStream, for calls that must survive a worker's death: a work-queue
 * stream with explicit acks, heartbeats, redelivery with backoff and de-duplication by key; a KV
 * bucket that makes each key's result final (a key completed once is answered, never re-run); a
 * dead-letter stream for jobs that used up their deliveries. Pure library over a NatsConnection.
 *
 *   ensureWorkStreams(nc)                       once, before clients and workers
 *   new WorkClient(nc).submit(cap, {key, payload}, {timeoutMs})
 *   new WorkWorker(nc).start(cap, handler, {concurrency, ackWaitMs, maxDeliver, backoffMs})
 *   startDeadLetterMover(nc)                    on the orchestrator side
 *
 * Execution is at least once (a worker that dies after its handler returned but before the result
 * was recorded leaves the job to run again); results are exactly once: the first recorded wins.
 */
export { ensureWorkStreams, type WorkStreamsOptions } from './natsWorkStreams.js';
export {
  WorkClient,
  type SubmitOptions,
  type WorkClientOptions,
  type WorkJobInput,
} from './natsWorkClient.js';
export {
  WorkWorker,
  type WorkerStartOptions,
  type WorkHandler,
  type WorkHandlerContext,
  type WorkWorkerStats,
} from './natsWorkWorker.js';
export {
  MAX_DELIVERIES_ADVISORY,
  startDeadLetterMover,
  type DeadLetterMover,
} from './natsWorkDeadLetters.js';
export {
  consumerName,
  deadLetterSubject,
  DLQ_STREAM,
  keyToken,
  KEY_TOKEN_HEADER,
  RESULTS_BUCKET,
  resultKey,
  resultSubject,
  WORK_STREAM,
  WorkEnqueueError,
  WorkFailedError,
  workJobSchema,
  workResultSchema,
  workStartedSchema,
  workSubject,
  type WorkJob,
  type WorkResult,
  type WorkStarted,
} from './natsWorkProtocol.js';
