/**
 * The in-process transport for `maestro run` and the tests, with NATS core semantics: payloads
 * cross as JSON (nothing is shared by reference), delivery is asynchronous and in publish order
 * per subscription, a queue group gets each message once (round robin), and a request with no
 * subscriber fails at once with no responders. Timers go through the injected clock.
 */
import { type Clock, systemClock } from '../kernel/clock.js';
import {
  abortReason,
  NoRespondersError,
  PayloadTooLargeError,
  RequestTimeoutError,
  TransportClosedError,
} from './errors.js';
import { toJson, VALID_SUBJECT_CACHE } from './payload.js';
import { hasWildcards, subjectMatches, validateSubject } from './subjects.js';
import type {
  Json,
  Message,
  RequestOptions,
  SubscribeOptions,
  Subscription,
  Transport,
  TransportStatus,
} from './transport.js';

export interface MemoryTransportOptions {
  /** Measures request timeouts. @default systemClock */
  clock?: Clock;
  /** Largest payload, in UTF-8 bytes of its JSON, as NATS's max_payload. @default 1048576 */
  maxPayloadBytes?: number;
  /** Told of every error a handler throws or rejects with. @default ignore */
  onHandlerError?: (err: unknown, message: Message) => void;
  /**
   * Refuse payloads JSON would silently change (functions, symbols, NaN, Infinity). Costs a
   * JSON replacer on every send, about a tenth of a MAKER step: a runtime whose payloads are
   * built from its own schemas may turn it off. @default true
   */
  strictPayloads?: boolean;
}

type Handler = (message: Message) => void | Promise<void>;

interface Entry {
  readonly subject: string;
  readonly queue: string | undefined;
  readonly handler: Handler;
  active: boolean;
}

export class MemoryTransport implements Transport {
  private readonly clock: Clock;
  private readonly maxPayloadBytes: number;
  private readonly onHandlerError: ((err: unknown, message: Message) => void) | undefined;
  private readonly exact = new Map<string, Set<Entry>>();
  private readonly wildcard = new Set<Entry>();
  private readonly nextMember = new Map<string, number>();
  /** Pending requests: how to fail each, and its subject. */
  private readonly pending = new Map<(err: unknown) => void, string>();
  private readonly listeners = new Set<(status: TransportStatus) => void>();
  /** Reply inboxes of pending requests: delivered to directly, not through subscriptions. */
  private readonly replies = new Map<string, (json: string) => void>();
  private readonly validSubjects = new Set<string>();
  private readonly strict: boolean;
  private nextInbox = 0;
  private closed = false;
  private errors = 0;

  constructor(options: MemoryTransportOptions = {}) {
    this.strict = options.strictPayloads ?? true;
    this.clock = options.clock ?? systemClock;
    this.maxPayloadBytes = options.maxPayloadBytes ?? 1024 * 1024;
    this.onHandlerError = options.onHandlerError;
  }

  /** How many times a handler has thrown or rejected. */
  get handlerErrors(): number {
    return this.errors;
  }

  publish(subject: string, data: Json): void {
    this.route(subject, this.encode(subject, data));
  }

  respond(message: Message, data: Json): void {
    if (message.reply === undefined) return;
    this.route(message.reply, this.encode(message.reply, data));
  }

  request(subject: string, data: Json, options: RequestOptions): Promise<Json> {
    return new Promise<Json>((resolve, reject) => {
      const json = this.encode(subject, data);
      const { signal, timeoutMs } = options;
      if (signal?.aborted) throw abortReason(signal, subject);
      const inbox = `_INBOX.${++this.nextInbox}`;
      let timer: unknown;
      const settle = (fn: () => void): void => {
        if (!this.pending.delete(fail)) return;
        this.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.replies.delete(inbox);
        fn();
      };
      const fail = (err: unknown): void => settle(() => reject(err));
      const onAbort = (): void => fail(abortReason(signal!, subject));
      this.replies.set(inbox, (reply) => settle(() => resolve(JSON.parse(reply) as Json)));
      this.pending.set(fail, subject);
      if (this.route(subject, json, inbox) === 0) {
        queueMicrotask(() => fail(new NoRespondersError(subject)));
        return;
      }
      timer = this.clock.setTimeout(
        () => fail(new RequestTimeoutError(subject, timeoutMs)),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  subscribe(subject: string, handler: Handler, options: SubscribeOptions = {}): Subscription {
    this.assertOpen(subject);
    validateSubject(subject);
    const entry: Entry = { subject, queue: options.queue, handler, active: true };
    if (hasWildcards(subject)) {
      this.wildcard.add(entry);
    } else {
      let set = this.exact.get(subject);
      if (!set) this.exact.set(subject, (set = new Set()));
      set.add(entry);
    }
    return { subject, unsubscribe: () => this.remove(entry) };
  }

  onStatus(listener: (status: TransportStatus) => void): () => void {
    listener(this.closed ? { type: 'closed' } : { type: 'connected' });
    if (this.closed) return () => {};
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [fail, subject] of [...this.pending]) fail(new TransportClosedError(subject));
    for (const set of this.exact.values()) for (const entry of set) entry.active = false;
    for (const entry of this.wildcard) entry.active = false;
    this.exact.clear();
    this.wildcard.clear();
    const listeners = [...this.listeners];
    this.listeners.clear();
    // A listener's failure must not stop the others from hearing of the close.
    for (const listener of listeners) ignoreErrors(() => listener({ type: 'closed' }));
  }

  private assertOpen(subject: string): void {
    if (this.closed) throw new TransportClosedError(subject);
  }

  /** Checks what a sender may send and returns its JSON, so the receiver gets a copy. */
  private encode(subject: string, data: Json): string {
    this.assertOpen(subject);
    if (!this.validSubjects.has(subject) && !this.replies.has(subject)) {
      validateSubject(subject, { wildcards: false });
      if (this.validSubjects.size < VALID_SUBJECT_CACHE) this.validSubjects.add(subject);
    }
    const json = toJson(subject, data, this.strict);
    // Every UTF-16 unit is at most 3 UTF-8 bytes: count exactly only near the limit.
    if (json.length * 3 > this.maxPayloadBytes) {
      const bytes = Buffer.byteLength(json, 'utf8');
      if (bytes > this.maxPayloadBytes)
        throw new PayloadTooLargeError(subject, bytes, this.maxPayloadBytes);
    }
    return json;
  }

  /** Delivers to every plain subscriber and one member per queue group; returns the count. */
  private route(subject: string, json: string, reply?: string): number {
    const inbox = this.replies.get(subject);
    if (inbox) {
      queueMicrotask(() => inbox(json));
      return 1;
    }
    let count = 0;
    let groups: Map<string, Entry[]> | undefined;
    const visit = (entry: Entry): void => {
      if (entry.queue === undefined) {
        this.deliver(entry, subject, json, reply);
        count++;
      } else {
        groups ??= new Map();
        const members = groups.get(entry.queue);
        if (members) members.push(entry);
        else groups.set(entry.queue, [entry]);
      }
    };
    const exact = this.exact.get(subject);
    if (exact) for (const entry of exact) visit(entry);
    for (const entry of this.wildcard) if (subjectMatches(entry.subject, subject)) visit(entry);
    if (groups) {
      for (const [queue, members] of groups) {
        const n = (this.nextMember.get(queue) ?? 0) % members.length;
        this.nextMember.set(queue, n + 1);
        this.deliver(members[n]!, subject, json, reply);
        count++;
      }
    }
    return count;
  }

  private deliver(entry: Entry, subject: string, json: string, reply: string | undefined): void {
    queueMicrotask(() => {
      if (!entry.active) return;
      const data = JSON.parse(json) as Json;
      const message: Message = reply === undefined ? { subject, data } : { subject, data, reply };
      try {
        const result: unknown = entry.handler(message);
        if (result instanceof Promise)
          result.catch((err: unknown) => this.handlerFailed(err, message));
      } catch (err) {
        this.handlerFailed(err, message);
      }
    });
  }

  private handlerFailed(err: unknown, message: Message): void {
    this.errors++;
    ignoreErrors(() => this.onHandlerError?.(err, message));
  }

  private remove(entry: Entry): void {
    if (!entry.active) return;
    entry.active = false;
    if (this.wildcard.delete(entry)) return;
    const set = this.exact.get(entry.subject);
    if (set?.delete(entry) && set.size === 0) this.exact.delete(entry.subject);
  }
}

function ignoreErrors(fn: () => void): void {
  try {
    fn();
  } catch {
    // Reporting is best effort; it never breaks delivery.
  }
}
