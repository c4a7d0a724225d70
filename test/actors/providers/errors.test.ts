import { describe, expect, it } from 'vitest';
import { SystemError } from '../../../kernel/errors.js';
import {
  CliExitError,
  CliOutputCapError,
  CliSpawnError,
  ProviderAbortedError,
  ProviderError,
  ProviderHttpError,
  ProviderRateLimitError,
  ProviderResponseError,
  ProviderTimeoutError,
  deserializeProviderError,
  serializeProviderError,
  serializedProviderErrorSchema,
} from '../../../actors/providers/errors.js';

const samples: ProviderError[] = [
  new ProviderError('sim', 'crash', 'simulated crash on call #3'),
  new ProviderTimeoutError('gpt', 200),
  new ProviderTimeoutError('s', undefined, { detail: 'scripted' }),
  new ProviderRateLimitError('gpt', { detail: 'slow down' }),
  new ProviderHttpError('gpt', 500, { detail: 'upstream exploded' }),
  new ProviderHttpError('gpt', 401, { detail: 'bad key' }),
  new ProviderResponseError('gpt', '<html>oops</html>', { detail: 'body is not json' }),
  new ProviderAbortedError('gpt'),
  new CliExitError('codex', 'codex', 3, null, 'line 1\nfatal: bad things\n'),
  new CliExitError('codex', 'codex', null, 'SIGSEGV', ''),
  new CliOutputCapError('codex', 1000),
  new CliSpawnError('codex', 'codex', { detail: 'ENOENT' }),
];

describe('provider errors', () => {
  it('should be SystemErrors with lowercase messages that quote the provider', () => {
    expect(samples.map((e) => e.message)).toEqual([
      "provider 'sim': simulated crash on call #3",
      "provider 'gpt': timed out after 200 ms",
      "provider 's': timed out: scripted",
      "provider 'gpt': rate limited: slow down",
      "provider 'gpt': http 500: upstream exploded",
      "provider 'gpt': http 401: bad key",
      "provider 'gpt': malformed response: body is not json: '<html>oops</html>'",
      "provider 'gpt': aborted",
      "provider 'codex': 'codex' exited with code 3: fatal: bad things",
      "provider 'codex': 'codex' was killed by SIGSEGV",
      "provider 'codex': output exceeded 1000 bytes",
      "provider 'codex': cannot spawn 'codex': ENOENT",
    ]);
    for (const e of samples) expect(e).toBeInstanceOf(SystemError);
  });

  it('should say which failures are retryable', () => {
    expect(samples.map((e) => [e.kind, e.retryable])).toEqual([
      ['crash', true],
      ['timeout', true],
      ['timeout', true],
      ['rate_limit', true],
      ['server', true],
      ['server', false],
      ['malformed', true],
      ['aborted', false],
      ['exit', true],
      ['exit', true],
      ['output_cap', false],
      ['spawn', false],
    ]);
  });

  it('should keep only a short excerpt of a malformed body', () => {
    const err = new ProviderResponseError('gpt', `${'a'.repeat(500)}\n${'b'.repeat(10)}`);
    expect(err.excerpt).toBe(`${'a'.repeat(200)}...`);
  });

  it('should survive a JSON round trip with its class and fields', () => {
    for (const original of samples) {
      const wire = JSON.parse(JSON.stringify(serializeProviderError(original))) as unknown;
      const back = deserializeProviderError(serializedProviderErrorSchema.parse(wire));
      expect(back.constructor).toBe(original.constructor);
      expect(back.name).toBe(original.name);
      expect({ ...back, message: back.message }).toEqual({
        ...original,
        message: original.message,
      });
    }
  });

  it('should carry the status of an http error and the overrides of retryable', () => {
    const original = new ProviderHttpError('gpt', 404, { retryable: true });
    const wire = serializeProviderError(original);
    expect(wire).toEqual({
      name: 'ProviderHttpError',
      kind: 'server',
      message: "provider 'gpt': http 404",
      retryable: true,
      provider: 'gpt',
      status: 404,
    });
    const back = deserializeProviderError(wire) as ProviderHttpError;
    expect([back.status, back.retryable]).toEqual([404, true]);
  });
});
