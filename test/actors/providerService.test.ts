import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { serveProviders } from '../../actors/providerService.js';
import type { CompletionResult, Provider } from '../../actors/providers/provider.js';
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
      return { text: req.prompt, usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 }, costUsd: 0, latencyMs: 0, provider: 'p', model: 'm' };
    },
  };
  return { provider, gates, seen };
}

const call = (prompt: string) => ({ v: PROTOCOL_VERSION, id: prompt, provider: 'p', request: { prompt } });
const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('provider service', () => {
  it('should work on at most `concurrency` calls at once and answer them all', async () => {
    const t = new MemoryTransport();
    const g = gatedProvider();
    serveProviders(t, [g.provider], pino({ level: 'silent' }), { concurrency: 2 });
    const replies = ['a', 'b', 'c', 'd'].map((p) => t.request('maestro.agent.call.p', call(p), { timeoutMs: 5000 }));
    await flush();
    expect(g.seen.running).toBe(2);
    while (g.gates.length || g.seen.running) {
      g.gates.splice(0).forEach((r) => r());
      await flush();
    }
    const texts = (await Promise.all(replies)).map((r) => (r as { result: { text: string } }).result.text);
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
    await expect(t.request('maestro.agent.call.p', call('y'), { timeoutMs: 5000 })).rejects.toThrow("no responders: 'maestro.agent.call.p'");
    expect(drained).toBe(false);
    g.gates.splice(0).forEach((r) => r());
    await draining;
    expect(await first).toMatchObject({ ok: true, result: { text: 'x' } });
  });

  it('should answer a malformed call with an error and count it', async () => {
    const t = new MemoryTransport();
    const service = serveProviders(t, [gatedProvider().provider], pino({ level: 'silent' }));
    const reply = await t.request('maestro.agent.call.p', { v: 1, id: 'x' }, { timeoutMs: 1000 });
    expect(reply).toMatchObject({ v: 1, ok: false, error: { name: 'ProtocolError', message: 'malformed agent call: provider: Invalid input: expected string, received undefined' } });
    expect(service.malformed).toBe(1);
  });
});
