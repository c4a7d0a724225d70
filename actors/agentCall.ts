/**
 * One model call for an agent, over the transport: checks the budget and reserves the call's
 * worst case (its sample, its prompt and `maxTokens`, at its provider's prices), sends the
 * request to whoever serves the agent's provider, parses the reply with its schema, rebuilds a
 * provider's typed error, and settles the reservation on what the call used. Shared by the
 * agent worker, MAKER's sampler and the planner's phase calls.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from '@opentelemetry/api';
import { errorMessage } from '../kernel/errors.js';
import {
  captureContent,
  missionContext,
  type Span,
  SpanKind,
  SpanStatusCode,
  tracer,
} from '../kernel/tracing.js';
import { agentTimeoutMs, type AgentConfig, type MissionConfig } from '../config/mission.js';
import type { Prices, ProviderConfig } from '../config/providers.js';
import { worstCaseOfCall, type BudgetNode } from '../supervisors/budget.js';
import { PayloadTooLargeError } from '../transport/errors.js';
import {
  agentCallReplySchema,
  agentCallSubject,
  describeParseError,
  PROTOCOL_VERSION,
} from '../transport/protocol.js';
import type { Json, Transport } from '../transport/transport.js';
import { checkPromptSize } from './providers/callCaps.js';
import { callFailure } from './providers/nonRetryable.js';
import {
  deserializeProviderError,
  ProviderPromptCapError,
  ProviderResponseError,
  serializedProviderErrorSchema,
  type ProviderError,
} from './providers/errors.js';
import type { CompletionResult } from './providers/provider.js';

/**
 * Sends one call by the durable path (a JetStream work queue under NATS): the call survives the
 * death of the worker running it and is executed to completion once per key. Resolves with the
 * same reply a request/reply call gets.
 */
export type DurableDispatch = (
  capability: string,
  key: string,
  payload: Json,
  options: { timeoutMs: number; signal?: AbortSignal },
) => Promise<Json>;

export interface AgentCallOptions {
  transport: Transport;
  /**
   * The agent, with its call timeout resolved, its provider's prices (see `callPrices`) for the
   * reservation and its provider's `maxPromptBytes`, checked here before anything is sent.
   */
  agent: AgentConfig & {
    timeoutMs: number;
    prices?: Prices;
    maxPromptBytes?: number;
    /** Its provider's kind (`openai`, `cli`, ...): what a trace names the provider by. */
    providerKind?: string;
  };
  budget: BudgetNode;
  /** Who asks: a stable path, part of the idempotency key. */
  caller: string;
  prompt: string;
  /** Overrides the agent's temperature for this call (MAKER: 0 for the first sample, then 0.1). */
  temperature?: number;
  signal?: AbortSignal;
  /** Send by the durable path instead of request/reply (long calls, under NATS). */
  durable?: DurableDispatch;
  /** The trace context the call's `chat` span goes under. @default its mission's span */
  traceParent?: Context;
  /**
   * The call's idempotency key, when the caller can make it the same on a retry after a crash
   * (a resumed mission): under NATS a key whose job already finished gets that job's result.
   * @default the caller and a random id: a new call each time
   */
  key?: string;
}

export async function callAgent(o: AgentCallOptions): Promise<CompletionResult> {
  const { agent, budget } = o;
  // Before the budget and the transport: a prompt too big for its provider is so on every retry,
  // and the transport would refuse it with an error that names neither the provider nor the cap.
  if (agent.maxPromptBytes !== undefined) {
    try {
      checkPromptSize(
        agent.provider,
        { prompt: o.prompt, system: agent.role },
        agent.maxPromptBytes,
      );
    } catch (err) {
      throw callFailure(err as ProviderError);
    }
  }
  budget.check();
  // Held before calling, so calls running in parallel cannot together pass a limit; a call whose
  // worst case would pass one is refused here, before it is made, or waits while only what calls
  // in flight hold stands in its way.
  const reservation = await budget.reserveWhenRoom(
    worstCaseOfCall({
      messages: agent.role === undefined ? [o.prompt] : [agent.role, o.prompt],
      maxTokens: agent.maxTokens,
      prices: agent.prices,
    }),
    o.signal,
  );
  const span = chatSpan(o);
  try {
    const r = await send(o);
    reservation.settle({ tokens: r.usage.totalTokens, costUsd: r.costUsd });
    span.setAttributes({
      'gen_ai.response.model': r.model,
      'gen_ai.usage.input_tokens': r.usage.promptTokens,
      'gen_ai.usage.output_tokens': r.usage.completionTokens,
      'maestro.cost_usd': r.costUsd,
      ...(captureContent() && { 'gen_ai.output.messages': r.text }),
    });
    span.end();
    return r;
  } catch (err) {
    // What a failed call spent is not reported: only its sample counts.
    reservation.settle();
    failSpan(span, err);
    throw err;
  }
}

/**
 * The provider call's span, `chat <model>` (GenAI semantic conventions), under `traceParent` (an
 * agent worker's `invoke_agent`) or else its mission's span, found by the caller's path.
 */
function chatSpan(o: AgentCallOptions): Span {
  const model = o.agent.model ?? o.agent.provider;
  return tracer().startSpan(
    `chat ${model}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': o.agent.providerKind ?? o.agent.provider,
        'gen_ai.request.model': model,
        'maestro.provider': o.agent.provider,
        'maestro.caller': o.caller,
        ...(captureContent() && { 'gen_ai.input.messages': o.prompt }),
      },
    },
    o.traceParent ?? missionContext(o.caller),
  );
}

/** A span ended in error, with the failure's kind as `error.type`. */
export function failSpan(span: Span, err: unknown): void {
  const type = (err as { kind?: unknown })?.kind ?? (err as Error)?.name ?? 'error';
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
  span.setAttribute('error.type', String(type));
  span.end();
}

async function send(o: AgentCallOptions): Promise<CompletionResult> {
  const { agent } = o;
  const temperature = o.temperature ?? agent.temperature;
  const key = o.key ?? `${o.caller}#${randomUUID()}`;
  const payload: Json = {
    v: PROTOCOL_VERSION,
    id: key,
    provider: agent.provider,
    request: {
      prompt: o.prompt,
      caller: o.caller,
      ...(agent.role !== undefined && { system: agent.role }),
      ...(agent.model !== undefined && { model: agent.model }),
      ...(temperature !== undefined && { temperature }),
      ...(agent.maxTokens !== undefined && { maxTokens: agent.maxTokens }),
    },
  };
  const options = { timeoutMs: agent.timeoutMs, signal: o.signal };
  const raw = o.durable
    ? await o.durable(agent.provider, key, payload, options).catch((err: unknown) => {
        throw remoteProviderError(err) ?? tooLarge(agent.provider, err) ?? err;
      })
    : await o.transport
        .request(agentCallSubject(agent.provider), payload, options)
        .catch((err: unknown) => {
          throw tooLarge(agent.provider, err) ?? err;
        });
  const reply = agentCallReplySchema.safeParse(raw);
  if (!reply.success)
    throw new ProviderResponseError(
      agent.provider,
      `malformed reply: ${describeParseError(reply.error)}`,
    );
  if (!reply.data.ok) {
    const e = serializedProviderErrorSchema.safeParse(reply.data.error);
    throw e.success
      ? callFailure(deserializeProviderError(e.data))
      : new Error(reply.data.error.message);
  }
  return reply.data.result;
}

/** An agent of the mission as its calls need it: its call timeout resolved, its provider's prices. */
export function callingAgent(config: MissionConfig, id: string): AgentCallOptions['agent'] {
  const agent = config.agents.find((a) => a.id === id)!;
  const provider = config.providers[agent.provider]!;
  return {
    ...agent,
    timeoutMs: agentTimeoutMs(agent, provider),
    prices: callPrices(provider),
    maxPromptBytes: provider.maxPromptBytes,
    providerKind: provider.kind,
  };
}

/** A provider's prices, for reserving its calls' cost (a cli provider has none). */
export function callPrices(provider: ProviderConfig | undefined): Prices | undefined {
  return provider && 'prices' in provider ? provider.prices : undefined;
}

/** A call the transport could not send for its size: as big on a retry, so non-retryable. */
function tooLarge(provider: string, err: unknown): Error | undefined {
  if (!(err instanceof PayloadTooLargeError)) return undefined;
  return callFailure(
    new ProviderPromptCapError(provider, 'max_payload', err.limit, err.bytes, { cause: err }),
  );
}

/** A durable job that failed remotely carries the provider's error as `remote`: rebuild its class. */
function remoteProviderError(err: unknown): Error | undefined {
  const remote = (err as { remote?: unknown } | null)?.remote;
  const parsed = serializedProviderErrorSchema.safeParse(remote);
  return parsed.success ? callFailure(deserializeProviderError(parsed.data)) : undefined;
}
