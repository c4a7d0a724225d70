/**
 * NATS.js's failures as the transport's own errors: a connection that cannot be opened, and what
 * a request can meet (no responders, a timeout, a closed or draining connection). Each keeps the
 * NATS.js error as its `cause`.
 */
import {
  ClosedConnectionError,
  DrainingConnectionError,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';
import { errorMessage } from '../kernel/errors.js';
import {
  NoRespondersError,
  RequestTimeoutError,
  TransportClosedError,
  TransportError,
} from './errors.js';

/** No connection could be opened to any of `servers`; the reason is the last NATS.js error. */
export class NatsConnectError extends TransportError {
  override name = 'NatsConnectError';
  constructor(
    readonly servers: string[],
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot connect to nats '${servers.join(', ')}': ${reason}`, options);
    // A user's wrong URL or a server that is down: the message says all, a stack adds noise.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/**
 * What a failed request rejects with. `closing`: the connection is closing or closed (ours or
 * NATS.js's close), so a request it leaves pending failed because of that.
 */
export function requestError(
  err: unknown,
  subject: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  closing: boolean,
): unknown {
  if (signal?.aborted && err === signal.reason) return err;
  if (err instanceof TransportError) return err;
  if (err instanceof TimeoutError)
    return withCause(new RequestTimeoutError(subject, timeoutMs), err);
  if (err instanceof RequestError && err.isNoResponders())
    return withCause(new NoRespondersError(subject), err);
  if (isClosedConnection(err)) return closedError(subject, err);
  if (err instanceof RequestError && (err.message === 'connection closed' || closing))
    return closedError(subject, err);
  return new TransportError(`request failed: '${subject}': ${errorMessage(err)}`, { cause: err });
}

export function isClosedConnection(err: unknown): boolean {
  return err instanceof ClosedConnectionError || err instanceof DrainingConnectionError;
}

export function closedError(subject: string, cause: unknown): TransportClosedError {
  return withCause(new TransportClosedError(subject), cause);
}

function withCause<E extends Error>(err: E, cause: unknown): E {
  err.cause = cause;
  return err;
}

/** A server URL as it may be shown: credentials in it are removed. */
export function withoutCredentials(server: string): string {
  return server.replace(/^([a-z]+:\/\/)?[^/@]*@/i, '$1');
}
