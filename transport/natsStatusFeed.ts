/**
 * A NATS connection's status as the transport reports it: NATS.js's status stream (disconnect,
 * reconnecting, reconnect, close, and the ones it only logs) becomes `TransportStatus`, told to
 * each listener, with one `reconnecting` per outage. Requests made while disconnected wait here
 * for the next connected (or closed) status. Once closed it says nothing more.
 */
import type { NatsConnection, Status } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { errorMessage } from '../kernel/errors.js';
import { abortReason, RequestTimeoutError } from './errors.js';
import type { TransportStatus } from './transport.js';

export class NatsStatusFeed {
  private readonly listeners = new Set<(status: TransportStatus) => void>();
  /** Requests waiting for the connection to come back. */
  private readonly waiters = new Set<() => void>();
  private last: TransportStatus;

  constructor(
    private readonly connection: NatsConnection,
    private readonly logger: Logger | undefined,
    /** Called on a reconnection, before it is reported: the new server's INFO is in. */
    private readonly onReconnect: () => void,
  ) {
    this.last = { type: 'connected', server: connection.getServer() };
    void this.watchStatus();
    void connection.closed().then((err) => this.closed(err));
  }

  get current(): TransportStatus {
    return this.last;
  }

  onStatus(listener: (status: TransportStatus) => void): () => void {
    listener(this.last);
    if (this.last.type === 'closed') return () => {};
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Resolves on the next connected (or closed) status; rejects on timeout or abort. */
  untilConnected(
    subject: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (err?: unknown): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(onStatus);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onStatus = (): void => done();
      const onAbort = (): void => done(abortReason(signal!, subject));
      const timer = setTimeout(() => done(new RequestTimeoutError(subject, timeoutMs)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(onStatus);
    });
  }

  private async watchStatus(): Promise<void> {
    try {
      for await (const s of this.connection.status()) this.onNatsStatus(s);
    } catch (err) {
      this.logger?.warn({ err }, 'nats status stream failed');
    }
  }

  private onNatsStatus(s: Status): void {
    switch (s.type) {
      case 'disconnect':
        this.setStatus({ type: 'disconnected', server: s.server });
        return;
      case 'reconnecting':
        // Sent before every dial attempt: one report per outage is enough.
        if (this.last.type !== 'reconnecting') this.setStatus({ type: 'reconnecting' });
        return;
      case 'reconnect':
        this.onReconnect();
        this.setStatus({ type: 'connected', server: s.server });
        return;
      case 'close':
        return; // reported by `closed()`, with the error when there is one
      case 'error':
        this.logger?.warn({ err: s.error }, 'nats async error');
        return;
      case 'ldm':
        this.logger?.info({ server: s.server }, 'nats server entering lame duck mode');
        return;
      case 'slowConsumer':
        this.logger?.warn(
          { subject: s.sub.getSubject(), pending: s.pending },
          'nats slow consumer',
        );
        return;
      case 'staleConnection':
        this.logger?.warn('nats connection stale');
        return;
      default:
        this.logger?.trace({ status: s.type }, 'nats status');
    }
  }

  // biome-ignore lint/suspicious/noConfusingVoidType: NATS.js types closed() as Promise<void | Error>
  private closed(err: void | Error): void {
    this.setStatus(err ? { type: 'closed', error: errorMessage(err) } : { type: 'closed' });
    this.listeners.clear();
  }

  private setStatus(status: TransportStatus): void {
    if (this.last.type === 'closed') return;
    this.last = status;
    this.logger?.debug({ status }, 'nats status');
    if (status.type === 'connected' || status.type === 'closed') {
      for (const waiter of [...this.waiters]) waiter();
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(status);
      } catch {
        // A listener's failure must not stop the others from hearing.
      }
    }
  }
}
