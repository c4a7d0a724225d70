/**
 * The `Transport` over a NATS connection (NATS.js v3), for the daemon and remote workers. Payloads
 * are JSON; a message that does not parse is dropped, logged and counted, never a crash. NATS.js
 * errors become the transport's own classes (no responders, timeout, closed, too large), and its
 * status stream becomes `TransportStatus` (natsStatusFeed.ts). The connection is exposed for
 * JetStream and KV.
 *
 * Core NATS is at most once, and NATS.js 3 discards its outbound buffer each time it redials: a
 * publish made while disconnected is lost, so a request made then waits for the reconnection
 * (within its timeout) before it is sent. `close()` drains: subscriptions stop, running handlers
 * finish and answer, then the connection closes. NATS.js errors are mapped in natsErrors.ts;
 * requests share one reply subscription (natsRequestMux.ts).
 */
import {
  connect,
  type Msg,
  type NatsConnection,
  type Subscription as NatsSubscription,
} from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { errorMessage } from '../kernel/errors.js';
import {
  abortReason,
  PayloadTooLargeError,
  TransportClosedError,
  TransportError,
} from './errors.js';
import {
  closedError,
  isClosedConnection,
  NatsConnectError,
  requestError,
  withoutCredentials,
} from './natsErrors.js';
import { DropLog } from './dropLog.js';
import { NatsRequestMux } from './natsRequestMux.js';
import { type NatsOptionsInput, toConnectionOptions } from './natsOptions.js';
import { NatsStatusFeed } from './natsStatusFeed.js';
import { toJson, VALID_SUBJECT_CACHE } from './payload.js';
import { validateSubject } from './subjects.js';
import type {
  Json,
  Message,
  RequestOptions,
  SubscribeOptions,
  Subscription,
  Transport,
  TransportStatus,
} from './transport.js';

export interface NatsTransportOptions {
  logger?: Logger;
  /** The connection's name at the server; overrides `name` in the NATS options. */
  name?: string;
  /** Told of every error a handler throws or rejects with. @default log it */
  onHandlerError?: (err: unknown, message: Message) => void;
  /** Refuse payloads JSON would silently change (functions, symbols, NaN, Infinity). @default true */
  strictPayloads?: boolean;
  /** How long `close()` lets in-flight messages drain before closing anyway. @default 5000 */
  drainTimeoutMs?: number;
}

export interface NatsTransportCounters {
  /** Messages dropped (or replies refused) because they were not JSON. */
  malformed: number;
  /** Errors thrown or rejected by subscription handlers. */
  handlerErrors: number;
  /** Requests that were not JSON and got the subscriber's error reply. */
  malformedReplies: number;
}

const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

type Handler = (message: Message) => void | Promise<void>;

export class NatsTransport implements Transport {
  /** Our live subscriptions, drained on close. */
  private readonly subs = new Set<NatsSubscription>();
  /** Handlers still running (async ones): close lets them finish. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly validSubjects = new Set<string>();
  private mux: NatsRequestMux | undefined;
  private readonly count: NatsTransportCounters = {
    malformed: 0,
    handlerErrors: 0,
    malformedReplies: 0,
  };
  // fatal: a payload that is not UTF-8 is malformed, not quietly mended with U+FFFD.
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly drops: DropLog;
  private readonly logger: Logger | undefined;
  private readonly strict: boolean;
  private readonly drainTimeoutMs: number;
  private readonly onHandlerError: ((err: unknown, message: Message) => void) | undefined;
  private readonly status: NatsStatusFeed;
  /** Kept from the last server's INFO: NATS.js forgets it while reconnecting. */
  private maxPayload: number;
  private closing: Promise<void> | undefined;

  private constructor(
    /** The NATS.js connection, for JetStream and KV. Prefer the transport's methods for core messaging. */
    readonly connection: NatsConnection,
    options: NatsTransportOptions,
  ) {
    this.logger = options.logger;
    this.drops = new DropLog(options.logger, 'dropped nats messages that are not JSON');
    this.strict = options.strictPayloads ?? true;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 5000;
    this.onHandlerError = options.onHandlerError;
    this.maxPayload = connection.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
    this.status = new NatsStatusFeed(connection, options.logger, () => {
      this.maxPayload = this.connection.info?.max_payload ?? this.maxPayload;
    });
  }

  /** Opens the connection; fails with `NatsConnectError` when no server can be reached. */
  static async connect(
    options: NatsOptionsInput,
    transportOptions: NatsTransportOptions = {},
  ): Promise<NatsTransport> {
    const connectionOptions = toConnectionOptions(options);
    if (transportOptions.name !== undefined) connectionOptions.name = transportOptions.name;
    const servers = [connectionOptions.servers ?? []].flat().map(withoutCredentials);
    let nc: NatsConnection;
    try {
      nc = await connect(connectionOptions);
    } catch (err) {
      throw new NatsConnectError(servers, errorMessage(err), { cause: err });
    }
    transportOptions.logger?.debug(
      { server: nc.getServer(), version: nc.info?.version },
      'nats connected',
    );
    return new NatsTransport(nc, transportOptions);
  }

  get counters(): Readonly<NatsTransportCounters> {
    return { ...this.count };
  }

  /** How many times a handler has thrown or rejected (as `MemoryTransport.handlerErrors`). */
  get handlerErrors(): number {
    return this.count.handlerErrors;
  }

  publish(subject: string, data: Json): void {
    const payload = this.encode(subject, data, 'publish');
    this.guard(subject, () => this.connection.publish(subject, payload));
  }

  respond(message: Message, data: Json): void {
    if (message.reply === undefined) return;
    const payload = this.encode(message.reply, data, 'reply');
    this.guard(message.reply, () => this.connection.publish(message.reply!, payload));
  }

  async request(subject: string, data: Json, options: RequestOptions): Promise<Json> {
    const payload = this.encode(subject, data, 'request');
    const { signal, timeoutMs } = options;
    if (signal?.aborted) throw abortReason(signal, subject);
    const started = Date.now();
    let reply: Msg;
    try {
      // NATS.js drops what was written while disconnected when it redials: wait for the server.
      if (this.status.current.type !== 'connected')
        await this.status.untilConnected(subject, timeoutMs, signal);
      this.assertOpen(subject);
      const remaining = Math.max(1, timeoutMs - (Date.now() - started));
      reply = await (this.mux ??= new NatsRequestMux(this.connection)).request(
        subject,
        payload,
        remaining,
        timeoutMs,
        signal,
      );
    } catch (err) {
      throw requestError(
        err,
        subject,
        timeoutMs,
        signal,
        this.closing !== undefined || this.connection.isClosed(),
      );
    }
    const json = this.decode(reply);
    if (typeof json === 'object' && json !== null && MALFORMED in json)
      throw new TransportError(`reply is not JSON: '${subject}'`);
    return json as Json;
  }

  subscribe(subject: string, handler: Handler, options: SubscribeOptions = {}): Subscription {
    this.assertOpen(subject);
    validateSubject(subject);
    let active = true;
    const sub: NatsSubscription = this.guard(subject, () =>
      this.connection.subscribe(subject, {
        ...(options.queue === undefined ? {} : { queue: options.queue }),
        callback: (err, msg) => {
          if (err) {
            this.logger?.warn({ subject, err }, 'nats subscription error');
            return;
          }
          if (active) this.deliver(msg, handler, options.malformed);
        },
      }),
    );
    this.subs.add(sub);
    void sub.closed.then(() => this.subs.delete(sub));
    return {
      subject,
      unsubscribe: () => {
        if (!active) return;
        active = false;
        this.subs.delete(sub);
        try {
          sub.unsubscribe();
        } catch {
          // Closed or draining: the subscription is ending anyway.
        }
      },
    };
  }

  onStatus(listener: (status: TransportStatus) => void): () => void {
    return this.status.onStatus(listener);
  }

  /** Drains (subscriptions finish what they hold, buffered messages are flushed), then closes. */
  close(): Promise<void> {
    this.closing ??= this.drainAndClose();
    return this.closing;
  }

  /**
   * Stop taking messages, let the handlers finish (and answer), flush, close. Bounded by
   * `drainTimeoutMs` in all: the server may be gone for good, a handler may never end.
   */
  private async drainAndClose(): Promise<void> {
    const nc = this.connection;
    if (!nc.isClosed() && !nc.isDraining()) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>(
        (resolve) => (timer = setTimeout(() => resolve('timeout'), this.drainTimeoutMs)),
      );
      const warn = (err: unknown): void => this.logger?.warn({ err }, 'nats drain failed');
      const steps = async (): Promise<void> => {
        await Promise.all([...this.subs].map((sub) => sub.drain().catch(warn)));
        await Promise.allSettled([...this.inFlight]);
        await nc.drain().catch(warn);
      };
      if ((await Promise.race([steps(), timedOut])) === 'timeout') {
        this.logger?.warn(
          { drainTimeoutMs: this.drainTimeoutMs, inFlight: this.inFlight.size },
          'nats drain timed out; closing',
        );
      }
      clearTimeout(timer);
    }
    if (!nc.isClosed()) await nc.close();
    await nc.closed();
    this.mux?.failAll((subject) => closedError(subject, new Error('connection closed')));
  }

  private deliver(msg: Msg, handler: Handler, malformed?: (reason: string) => Json): void {
    const data = this.decode(msg);
    if (typeof data === 'object' && data !== null && MALFORMED in data) {
      if (msg.reply && malformed) {
        this.count.malformedReplies++;
        this.guard(msg.reply, () =>
          this.connection.publish(
            msg.reply!,
            this.encode(msg.reply!, malformed(data[MALFORMED] as string), 'reply'),
          ),
        );
      }
      return;
    }
    const message: Message = msg.reply
      ? { subject: msg.subject, data, reply: msg.reply }
      : { subject: msg.subject, data };
    try {
      const result: unknown = handler(message);
      if (result instanceof Promise) {
        const done = result
          .catch((err: unknown) => this.handlerFailed(err, message))
          .finally(() => this.inFlight.delete(done));
        this.inFlight.add(done);
      }
    } catch (err) {
      this.handlerFailed(err, message);
    }
  }

  /** The payload's JSON, or `{[MALFORMED]: reason}`: counted, and logged at most once a second. */
  private decode(msg: Msg): Json | { [MALFORMED]: string } {
    let reason: string;
    if (msg.data.length === 0) reason = 'empty';
    else {
      let text: string | undefined;
      try {
        text = this.decoder.decode(msg.data);
        return JSON.parse(text) as Json;
      } catch {
        reason = text === undefined ? 'not UTF-8' : 'not JSON';
      }
    }
    this.count.malformed++;
    this.drops.drop(msg.subject, reason);
    return { [MALFORMED]: reason };
  }

  private handlerFailed(err: unknown, message: Message): void {
    this.count.handlerErrors++;
    try {
      if (this.onHandlerError) this.onHandlerError(err, message);
      else
        this.logger?.error({ subject: message.subject, err }, 'nats subscription handler failed');
    } catch {
      // Reporting is best effort; it never breaks delivery.
    }
  }

  /** The payload's UTF-8 JSON, checked against the server's max_payload. */
  private encode(subject: string, data: Json, use: 'publish' | 'reply' | 'request'): Uint8Array {
    // While draining, handlers still answer and publish what they hold; NATS.js says when it stops.
    if (use === 'request') this.assertOpen(subject);
    else if (this.connection.isClosed()) throw new TransportClosedError(subject);
    if (use !== 'reply' && !this.validSubjects.has(subject)) {
      validateSubject(subject, { wildcards: false });
      if (this.validSubjects.size < VALID_SUBJECT_CACHE) this.validSubjects.add(subject);
    }
    const json = toJson(subject, data, this.strict);
    const limit = this.connection.info?.max_payload ?? this.maxPayload;
    const bytes = Buffer.from(json, 'utf8');
    if (bytes.length > limit) throw new PayloadTooLargeError(subject, bytes.length, limit);
    return bytes;
  }

  private assertOpen(subject: string): void {
    if (this.closing || this.connection.isClosed() || this.connection.isDraining())
      throw new TransportClosedError(subject);
  }

  /** Runs a NATS.js call, turning its closed-connection errors into ours. */
  private guard<T>(subject: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (isClosedConnection(err)) throw closedError(subject, err);
      throw err;
    }
  }
}

const MALFORMED = Symbol('malformed');

export { NatsConnectError } from './natsErrors.js';
