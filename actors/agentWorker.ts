/**
 * The agent worker: one agent answering one prompt. It checks its budget before any work,
 * sends the call over the transport to whoever serves its provider, holding the call's worst
 * case in its budget node (and so every ancestor's) until it settles on what the call used,
 * records the call in the mission's event log, and ends with the answer. A failed call fails the worker with the provider's typed error, for
 * its supervisor to decide on. Asked to shut down, it aborts the call in flight and ends.
 */
import { createHash } from 'node:crypto';
import { assign, fromPromise, setup } from 'xstate';
import type { RecordedAnswer } from '../log/missionRecovery.js';
import type { Clock } from '../kernel/clock.js';
import { errorMessage } from '../kernel/errors.js';
import { missionContext, type Span, SpanKind, trace, tracer } from '../kernel/tracing.js';
import type { AgentConfig } from '../config/mission.js';
import type { Prices } from '../config/providers.js';
import { BudgetReservationError, type BudgetNode } from '../supervisors/budget.js';
import type { EventSink } from '../supervisors/runtime.js';
import type { Transport } from '../transport/transport.js';
import { callAgent, type DurableDispatch, failSpan } from './agentCall.js';
import type { CompletionResult } from './providers/provider.js';

export interface AgentWorkerInput {
  /** Stable path: `mission/<id>/stage/<name>/agent/<id>`. */
  path: string;
  /** The agent, with its call timeout resolved (see `agentTimeoutMs`) and its provider's prices (see `callPrices`). */
  agent: AgentConfig & { timeoutMs: number; prices?: Prices; providerKind?: string };
  prompt: string;
  transport: Transport;
  events: EventSink;
  budget: BudgetNode;
  clock: Clock;
  /** Restarts before this start; part of the call's idempotency key. */
  attempt: number;
  /** Send the call by the durable path (NATS JetStream) instead of request/reply. */
  durable?: DurableDispatch;
  /**
   * Persisted with the mission: with it the call's key is the path, the attempt and this salt,
   * the same when a resumed mission makes the call again; without it each call is new.
   */
  keySalt?: string;
  /**
   * This agent's answer, from the log of a resumed mission: given back without a call when it
   * answered this question (`question`: a resume never asks an answered call again, as Temporal
   * replays a completed activity). Its usage is in the budget already (recovered from the same
   * record).
   */
  replay?: RecordedAnswer;
  /**
   * What the answer answers, whose hash the call's record keeps and a replay must match: a plan
   * task's step and inputs, whose prompt also shows the blackboard as it was when the task began,
   * which a resume cannot rebuild. @default the prompt
   */
  question?: string;
}

/** The first 16 hex digits of the prompt's sha256: which prompt a logged answer answered. */
export function promptHash(prompt: string): string {
  return createHash('sha256').update(prompt).digest('hex').slice(0, 16);
}

export interface AgentWorkerOutput extends CompletionResult {
  agent: string;
}

const call = fromPromise<AgentWorkerOutput, AgentWorkerInput>(async ({ input, signal }) => {
  const { agent, clock, events, path } = input;
  const hash = promptHash(input.question ?? input.prompt);
  if (input.replay?.promptHash === hash) {
    const { text, usage, costUsd, latencyMs, provider, model } = input.replay;
    return { agent: agent.id, text, usage, costUsd, latencyMs, provider, model };
  }
  input.budget.check(); // refused work is no call: the supervisor's decision records it
  const started = clock.now();
  const span = invokeSpan(input);
  const base = {
    type: 'agent.call' as const,
    path,
    agent: agent.id,
    provider: agent.provider,
    attempt: input.attempt,
  };
  try {
    const r = await callAgent({
      transport: input.transport,
      agent,
      budget: input.budget,
      caller: `${path}#${input.attempt}`,
      prompt: input.prompt,
      signal,
      durable: input.durable,
      ...(input.keySalt !== undefined && { key: `${path}#${input.attempt}#${input.keySalt}` }),
      traceParent: trace.setSpan(missionContext(path), span),
    });
    span.end();
    events.append({
      ...base,
      ok: true,
      model: r.model,
      usage: r.usage,
      costUsd: r.costUsd,
      latencyMs: r.latencyMs,
      chars: r.text.length,
      text: r.text,
      promptHash: hash,
    });
    return { agent: agent.id, ...r };
  } catch (err) {
    failSpan(span, err);
    // A call refused for its worst case was never made: like a refused check(), no agent.call.
    if (!signal.aborted && !(err instanceof BudgetReservationError)) {
      events.append({
        ...base,
        ok: false,
        error: errorMessage(err),
        errorName: (err as Error)?.name,
        latencyMs: clock.now() - started,
      });
    }
    throw err;
  }
});

/** The call's `invoke_agent <agent>` span under its mission's span (GenAI semantic conventions). */
function invokeSpan(input: AgentWorkerInput): Span {
  return tracer().startSpan(
    `invoke_agent ${input.agent.id}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': input.agent.id,
        'maestro.path': input.path,
        'maestro.attempt': input.attempt,
      },
    },
    missionContext(input.path),
  );
}

export const agentWorkerLogic = setup({
  types: {
    input: {} as AgentWorkerInput,
    context: {} as { input: AgentWorkerInput; output?: AgentWorkerOutput },
    events: {} as { type: 'maestro.shutdown' },
    output: {} as AgentWorkerOutput | null,
  },
  actors: { call },
}).createMachine({
  id: 'agent',
  context: ({ input }) => ({ input }),
  initial: 'calling',
  states: {
    calling: {
      invoke: {
        src: 'call',
        input: ({ context }) => context.input,
        onDone: { target: 'done', actions: assign({ output: ({ event }) => event.output }) },
        onError: {
          actions: ({ event }) => {
            throw event.error;
          },
        },
      },
      on: { 'maestro.shutdown': 'stopped' },
    },
    done: { type: 'final' },
    stopped: { type: 'final' },
  },
  output: ({ context }) => context.output ?? null,
});
