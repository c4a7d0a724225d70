/**
 * The narrow seam between Maestro and the wire: request/reply with a timeout, publish,
 * subscribe (optionally in a queue group), and a connection status stream. The in-memory
 * transport serves `maestro run` and the tests; the NATS transport implements the same interface.
 * Payloads are JSON values: what crosses a transport must survive serialization.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Message {
  subject: string;
  data: Json;
  /** Set when the sender expects an answer; pass it to `respond`. */
  reply?: string;
}

export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface SubscribeOptions {
  /** Members of one queue group share the subject's messages: each message goes to one of them. */
  queue?: string;
  /**
   * The answer a request gets when its payload is not JSON (`reason` says how: empty, not UTF-8,
   * not JSON), in the subject's own reply schema, so its sender hears at once rather than waiting
   * out its timeout. Without it, such a request is dropped and counted, as a plain publish is.
   */
  malformed?: (reason: string) => Json;
}

export interface Subscription {
  readonly subject: string;
  unsubscribe(): void;
}

export type TransportStatus =
  | { type: 'connected'; server?: string }
  | { type: 'disconnected'; server?: string }
  | { type: 'reconnecting'; server?: string }
  | { type: 'closed'; error?: string };

export interface Transport {
  request(subject: string, data: Json, options: RequestOptions): Promise<Json>;
  publish(subject: string, data: Json): void;
  /** Answer a message received with a `reply` subject. */
  respond(message: Message, data: Json): void;
  subscribe(
    subject: string,
    handler: (message: Message) => void | Promise<void>,
    options?: SubscribeOptions,
  ): Subscription;
  /** Status changes, current one first. Returns a function that stops listening. */
  onStatus(listener: (status: TransportStatus) => void): () => void;
  close(): Promise<void>;
}
