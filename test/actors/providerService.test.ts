import { getEventListeners } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { executeAgentCall, serveProviders } from '../../actors/providerService.js';
import type { CompletionResult, Provider } from '../../actors/providers/provider.js';
import { SimulatedProvider } from '../../actors/providers/simulated.js';
import { ManualClock } from '../../kernel/clock.js';
import { simulatedProviderSchema } from '../../config/providers.js';
import { MemoryTransport } from '../../transport/index.js';
import { PROTOCOL_VERSION } from '../../transport/protocol.js';

/** A provider whose calls wait until released, counting how many run at once. */
function gatedProvider() {
  const gates: (() => void)[] = [];
  const seen = { running: 0, peak: 0 };
  const provider: Provider = {
    id: 'p',
    kind: 'scripted',
    async complete(req): Promise<CompletionResult> {
      seen.running++;
      seen.peak = Math.max(seen.peak, seen.running);
      await new Promise<void>((r) => gates.push(r));
      seen.running--;
      return {
        text: req.prompt,
        usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
        costUsd: 0,
        latencyMs: 0,
        provider: 'p',
        model: 'm',
      };
    },
  };
  return { provider, gates, seen };
}

const call = (prompt: string) => ({
  v: PROTOCOL_VERSION,
  id: prompt,
  provider: 'p',
  request: { prompt },
});
const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('provider service', () => {
  it('should work on at most `concurrency` calls at once and answer them all', async () => {
    const t = new MemoryTransport();
    const g = gatedProvider();
    serveProviders(t, [g.provider], pino({ level: 'silent' }), { concurrency: 2 });
    const replies = ['a', 'b', 'c', 'd'].map((p) =>
      t.request('maestro.agent.call.p', call(p), { timeoutMs: 5000 }),
    );
    await flush();
    expect(g.seen.running).toBe(2);
    while (g.gates.length || g.seen.running) {
      g.gates.splice(0).forEach((r) => {
        r();
      });
      await flush();
    }
    const texts = (await Promise.all(replies)).map(
      (r) => (r as { result: { text: string } }).result.text,
    );
    expect(texts).toEqual(['a', 'b', 'c', 'd']);
    expect(g.seen.peak).toBe(2);
  });

  it('should drain: take no new call, and wait for the ones in flight to be answered', async () => {
    const t = new MemoryTransport();
    const g = gatedProvider();
    const service = serveProviders(t, [g.provider], pino({ level: 'silent' }));
    const first = t.request('maestro.agent.call.p', call('x'), { timeoutMs: 5000 });
    await flush();
    let drained = false;
    const draining = service.drain().then(() => (drained = true));
    await expect(t.request('maestro.agent.call.p', call('y'), { timeoutMs: 5000 })).rejects.toThrow(
      "no responders: 'maestro.agent.call.p'",
    );
    expect(drained).toBe(false);
    g.gates.splice(0).forEach((r) => {
      r();
    });
    await draining;
    expect(await first).toMatchObject({ ok: true, result: { text: 'x' } });
  });

  it('should answer a malformed call with an error and count it', async () => {
    const t = new MemoryTransport();
    const service = serveProviders(t, [gatedProvider().provider], pino({ level: 'silent' }));
    const reply = await t.request('maestro.agent.call.p', { v: 1, id: 'x' }, { timeoutMs: 1000 });
    expect(reply).toMatchObject({
      v: 1,
      ok: false,
      error: {
        name: 'ProtocolError',
        message:
          'malformed agent call: provider: Invalid input: expected string, received undefined',
      },
    });
    expect(service.malformed).toBe(1);
  });

  it('should leave no abort listener on the long-lived signal after many calls, even with a client that never removes its own', async () => {
    // the OpenAI SDK adds an abort listener to the signal of every request and never removes it
    const leaky: Provider = {
      id: 'p',
      kind: 'openai',
      async complete(req, signal): Promise<CompletionResult> {
        signal?.addEventListener('abort', () => {}, { once: true });
        return {
          text: req.prompt,
          usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
          costUsd: 0,
          latencyMs: 0,
          provider: 'p',
          model: 'm',
        };
      },
    };
    const stopping = new AbortController();
    const baseline = getEventListeners(stopping.signal, 'abort').length;
    for (let i = 0; i < 25; i++) {
      expect(await executeAgentCall(leaky, call(`c${i}`), stopping.signal)).toMatchObject({
        ok: true,
        result: { text: `c${i}` },
      });
    }
    expect(getEventListeners(stopping.signal, 'abort')).toHaveLength(baseline);
  });

  it('should leave no abort listener behind with the in-process simulated provider, which shares the service signal', async () => {
    const clock = new ManualClock();
    const sim = new SimulatedProvider(
      'p',
      simulatedProviderSchema.parse({
        kind: 'simulated',
        latencyMs: { distribution: 'fixed', ms: 5 },
      }),
      clock,
    );
    const stopping = new AbortController();
    const baseline = getEventListeners(stopping.signal, 'abort').length;
    for (let i = 0; i < 25; i++) {
      const reply = executeAgentCall(sim, call(`c${i}`), stopping.signal);
      await flush();
      expect(getEventListeners(stopping.signal, 'abort')).toHaveLength(baseline + 1);
      clock.advance(5);
      expect(await reply).toMatchObject({ ok: true });
    }
    expect(getEventListeners(stopping.signal, 'abort')).toHaveLength(baseline);
  });

  it.each(['scripted', 'openai'] as const)(
    'should abort the calls in flight of a %s provider when the service stops',
    async (kind) => {
      const t = new MemoryTransport();
      const signals: AbortSignal[] = [];
      const held: Provider = {
        id: 'p',
        kind,
        complete: (_req, signal) =>
          new Promise<CompletionResult>((_resolve, reject) => {
            signals.push(signal!);
            signal!.addEventListener('abort', () => reject(signal!.reason), { once: true });
          }),
      };
      const service = serveProviders(t, [held], pino({ level: 'silent' }));
      void t.request('maestro.agent.call.p', call('x'), { timeoutMs: 5000 }).catch(() => {});
      void t.request('maestro.agent.call.p', call('y'), { timeoutMs: 5000 }).catch(() => {});
      await flush();
      expect(signals.map((s) => s.aborted)).toEqual([false, false]);
      service.stop();
      expect(signals.map((s) => s.aborted)).toEqual([true, true]);
      await flush();
      expect(service.inFlight).toBe(0);
    },
  );
});
