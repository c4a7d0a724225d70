import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../kernel/clock.js';
import { scriptedProviderSchema, type ScriptedProviderConfig } from '../../../config/providers.js';
import {
  ProviderAbortedError,
  ProviderError,
  ProviderHttpError,
  ProviderRateLimitError,
  ProviderResponseError,
  ProviderTimeoutError,
} from '../../../actors/providers/errors.js';
import { ScriptedProvider } from '../../../actors/providers/scripted.js';

type Input = Omit<Partial<ScriptedProviderConfig>, 'kind' | 'responses'> & { responses: unknown[] };

function scripted(input: Input, clock = new ManualClock()): ScriptedProvider {
  return new ScriptedProvider(
    's',
    scriptedProviderSchema.parse({ kind: 'scripted', ...input }),
    clock,
  );
}

async function texts(provider: ScriptedProvider, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await provider.complete({ prompt: 'p' })).text);
  return out;
}

/** Lets pending promise callbacks run, without letting any time pass. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('scripted provider', () => {
  it('should answer in script order across calls and count them', async () => {
    const provider = scripted({ responses: ['one', { text: 'two' }, 'three'] });
    expect(await texts(provider, 3)).toEqual(['one', 'two', 'three']);
    expect(provider.calls).toBe(3);
  });

  it('should repeat the last response once exhausted, by default', async () => {
    expect(await texts(scripted({ responses: ['a', 'b'] }), 4)).toEqual(['a', 'b', 'b', 'b']);
  });

  it('should start over once exhausted with onExhausted cycle', async () => {
    expect(await texts(scripted({ responses: ['a', 'b'], onExhausted: 'cycle' }), 5)).toEqual([
      'a',
      'b',
      'a',
      'b',
      'a',
    ]);
  });

  it('should fail once exhausted with onExhausted error', async () => {
    const provider = scripted({ responses: ['a'], onExhausted: 'error' });
    await provider.complete({ prompt: 'p' });
    const err = await provider.complete({ prompt: 'p' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({
      kind: 'crash',
      retryable: false,
      message: "provider 's': script exhausted after 1 responses",
    });
  });

  it('should throw the class of each error kind', async () => {
    const provider = scripted({
      responses: [
        { error: 'slow', errorKind: 'timeout' },
        { error: 'busy', errorKind: 'rate_limit' },
        { error: 'down', errorKind: 'server' },
        { error: '{oops', errorKind: 'malformed' },
        { error: 'boom' },
      ],
    });
    const errors: unknown[] = [];
    for (let i = 0; i < 5; i++)
      errors.push(await provider.complete({ prompt: 'p' }).catch((e: unknown) => e));
    expect(errors.map((e) => (e as Error).constructor)).toEqual([
      ProviderTimeoutError,
      ProviderRateLimitError,
      ProviderHttpError,
      ProviderResponseError,
      ProviderError,
    ]);
    expect(errors.map((e) => (e as Error).message)).toEqual([
      "provider 's': timed out: slow",
      "provider 's': rate limited: busy",
      "provider 's': http 500: down",
      "provider 's': malformed response: '{oops'",
      "provider 's': crashed: boom",
    ]);
    expect(errors.map((e) => (e as ProviderError).kind)).toEqual([
      'timeout',
      'rate_limit',
      'server',
      'malformed',
      'crash',
    ]);
  });

  it('should wait for delayMs on the clock, and no longer', async () => {
    const clock = new ManualClock(1_000);
    const provider = scripted({ responses: [{ text: 'late', delayMs: 100 }] }, clock);
    let settled = false;
    const call = provider.complete({ prompt: 'p' }).finally(() => (settled = true));
    clock.advance(99);
    await flush();
    expect(settled).toBe(false);
    clock.advance(1);
    expect(await call).toMatchObject({ text: 'late', latencyMs: 100 });
  });

  it('should fail a delayed error entry only after its delay', async () => {
    const clock = new ManualClock();
    const provider = scripted({ responses: [{ error: 'boom', delayMs: 50 }] }, clock);
    const call = provider.complete({ prompt: 'p' });
    expect(clock.pending).toBe(1);
    clock.advance(50);
    await expect(call).rejects.toThrow("provider 's': crashed: boom");
  });

  it('should report estimated usage, no cost, its id and model', async () => {
    const provider = scripted({ responses: ['hello'], model: 'script-1' });
    expect(await provider.complete({ prompt: 'abcdefgh' })).toEqual({
      text: 'hello',
      usage: { promptTokens: 2, completionTokens: 2, totalTokens: 4, estimated: true },
      costUsd: 0,
      latencyMs: 0,
      provider: 's',
      model: 'script-1',
    });
  });

  it('should stop waiting when aborted, and refuse a call already aborted', async () => {
    const clock = new ManualClock();
    const provider = scripted({ responses: [{ text: 'late', delayMs: 1_000 }] }, clock);
    const controller = new AbortController();
    const call = provider.complete({ prompt: 'p' }, controller.signal);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(ProviderAbortedError);
    expect(clock.pending).toBe(0);
    await expect(provider.complete({ prompt: 'p' }, controller.signal)).rejects.toThrow(
      "provider 's': aborted",
    );
    expect(provider.calls).toBe(1);
  });
});
