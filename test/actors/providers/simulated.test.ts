import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../kernel/clock.js';
import { simulatedProviderSchema, type ProviderConfigInput } from '../../../config/providers.js';
import { ProviderAbortedError, ProviderError } from '../../../actors/providers/errors.js';
import { mulberry32 } from '../../../actors/providers/random.js';
import { SimulatedProvider, sampleLatency } from '../../../actors/providers/simulated.js';

type Input = Omit<Extract<ProviderConfigInput, { kind: 'simulated' }>, 'kind'>;

function simulated(input: Input = {}, clock = new ManualClock()): SimulatedProvider {
  return new SimulatedProvider(
    'sim',
    simulatedProviderSchema.parse({ kind: 'simulated', ...input }),
    clock,
  );
}

async function outcomes(provider: SimulatedProvider, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await provider.complete({ prompt: `q${i}` }).then(
        (r) => r.text,
        (e: Error) => e.message,
      ),
    );
  }
  return out;
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('simulated provider', () => {
  it('should derive its answer from the call number and the prompt', async () => {
    const provider = simulated();
    const prompt = 'Explain the restart intensity of an OTP supervisor in two lines.';
    expect(await provider.complete({ prompt })).toEqual({
      text: `simulated answer #1: ${prompt.slice(0, 40)}`,
      usage: { promptTokens: 16, completionTokens: 16, totalTokens: 32, estimated: true },
      costUsd: 0,
      latencyMs: 0,
      provider: 'sim',
      model: 'simulated',
    });
  });

  it('should be deterministic for a seed, and differ across seeds', async () => {
    const config: Input = { errorRate: 0.3, answers: ['a', 'b', 'c'], seed: 42 };
    const first = await outcomes(simulated(config), 50);
    expect(await outcomes(simulated(config), 50)).toEqual(first);
    expect(await outcomes(simulated({ ...config, seed: 43 }), 50)).not.toEqual(first);
    expect(new Set(first)).toEqual(
      new Set(['a', 'b', 'c', ...first.filter((o) => o.includes('crash'))]),
    );
  });

  it('should fail at close to the configured error rate, with retryable crashes', async () => {
    const provider = simulated({ errorRate: 0.2, seed: 7 });
    let failures = 0;
    for (let i = 0; i < 10_000; i++) {
      try {
        await provider.complete({ prompt: 'p' });
      } catch (err) {
        expect(err).toBeInstanceOf(ProviderError);
        expect(err).toMatchObject({ kind: 'crash', retryable: true });
        failures++;
      }
    }
    expect(Math.abs(failures / 10_000 - 0.2)).toBeLessThanOrEqual(0.02);
  });

  it('should name the failed call in its message', async () => {
    await expect(simulated({ errorRate: 1 }).complete({ prompt: 'p' })).rejects.toThrow(
      "provider 'sim': simulated crash on call #1",
    );
  });

  it('should wait its latency on the clock', async () => {
    const clock = new ManualClock();
    const provider = simulated({ latencyMs: { distribution: 'fixed', ms: 250 } }, clock);
    let settled = false;
    const call = provider.complete({ prompt: 'p' }).finally(() => (settled = true));
    clock.advance(249);
    await flush();
    expect(settled).toBe(false);
    clock.advance(1);
    expect((await call).latencyMs).toBe(250);
  });

  it('should sample uniform latencies within bounds and lognormal ones around the median', () => {
    const random = mulberry32(3);
    const uniform = Array.from({ length: 1_000 }, () =>
      sampleLatency(random, { distribution: 'uniform', minMs: 100, maxMs: 200 }),
    );
    expect(Math.min(...uniform)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...uniform)).toBeLessThanOrEqual(200);
    const lognormal = Array.from({ length: 10_001 }, () =>
      sampleLatency(random, { distribution: 'lognormal', medianMs: 400, sigma: 0.5 }),
    ).sort((a, b) => a - b);
    expect(lognormal[5_000]).toBeGreaterThan(380);
    expect(lognormal[5_000]).toBeLessThan(420);
  });

  it('should price its estimated usage', async () => {
    const provider = simulated({
      answers: ['x'.repeat(400)],
      prices: { inputPerMTok: 1, outputPerMTok: 10 },
    });
    const result = await provider.complete({ prompt: 'y'.repeat(4_000) });
    expect(result.usage).toMatchObject({ promptTokens: 1_000, completionTokens: 100 });
    expect(result.costUsd).toBeCloseTo(1_000 / 1e6 + (100 / 1e6) * 10, 12);
  });

  it('should stop waiting when aborted', async () => {
    const clock = new ManualClock();
    const provider = simulated({ latencyMs: { distribution: 'fixed', ms: 1_000 } }, clock);
    const controller = new AbortController();
    const call = provider.complete({ prompt: 'p' }, controller.signal);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(ProviderAbortedError);
    expect(clock.pending).toBe(0);
  });
});

describe('mulberry32', () => {
  it('should repeat its sequence for a seed and stay within [0, 1)', () => {
    const a = mulberry32(99);
    const b = mulberry32(99);
    const xs = Array.from({ length: 1_000 }, () => a());
    expect(Array.from({ length: 1_000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
