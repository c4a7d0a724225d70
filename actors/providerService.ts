/**
 * Serves provider calls over a transport: one queue-group subscription per provider, so any
 * number of processes (in-process now, NATS workers later) can share the load. Each request is
 * parsed with its schema; a malformed one is answered with an error, logged and counted.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../config/errors.js';
import {
  AGENT_CALL_QUEUE,
  agentCallRequestSchema,
  agentCallSubject,
  describeParseError,
  PROTOCOL_VERSION,
  type AgentCallReply,
} from '../transport/protocol.js';
import type { Json, Message, Subscription, Transport } from '../transport/transport.js';
import { ProviderError, serializeProviderError } from './providers/errors.js';
import type { Provider } from './providers/provider.js';

export interface ProviderService {
  /** Requests dropped because they did not parse. */
  readonly malformed: number;
  /** Stops taking calls and aborts the ones in flight. */
  stop(): void;
}

export function serveProviders(transport: Transport, providers: Iterable<Provider>, logger: Logger): ProviderService {
  let malformed = 0;
  const subs: Subscription[] = [];
  // Aborted when the service stops, so a finished mission does not wait for calls in flight.
  // One controller for all calls: a controller per call cost more than a MAKER vote's tally.
  const stopping = new AbortController();
  let stopped = false;
  const answer = (msg: Message, body: ReplyBody) => {
    if (stopped) return;
    try {
      transport.respond(msg, reply(body));
    } catch (err) {
      logger.warn({ subject: msg.subject, err: errorMessage(err) }, 'agent call answer not sent');
    }
  };
  for (const provider of providers) {
    const subject = agentCallSubject(provider.id);
    subs.push(
      transport.subscribe(
        subject,
        async (msg) => {
          const parsed = agentCallRequestSchema.safeParse(msg.data);
          if (!parsed.success) {
            malformed++;
            const reason = describeParseError(parsed.error);
            logger.warn({ subject, reason }, 'malformed agent call dropped');
            answer(msg, { ok: false, error: { name: 'ProtocolError', message: `malformed agent call: ${reason}` } });
            return;
          }
          const { request } = parsed.data;
          try {
            const result = await provider.complete({ ...request, idempotencyKey: parsed.data.id }, stopping.signal);
            answer(msg, { ok: true, result });
          } catch (err) {
            const error =
              err instanceof ProviderError
                ? serializeProviderError(err)
                : { name: 'ProviderError', kind: 'crash', message: errorMessage(err), retryable: true, provider: provider.id };
            answer(msg, { ok: false, error });
          }
        },
        { queue: AGENT_CALL_QUEUE },
      ),
    );
  }
  return {
    get malformed() {
      return malformed;
    },
    stop: () => {
      stopped = true;
      subs.forEach((s) => s.unsubscribe());
      stopping.abort();
    },
  };
}

type ReplyBody = AgentCallReply extends infer R ? (R extends unknown ? Omit<R, 'v'> : never) : never;

function reply(body: ReplyBody): Json {
  return { v: PROTOCOL_VERSION, ...body } as unknown as Json;
}
