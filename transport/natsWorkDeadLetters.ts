/**
 * Dead letters. nats-server 2.9 leaves a job that used up its deliveries in the work-queue stream,
 * delivered to no one, and says so once with a max-deliveries advisory. The mover answers that
 * advisory: it copies the job to `maestro.dlq.<capability>` (headers kept), records and publishes
 * the error result `dead-lettered after N deliveries` so the submitter fails fast and a resubmit of
 * the key gets the same answer, then deletes the job from the work queue. Movers share a queue
 * group, so each advisory is handled once. An advisory sent while no mover runs is lost.
 */
import {
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { pino, type Logger } from 'pino';
import { errorMessage } from '../kernel/errors.js';
import {
  DEAD_LETTER_DELIVERIES_HEADER,
  deadLetterSubject,
  decodeWith,
  encodeJson,
  errorResult,
  keyToken,
  maxDeliveriesAdvisorySchema,
  resultKey,
  resultSubject,
  WORK_STREAM,
  workJobSchema,
} from './natsWorkProtocol.js';
import { openResults, recordResult } from './natsWorkStreams.js';

export const MAX_DELIVERIES_ADVISORY = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${WORK_STREAM}.*`;
const MOVERS_QUEUE = 'maestro.dlq-movers';
const WORK_PREFIX = 'maestro.work.';

export interface DeadLetterMover {
  /** Jobs moved to the dead-letter stream. */
  readonly moved: number;
  /** Advisories that did not parse, or moves that failed. */
  readonly failures: number;
  /** Stops listening and waits for the moves under way. */
  stop(): Promise<void>;
}

export async function startDeadLetterMover(
  nc: NatsConnection,
  options: { logger?: Logger } = {},
): Promise<DeadLetterMover> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const kv = await openResults(nc);
  let moved = 0;
  let failures = 0;
  const underWay = new Set<Promise<void>>();
  const sub: Subscription = nc.subscribe(MAX_DELIVERIES_ADVISORY, {
    queue: MOVERS_QUEUE,
    callback: (err, msg) => {
      if (err) return;
      const p = move(msg)
        .then((didMove) => {
          if (didMove) moved++;
        })
        .catch((e: unknown) => {
          failures++;
          logger.warn({ subject: msg.subject, err: errorMessage(e) }, 'dead letter not moved');
        });
      underWay.add(p);
      void p.finally(() => underWay.delete(p));
    },
  });

  async function move(msg: Msg): Promise<boolean> {
    const advisory = decodeWith(maxDeliveriesAdvisorySchema, msg.data);
    if (!advisory.ok) throw new Error(`malformed advisory: ${advisory.reason}`);
    const { stream_seq: seq, deliveries, consumer } = advisory.value;
    return moveDeadLetter({ jsm, js, kv, nc }, seq, deliveries, consumer, logger);
  }

  return {
    get moved() {
      return moved;
    },
    get failures() {
      return failures;
    },
    async stop() {
      sub.unsubscribe();
      await Promise.all(underWay);
    },
  };
}

interface Clients {
  jsm: JetStreamManager;
  js: JetStreamClient;
  kv: KV;
  nc: NatsConnection;
}

/** Moves job `seq` of the work stream; false when it is already gone (moved by another, or deleted). */
async function moveDeadLetter(
  c: Clients,
  seq: number,
  deliveries: number,
  consumer: string,
  logger: Logger,
): Promise<boolean> {
  const stored = await c.jsm.streams.getMessage(WORK_STREAM, { seq });
  if (!stored) return false;
  const capability = stored.subject.startsWith(WORK_PREFIX)
    ? stored.subject.slice(WORK_PREFIX.length)
    : 'unknown';
  const h = headers();
  for (const [name, values] of stored.header ?? []) {
    // The job's own message id would de-duplicate against nothing useful here.
    if (name.toLowerCase() === 'nats-msg-id') continue;
    for (const v of values) h.append(name, v);
  }
  h.set(DEAD_LETTER_DELIVERIES_HEADER, String(deliveries));
  h.set('Maestro-Dead-Letter-Consumer', consumer);
  h.set('Maestro-Dead-Letter-Stream-Seq', String(seq));
  // The work sequence as message id: a second mover of the same job within the window is a no-op.
  await c.js.publish(deadLetterSubject(capability), stored.data, {
    headers: h,
    msgID: `${WORK_STREAM}-${seq}`,
  });
  const job = decodeWith(workJobSchema, stored.data);
  if (job.ok) {
    const token = keyToken(job.value.capability, job.value.key);
    const error = {
      name: 'DeadLetteredError',
      kind: 'dead_letter',
      message: `dead-lettered after ${deliveries} deliveries`,
      retryable: false,
      deliveries,
    };
    // A worker that finished late may have recorded a result first: that one stands.
    const standing = await recordResult(
      c.kv,
      resultKey(job.value.capability, token),
      errorResult(job.value.key, error),
    );
    c.nc.publish(resultSubject(job.value.capability, token), encodeJson(standing));
    logger.warn({ capability, token, deliveries }, 'job dead-lettered');
  } else {
    logger.warn({ capability, seq, deliveries, reason: job.reason }, 'malformed job dead-lettered');
  }
  await c.jsm.streams.deleteMessage(WORK_STREAM, seq);
  return true;
}
