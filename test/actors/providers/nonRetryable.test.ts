import { describe, expect, it } from 'vitest';
import {
  ProviderError,
  ProviderHttpError,
  ProviderRateLimitError,
} from '../../../actors/providers/errors.js';
import { callFailure, withNonRetryable } from '../../../actors/providers/nonRetryable.js';
import type { Provider } from '../../../actors/providers/provider.js';
import { NonRetryableError } from '../../../supervisors/index.js';

const failing = (err: Error): Provider => ({
  id: 'p',
  kind: 'scripted',
  complete: () => Promise.reject(err),
});
const marked = async (types: string[], err: ProviderError) => {
  await withNonRetryable(failing(err), types)
    .complete({ prompt: 'x' })
    .catch(() => undefined);
  return err.nonRetryable;
};

describe("withNonRetryable (a provider's nonRetryable error types)", () => {
  it.each([
    ['an HTTP status listed', ['http_401'], new ProviderHttpError('p', 401), true],
    ['an HTTP status not listed', ['http_401'], new ProviderHttpError('p', 403), false],
    ['a kind listed', ['crash'], new ProviderError('p', 'crash', 'boom'), true],
    ['a 429 named as http_429', ['http_429'], new ProviderRateLimitError('p'), true],
    ['a 429 named as rate_limit', ['rate_limit'], new ProviderRateLimitError('p'), true],
    ['nothing listed', [], new ProviderHttpError('p', 401), false],
  ] as const)('should mark %s: %s', async (_name, types, err, expected) => {
    expect(await marked([...types], err)).toBe(expected);
  });

  it("should make the caller throw a NonRetryableError, the provider's message first", () => {
    const err = new ProviderHttpError('p', 401, { detail: 'bad key' });
    err.nonRetryable = true;
    const thrown = callFailure(err);
    expect(thrown).toBeInstanceOf(NonRetryableError);
    expect(thrown.message).toBe("provider 'p': http 401: bad key (non-retryable: http_401)");
    expect(callFailure(new ProviderHttpError('p', 500))).toBeInstanceOf(ProviderHttpError);
  });
});
