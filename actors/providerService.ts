/**
 * Serves provider calls over a transport: one queue-group subscription per provider, so any
 * number of processes (in-process for `maestro run`, `maestro worker` processes over NATS) share
 * the load. Each request is parsed with its schema; a malformed one is answered with an error,
 * logged and counted. `executeAgentCall` is the same work for the durable (JetStream) path.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../kernel/errors.js';
import {
  AGENT_CALL_QUEUE,
  agentCallRequestSchema,
  agentCallSubject,
  describeParseError,
  PROTOCOL_VERSION,
  type AgentCallReply,
  type AgentCallRequest,
} from '../transport/protocol.js';
import { DropLog } from '../transport/dropLog.js';
import { PayloadTooLargeError } from '../transport/errors.js';
import type { Json, Message, Subscription, Transport } from '../transport/transport.js';
import { callSignal } from './callSignal.js';
import { replyTooLargeError } from './providers/callCaps.js';
import { ProviderError, serializeProviderError } from './providers/errors.js';
import type { Provider } from './providers/provider.js';

export interface ProviderService {
  /** Requests that did not parse (not JSON, or not an agent call): each answered with an error. */
  readonly malformed: number;
  /** Calls being worked on now. */
  readonly inFlight: number;
  /** Stops taking calls and aborts the ones in flight. */
  stop(): void;
  /** Stops taking calls and waits for the ones in flight to be answered. */
  drain(): Promise<void>;
}

export interface ServeOptions {
  /** Calls worked on at once; more wait their turn. @default unlimited */
  concurrency?: number;
  /** What this process runs: each provider's definition hash, and who we are; calls that name another are refused. */
  definitions?: DefinitionGuard;
}

/** A worker's own provider definitions (hash by provider id), to refuse calls made for another one. */
export interface DefinitionGuard {
  worker: string;
  hashes: Readonly<Record<string, string>>;
}

const IN_PROCESS: ReadonlySet<Provider['kind']> = new Set(['scripted', 'simulated']);

type ReplyBody = AgentCallReply extends infer R
  ? R extends unknown
    ? Omit<R, 'v'>
    : never
  : never;

/** Parses an agent call and runs it on `provider`; never throws: failures become error replies. */
export async function executeAgentCall(
  provider: Provider,
  data: unknown,
  signal: AbortSignal,
  guard?: DefinitionGuard,
): Promise<ReplyBody & { malformed?: string; refused?: string }> {
  const parsed = agentCallRequestSchema.safeParse(data);
  if (!parsed.success) {
    const reason = describeParseError(parsed.error);
    return { ...malformedCall(reason), malformed: reason };
  }
  return runAgentCall(provider, parsed.data, signal, guard);
}

/** The answer to a request that is not an agent call: not retryable, the same request is as bad each time. */
function malformedCall(reason: string): ReplyBody {
  return {
    ok: false,
    error: {
      name: 'ProtocolError',
      message: `malformed agent call: ${reason}`,
      kind: 'protocol',
      retryable: false,
    },
  };
}

/** Runs a parsed agent call on `provider`; never throws: failures become error replies. */
async function runAgentCall(
  provider: Provider,
  request: AgentCallRequest,
  signal: AbortSignal,
  guard?: DefinitionGuard,
): Promise<ReplyBody & { refused?: string }> {
  const wanted = request.definition;
  const own = guard?.hashes[provider.id];
  if (wanted !== undefined && own !== undefined && wanted !== own) {
    // Retryable: another worker of the provider may run the mission's definition.
    const message = `provider '${provider.id}': worker ${guard!.worker} runs a different definition (sha256 ${own.slice(0, 12)}… here, ${wanted.slice(0, 12)}… in the mission); call refused`;
    return {
      ok: false,
      error: { name: 'ProviderDefinitionError', message, retryable: true, provider: provider.id },
      refused: message,
    };
  }
  // A provider that does I/O gets a signal of its own for the call, unlinked when the call
  // settles: a client library may leave a listener per request on whatever signal it is given
  // (the OpenAI SDK does), and `signal` lives as long as the service. Our in-process providers
  // remove theirs (delay.ts), and a controller per call (~3 µs) would be a tenth of a MAKER step.
  const call = IN_PROCESS.has(provider.kind) ? undefined : callSignal(signal);
  try {
    const result = await provider.complete(
      { ...request.request, idempotencyKey: request.id },
      call?.signal ?? signal,
    );
    return { ok: true, result };
  } catch (err) {
    const error =
      err instanceof ProviderError
        ? serializeProviderError(err)
        : {
            name: 'ProviderError',
            kind: 'crash',
            message: errorMessage(err),
            retryable: true,
            provider: provider.id,
          };
    return { ok: false, error };
  } finally {
    call?.release();
  }
}

export function serveProviders(
  transport: Transport,
  providers: Iterable<Provider>,
  logger: Logger,
  options: ServeOptions = {},
): ProviderService {
  let malformed = 0;
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const idle: (() => void)[] = [];
  const subs: Subscription[] = [];
  // Aborted when the service stops, so a finished mission does not wait for calls in flight.
  // One controller for all calls (a controller per call costs more than a MAKER vote's tally);
  // executeAgentCall gives the calls that need one a child of it.
  const stopping = new AbortController();
  let stopped = false;
  const limit = options.concurrency ?? Infinity;
  const answer = (msg: Message, body: ReplyBody, provider?: Provider) => {
    if (stopped) return;
    try {
      transport.respond(msg, { v: PROTOCOL_VERSION, ...body } as unknown as Json);
    } catch (err) {
      // An answer too big to send: a small error that says so, not a caller left to time out.
      if (err instanceof PayloadTooLargeError && body.ok && provider)
        return answer(msg, {
          ok: false,
          error: serializeProviderError(replyTooLargeError(provider.id, err)),
        });
      logger.warn({ subject: msg.subject, err: errorMessage(err) }, 'agent call answer not sent');
    }
  };
  const drops = new DropLog(logger, 'malformed agent calls answered with an error');
  const handle = async (provider: Provider, msg: Message) => {
    // Parsed before it waits for a slot: garbage is answered at once and never queues in front
    // of real calls (a flood of it used to starve a mission's calls until they timed out).
    const parsed = agentCallRequestSchema.safeParse(msg.data);
    if (!parsed.success) {
      malformed++;
      const reason = describeParseError(parsed.error);
      drops.drop(msg.subject, reason);
      return answer(msg, malformedCall(reason));
    }
    if (inFlight >= limit) await new Promise<void>((r) => waiting.push(r));
    inFlight++;
    try {
      const { refused, ...body } = await runAgentCall(
        provider,
        parsed.data,
        stopping.signal,
        options.definitions,
      );
      if (refused !== undefined)
        logger.warn(
          { subject: msg.subject, provider: provider.id },
          'agent call for another provider definition refused',
        );
      answer(msg, body as ReplyBody, provider);
    } finally {
      inFlight--;
      waiting.shift()?.();
      if (inFlight === 0)
        idle.splice(0).forEach((r) => {
          r();
        });
    }
  };
  for (const provider of providers) {
    const notJson = (reason: string): Json => {
      malformed++;
      return { v: PROTOCOL_VERSION, ...malformedCall(reason) } as unknown as Json;
    };
    subs.push(
      transport.subscribe(agentCallSubject(provider.id), (msg) => handle(provider, msg), {
        queue: AGENT_CALL_QUEUE,
        malformed: notJson,
      }),
    );
  }
  return {
    get malformed() {
      return malformed;
    },
    get inFlight() {
      return inFlight;
    },
    stop: () => {
      stopped = true;
      subs.forEach((s) => {
        s.unsubscribe();
      });
      stopping.abort();
    },
    drain: async () => {
      subs.forEach((s) => {
        s.unsubscribe();
      });
      if (inFlight > 0 || waiting.length > 0) await new Promise<void>((r) => idle.push(r));
    },
  };
}
