import { createActor } from 'xstate';
import type { LooseMissionEvent } from '../helpers/looseEvent.js';
import { describe, expect, it, vi } from 'vitest';
import { agentWorkerLogic, type AgentWorkerInput } from '../../actors/agentWorker.js';
import { serveProviders } from '../../actors/providerService.js';
import { ProviderHttpError, ScriptedProvider } from '../../actors/providers/index.js';
import { ManualClock } from '../../kernel/clock.js';
import { BudgetExceededError } from '../../kernel/errors.js';
import { agentSchema } from '../../config/mission.js';
import { scriptedProviderSchema } from '../../config/providers.js';
import { BudgetNode } from '../../supervisors/index.js';
import { MemoryTransport } from '../../transport/index.js';
import { pino } from 'pino';

function setup(responses: unknown[], limits = {}) {
  const clock = new ManualClock();
  const transport = new MemoryTransport({ clock });
  const provider = new ScriptedProvider(
    'p',
    scriptedProviderSchema.parse({ kind: 'scripted', responses }),
    clock,
  );
  const service = serveProviders(transport, [provider], pino({ level: 'silent' }));
  const events: LooseMissionEvent[] = [];
  const budget = BudgetNode.root('m', limits, clock).child('agent');
  const input: AgentWorkerInput = {
    path: 'm/stage/s/agent/a',
    agent: {
      ...agentSchema.parse({ id: 'a', provider: 'p', role: 'be brief', maxTokens: 50 }),
      timeoutMs: 5000,
    },
    prompt: 'hello there',
    transport,
    events: { append: (e) => events.push(e) },
    budget,
    clock,
    attempt: 0,
  };
  return { clock, transport, provider, service, events, budget, input };
}

function run(input: AgentWorkerInput) {
  const actor = createActor(agentWorkerLogic, { input });
  return new Promise<{ output?: unknown; error?: unknown; actor: typeof actor }>((resolve) => {
    actor.subscribe({
      complete: () => resolve({ output: actor.getSnapshot().output, actor }),
      error: (error) => resolve({ error, actor }),
    });
    actor.start();
  });
}

describe('agent worker', () => {
  it('should answer over the transport, charge its budget up the tree and record the call', async () => {
    const s = setup(['twelve chars']);
    const { output } = await run(s.input);
    expect(output).toMatchObject({
      agent: 'a',
      text: 'twelve chars',
      provider: 'p',
      model: 'scripted',
    });
    const usage = s.budget.usage();
    expect(usage.samples).toBe(1);
    expect(usage.tokens).toBeGreaterThan(0);
    expect(s.budget.parent!.usage().tokens).toBe(usage.tokens);
    expect(s.events).toEqual([
      expect.objectContaining({
        type: 'agent.call',
        ok: true,
        agent: 'a',
        provider: 'p',
        path: 'm/stage/s/agent/a',
        attempt: 0,
      }),
    ]);
  });

  it('should fail with the provider typed error rebuilt from the wire', async () => {
    const s = setup([{ error: 'bad gateway', errorKind: 'server' }]);
    const { error } = await run(s.input);
    expect(error).toBeInstanceOf(ProviderHttpError);
    expect((error as ProviderHttpError).message).toBe("provider 'p': http 500: bad gateway");
    expect(s.events[0]).toMatchObject({
      type: 'agent.call',
      ok: false,
      error: "provider 'p': http 500: bad gateway",
    });
  });

  it('should refuse to call when its budget is spent', async () => {
    const s = setup(['x'], { samples: 1 });
    s.budget.charge({ samples: 1 });
    const { error } = await run(s.input);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(s.provider.calls).toBe(0);
  });

  it('should abort its call in flight and end without output when asked to shut down', async () => {
    const s = setup([{ text: 'late', delayMs: 10_000 }]);
    const actor = createActor(agentWorkerLogic, { input: s.input });
    actor.start();
    await vi.waitFor(() => expect(s.provider.calls).toBe(1));
    actor.send({ type: 'maestro.shutdown' });
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output).toBeNull();
    s.clock.advance(10_000);
    await new Promise((r) => setImmediate(r));
    expect(s.events).toEqual([]);
    // The sample was reserved before the call; no tokens were charged.
    expect(s.budget.usage()).toMatchObject({ samples: 1, tokens: 0 });
  });

  it('should fail when the reply does not parse, instead of trusting it', async () => {
    const s = setup(['x']);
    s.service.stop();
    s.transport.subscribe('maestro.agent.call.p', (m) =>
      s.transport.respond(m, { v: 1, ok: true, result: { text: 3 } }),
    );
    const { error } = await run(s.input);
    expect((error as Error).message).toContain('malformed reply: result.text');
  });
});
