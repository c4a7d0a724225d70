/**
 * A provider's own retries (`maxRetries`): a retryable failure is tried again after a backoff on
 * the injected clock, before the agent sees it; a non-retryable one, an abort, or the last retry's
 * failure is thrown as it came.
 */
import { describe, expect, it } from 'vitest';
import { createProvider } from '../../../actors/providers/index.js';
import { scriptedProviderSchema } from '../../../config/providers.js';
import { ManualClock } from '../../../kernel/clock.js';
import { providerBoundMs } from '../../../config/mission.js';
import { cliProviderSchema } from '../../../config/providers.js';

/** Lets the provider's promise chain run up to its next timer. */
const settle = () => new Promise((r) => setImmediate(r));

function scripted(responses: unknown[], extra: Record<string, unknown> = {}) {
  const clock = new ManualClock();
  const config = scriptedProviderSchema.parse({ kind: 'scripted', responses, ...extra });
  return { clock, provider: createProvider('s', config, { clock }) };
}

describe('a provider with maxRetries', () => {
  it('should answer after retryable failures, waiting 500 ms then 1 s (less up to a quarter)', async () => {
    const { clock, provider } = scripted(
      [
        { error: 'connection reset', errorKind: 'crash' },
        { error: 'slow down', errorKind: 'rate_limit' },
        'the answer',
      ],
      { maxRetries: 2 },
    );
    let done: string | undefined;
    const call = provider.complete({ prompt: 'x' }).then((r) => (done = r.text));
    await settle();
    clock.advance(374);
    await settle();
    expect(done).toBeUndefined();
    clock.advance(126);
    await settle();
    clock.advance(1000);
    await call;
    expect(done).toBe('the answer');
  });

  it('should throw the failure after its last retry, and a non-retryable one at once', async () => {
    const tooFew = scripted(
      [{ error: 'a', errorKind: 'crash' }, { error: 'b', errorKind: 'server' }, 'late'],
      { maxRetries: 1 },
    );
    const failed = tooFew.provider.complete({ prompt: 'x' });
    const seen = failed.catch((e: Error) => e.message);
    await settle();
    tooFew.clock.advance(500);
    expect(await seen).toContain('b');

    const never = scripted([{ error: 'no key', errorKind: 'crash' }, 'never'], {
      maxRetries: 3,
      nonRetryable: ['crash'],
    });
    await expect(never.provider.complete({ prompt: 'x' })).rejects.toMatchObject({
      nonRetryable: true,
    });
    // Not retried: the next call gets the next response, still there.
    expect((await never.provider.complete({ prompt: 'x' })).text).toBe('never');
  });

  it('should stop waiting when the call is aborted, and retry nothing with the default 0', async () => {
    const { clock, provider } = scripted([{ error: 'a', errorKind: 'crash' }, 'b'], {
      maxRetries: 2,
    });
    const ac = new AbortController();
    const call = provider.complete({ prompt: 'x' }, ac.signal).catch((e: Error) => e.name);
    await settle();
    ac.abort();
    expect(await call).toBe('ProviderAbortedError');
    clock.advance(10_000);

    const plain = scripted([{ error: 'a', errorKind: 'crash' }, 'b']);
    await expect(plain.provider.complete({ prompt: 'x' })).rejects.toThrow('a');
  });

  it("should count a cli provider's retries in its bound, so the agent does not give up first", () => {
    const cli = (maxRetries: number) =>
      cliProviderSchema.parse({ kind: 'cli', command: '/bin/true', timeoutMs: 1000, maxRetries });
    expect(providerBoundMs(cli(0))).toBe(3000);
    expect(providerBoundMs(cli(2))).toBe(3000 * 3 + 16_000);
  });
});
