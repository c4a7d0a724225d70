/**
 * Requests over one shared reply subscription (`<inbox>.<token>`), each with its own timer.
 * NATS.js's `request` builds a RequestError and a TimeoutError (stack traces included) for every
 * request in case it fails: a third of the orchestrator's CPU at 10k requests/s. The server
 * answers `no responders` on the reply subject with a 503 status.
 */
import { createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { abortReason, NoRespondersError, RequestTimeoutError } from './errors.js';

interface PendingRequest {
  subject: string;
  settle(err: unknown, msg?: Msg): void;
}

export class NatsRequestMux {
  private readonly prefix = createInbox();
  private readonly pending = new Map<string, PendingRequest>();
  private nextToken = 0;

  constructor(private readonly connection: NatsConnection) {
    connection.subscribe(`${this.prefix}.*`, {
      callback: (err, msg) => {
        if (err) return;
        const p = this.pending.get(msg.subject.slice(this.prefix.length + 1));
        if (!p) return;
        if (msg.data.length === 0 && msg.headers?.code === 503)
          p.settle(new NoRespondersError(p.subject));
        else p.settle(undefined, msg);
      },
    });
  }

  /** Sends `payload` and resolves with the reply; rejects after `waitMs` (reported as `timeoutMs`), on abort, or with `failAll`. */
  request(
    subject: string,
    payload: Uint8Array,
    waitMs: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Msg> {
    const token = String(++this.nextToken);
    return new Promise<Msg>((resolve, reject) => {
      const settle = (err: unknown, msg?: Msg): void => {
        if (!this.pending.delete(token)) return;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (msg) resolve(msg);
        else reject(err);
      };
      const onAbort = (): void => settle(abortReason(signal!, subject));
      const timer = setTimeout(() => settle(new RequestTimeoutError(subject, timeoutMs)), waitMs);
      this.pending.set(token, { subject, settle });
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.connection.publish(subject, payload, { reply: `${this.prefix}.${token}` });
      } catch (err) {
        settle(err);
      }
    });
  }

  /** Fails every pending request with the error `errorFor` gives for its subject. */
  failAll(errorFor: (subject: string) => unknown): void {
    for (const p of [...this.pending.values()]) p.settle(errorFor(p.subject));
  }
}
