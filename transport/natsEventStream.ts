/**
 * Mission events in JetStream, for a daemon under NATS: the stream MAESTRO_EVENTS holds every
 * mission's events on its own subjects, `maestro.events.<mission>.log` for the mission's history
 * and `maestro.events.<mission>.steps` for MAKER votes and snapshots. When the local log compacts
 * at a snapshot, the steps subject is purged down to that snapshot, so the stream stays bounded
 * like the file. A daemon whose disk lost a log (or holds an older one) restores it from here
 * before it resumes. Publishing never blocks a mission: acks are awaited in the background,
 * and failures are logged and counted. Each record carries the daemon's signature in a header
 * (eventSignature.ts), so a restore can tell the daemon's own records from anyone's who can
 * publish to the stream; `records` hands them over with it, unchecked.
 */
import {
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { SystemError } from '../kernel/errors.js';
import { SIGNATURE_HEADER, type EventSigner } from './eventSignature.js';
import { ensureStream } from './natsWorkStreams.js';

export const EVENTS_STREAM = 'MAESTRO_EVENTS';
const STEP_TYPES = new Set(['maker.vote', 'maker.snapshot']);

export const eventsSubject = (mission: string, part: 'log' | 'steps' | '>') =>
  `maestro.events.${mission}.${part}`;

/** An event as the log writes it: `seq` orders it, `mission` names whose it is. */
export interface StreamedEvent {
  seq: number;
  mission: string;
  type: string;
  [key: string]: unknown;
}

/** A record as the stream holds it: the body's exact text and its signature header, if any. */
export interface StreamRecord {
  /** The stream's sequence number (not the event's `seq`, which is inside `data`). */
  streamSeq: number;
  subject: string;
  data: string;
  signature?: string;
}

/** `append` on a stream opened without a signer (a reader's: tests, tools). */
export class UnsignedAppendError extends SystemError {
  override name = 'UnsignedAppendError';
  constructor(readonly mission: string) {
    super(
      `event stream: cannot append to mission '${mission}' without a signer (opened read-only)`,
    );
  }
}

export interface NatsEventStreamOptions {
  logger?: Logger;
  /** Signs every appended record; without one the stream is read-only. */
  signer?: EventSigner;
  /** @default 'file' */
  storage?: 'file' | 'memory';
}

export class NatsEventStream {
  private readonly pending = new Set<Promise<unknown>>();
  failures = 0;

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly logger: Logger | undefined,
    private readonly signer: EventSigner | undefined,
  ) {}

  static async open(
    nc: NatsConnection,
    options: NatsEventStreamOptions = {},
  ): Promise<NatsEventStream> {
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, {
      name: EVENTS_STREAM,
      subjects: ['maestro.events.>'],
      retention: RetentionPolicy.Limits,
      storage: options.storage === 'memory' ? StorageType.Memory : StorageType.File,
      duplicate_window: nanos(120_000),
    });
    return new NatsEventStream(jetstream(nc), jsm, options.logger, options.signer);
  }

  /** Publishes the event, signed (de-duplicated by mission and seq); returns at once. */
  append(event: StreamedEvent): void {
    if (!this.signer) throw new UnsignedAppendError(event.mission);
    const subject = eventsSubject(event.mission, STEP_TYPES.has(event.type) ? 'steps' : 'log');
    // The same bytes as the local log's line (EventLog writes JSON.stringify of this object).
    const body = JSON.stringify(event);
    const h = headers();
    h.set(SIGNATURE_HEADER, this.signer.sign(body));
    const p = this.js
      .publish(subject, body, { msgID: `${event.mission}:${event.seq}`, headers: h })
      .then(async (ack) => {
        // A snapshot is always followed by the local log's compaction (see makerTask): the
        // steps before it go from the stream too. By stream sequence, so steps published after
        // the snapshot (while this ran) stay.
        if (event.type === 'maker.snapshot')
          await this.jsm.streams.purge(EVENTS_STREAM, { filter: subject, seq: ack.seq });
      })
      .catch((err: unknown) => {
        this.failures++;
        this.logger?.warn(
          { err, mission: event.mission, seq: event.seq, type: event.type },
          'event stream: publish or purge failed',
        );
      });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Waits for every publish and purge so far. */
  async flush(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /** The missions the stream holds events of. */
  async missions(): Promise<string[]> {
    const info = await this.jsm.streams.info(EVENTS_STREAM, {
      subjects_filter: 'maestro.events.>',
    });
    const ids = Object.keys(info.state.subjects ?? {}).map((s) => s.split('.')[2]!);
    return [...new Set(ids)].sort();
  }

  /** A mission's events in the order they were written, parsed, signatures unchecked. */
  async read(mission: string): Promise<StreamedEvent[]> {
    // Two subjects interleave in stream order, which is the order they were published in.
    return (await this.records(mission))
      .map((r) => JSON.parse(r.data) as StreamedEvent)
      .sort((a, b) => a.seq - b.seq);
  }

  /** A mission's records in stream order, as stored: whoever published them, however malformed. */
  async records(mission: string): Promise<StreamRecord[]> {
    const info = await this.jsm.streams.info(EVENTS_STREAM, {
      subjects_filter: eventsSubject(mission, '>'),
    });
    const total = Object.values(info.state.subjects ?? {}).reduce((a, n) => a + n, 0);
    const out: StreamRecord[] = [];
    if (total === 0) return out;
    const consumer = await this.js.consumers.get(EVENTS_STREAM, {
      filter_subjects: eventsSubject(mission, '>'),
      deliver_policy: DeliverPolicy.All,
    });
    while (out.length < total) {
      const batch = await consumer.fetch({
        max_messages: Math.min(10_000, total - out.length),
        expires: 5000,
      });
      let got = 0;
      for await (const m of batch) {
        got++;
        const signature = m.headers?.get(SIGNATURE_HEADER);
        out.push({
          streamSeq: m.seq,
          subject: m.subject,
          data: m.string(),
          ...(signature && { signature }),
        });
        if (m.info.pending === 0) break;
      }
      if (got === 0) break;
    }
    await consumer.delete().catch(() => {});
    return out;
  }
}
