/**
 * One model call for an agent, over the transport: checks the budget and reserves the sample,
 * sends the request to whoever serves the agent's provider, parses the reply with its schema,
 * rebuilds a provider's typed error, and charges what the call used. Shared by the agent worker
 * and MAKER's sampler.
 */
import { randomUUID } from 'node:crypto';
import type { AgentConfig } from '../config/mission.js';
import type { BudgetNode } from '../supervisors/budget.js';
import { agentCallReplySchema, agentCallSubject, describeParseError, PROTOCOL_VERSION } from '../transport/protocol.js';
import type { Transport } from '../transport/transport.js';
import { deserializeProviderError, ProviderResponseError, serializedProviderErrorSchema } from './providers/errors.js';
import type { CompletionResult } from './providers/provider.js';

export interface AgentCallOptions {
  transport: Transport;
  /** The agent, with its call timeout resolved. */
  agent: AgentConfig & { timeoutMs: number };
  budget: BudgetNode;
  /** Who asks: a stable path, part of the idempotency key. */
  caller: string;
  prompt: string;
  /** Overrides the agent's temperature for this call (MAKER: 0 for the first sample, then 0.1). */
  temperature?: number;
  signal?: AbortSignal;
}

export async function callAgent(o: AgentCallOptions): Promise<CompletionResult> {
  const { agent, budget } = o;
  budget.check();
  // Reserve the sample before calling, so calls running in parallel cannot all pass the check.
  budget.charge({ samples: 1 });
  const temperature = o.temperature ?? agent.temperature;
  const raw = await o.transport.request(
    agentCallSubject(agent.provider),
    {
      v: PROTOCOL_VERSION,
      id: `${o.caller}#${randomUUID()}`,
      provider: agent.provider,
      request: {
        prompt: o.prompt,
        caller: o.caller,
        ...(agent.role !== undefined && { system: agent.role }),
        ...(agent.model !== undefined && { model: agent.model }),
        ...(temperature !== undefined && { temperature }),
        ...(agent.maxTokens !== undefined && { maxTokens: agent.maxTokens }),
      },
    },
    { timeoutMs: agent.timeoutMs, signal: o.signal },
  );
  const reply = agentCallReplySchema.safeParse(raw);
  if (!reply.success) throw new ProviderResponseError(agent.provider, `malformed reply: ${describeParseError(reply.error)}`);
  if (!reply.data.ok) {
    const e = serializedProviderErrorSchema.safeParse(reply.data.error);
    throw e.success ? deserializeProviderError(e.data) : new Error(reply.data.error.message);
  }
  const r = reply.data.result;
  budget.charge({ tokens: r.usage.totalTokens, costUsd: r.costUsd });
  return r;
}
