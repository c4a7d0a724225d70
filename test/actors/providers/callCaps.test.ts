import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../kernel/clock.js';
import { providerConfigSchema, type ProviderConfigInput } from '../../../config/providers.js';
import { createProvider } from '../../../actors/providers/createProvider.js';
import {
  deserializeProviderError,
  ProviderAnswerCapError,
  ProviderPromptCapError,
  serializeProviderError,
  type ProviderError,
} from '../../../actors/providers/errors.js';
import { callFailure } from '../../../actors/providers/nonRetryable.js';
import { replyTooLargeError } from '../../../actors/providers/callCaps.js';
import { PayloadTooLargeError } from '../../../transport/errors.js';

const fakeCli = fileURLToPath(new URL('../../fixtures/fake-cli.mjs', import.meta.url));

function build(input: ProviderConfigInput) {
  return createProvider('p', providerConfigSchema.parse(input), {
    clock: new ManualClock(),
    env: { PATH: process.env.PATH },
  });
}

async function failure(
  input: ProviderConfigInput,
  request: { prompt: string; system?: string; maxTokens?: number } = { prompt: 'go' },
): Promise<ProviderError> {
  return build(input)
    .complete(request)
    .then(
      () => {
        throw new Error('expected the call to fail');
      },
      (e: unknown) => e as ProviderError,
    );
}

const bytesCap =
  "provider 'p': answer of more than 1000 bytes (maxAnswerBytes); raise providers.p.maxAnswerBytes if it is expected";

describe('call caps, for every provider kind', () => {
  it.each<[string, ProviderConfigInput]>([
    ['scripted', { kind: 'scripted', responses: ['a'.repeat(1001)], maxAnswerBytes: 1000 }],
    ['simulated', { kind: 'simulated', answers: ['a'.repeat(1001)], maxAnswerBytes: 1000 }],
  ])(
    'should refuse a %s answer over maxAnswerBytes, non-retryable by default',
    async (_kind, input) => {
      const err = await failure(input);
      expect(err).toBeInstanceOf(ProviderAnswerCapError);
      expect(err).toMatchObject({
        message: bytesCap,
        kind: 'output_cap',
        retryable: false,
        nonRetryable: true,
      });
      expect(callFailure(err).message).toBe(`${bytesCap} (non-retryable: output_cap)`);
    },
  );

  it('should count UTF-8 bytes, not characters, and take an answer at the cap', async () => {
    await expect(
      build({ kind: 'scripted', responses: ['a'.repeat(1000)], maxAnswerBytes: 1000 }).complete({
        prompt: 'go',
      }),
    ).resolves.toMatchObject({ text: 'a'.repeat(1000) });
    expect(
      (await failure({ kind: 'scripted', responses: ['é'.repeat(501)], maxAnswerBytes: 1000 }))
        .message,
    ).toBe(bytesCap);
  });

  it('should refuse an answer over maxAnswerTokens (estimated at 4 characters a token when unreported)', async () => {
    const err = await failure({
      kind: 'scripted',
      responses: ['t'.repeat(404)],
      maxAnswerTokens: 100,
    });
    expect(err.message).toBe(
      "provider 'p': answer of 101 completion tokens is over 100 (maxAnswerTokens); raise providers.p.maxAnswerTokens if it is expected",
    );
  });

  it("should not hold an estimate against the call's maxTokens (only a server's own count says it ignored it)", async () => {
    await expect(
      build({ kind: 'scripted', responses: ['t'.repeat(404)] }).complete({
        prompt: 'go',
        maxTokens: 10,
      }),
    ).resolves.toMatchObject({ usage: { completionTokens: 101, estimated: true } });
  });

  it('should refuse a cli answer over maxOutputBytes (its byte cap), non-retryable by default', async () => {
    const err = await failure({
      kind: 'cli',
      command: process.execPath,
      args: [fakeCli, '--mode=flood'],
      maxOutputBytes: 10_000,
    });
    expect(err).toMatchObject({
      name: 'CliOutputCapError',
      message: "provider 'p': output exceeded 10000 bytes",
      nonRetryable: true,
    });
  });

  it('should refuse a cli answer over maxAnswerTokens', async () => {
    const err = await failure(
      { kind: 'cli', command: process.execPath, args: [fakeCli], maxAnswerTokens: 2 },
      { prompt: 'hello there' },
    );
    expect(err.message).toBe(
      "provider 'p': answer of 6 completion tokens is over 2 (maxAnswerTokens); raise providers.p.maxAnswerTokens if it is expected",
    );
  });

  it.each<[string, ProviderConfigInput]>([
    ['scripted', { kind: 'scripted', responses: ['ok'], maxPromptBytes: 100 }],
    ['simulated', { kind: 'simulated', maxPromptBytes: 100 }],
    ['cli', { kind: 'cli', command: '/nonexistent/never-spawned', maxPromptBytes: 100 }],
  ])(
    'should refuse a %s prompt over maxPromptBytes before the call, whatever nonRetryable says',
    async (_kind, input) => {
      const err = await failure(
        { ...input, nonRetryable: [] },
        { prompt: 'p'.repeat(50), system: 's'.repeat(51) },
      );
      expect(err).toBeInstanceOf(ProviderPromptCapError);
      expect(err).toMatchObject({
        message:
          "provider 'p': prompt of 101 bytes is over maxPromptBytes (100); shorten it or raise providers.p.maxPromptBytes",
        kind: 'prompt_cap',
        nonRetryable: true,
      });
    },
  );

  it('should carry the cap errors across the wire with their class, fields and non-retryable flag', () => {
    const errors = [
      new ProviderAnswerCapError('p', 'maxAnswerBytes', 1000),
      new ProviderAnswerCapError('p', 'maxAnswerTokens', 100, 101),
      new ProviderPromptCapError('p', 'maxPromptBytes', 100, 101),
      replyTooLargeError('p', new PayloadTooLargeError('_INBOX.x', 2_000_000, 1_048_576)),
    ];
    for (const err of errors) {
      const back = deserializeProviderError(serializeProviderError(err));
      expect(back).toBeInstanceOf(err.constructor);
      expect(back).toMatchObject({
        message: err.message,
        kind: err.kind,
        nonRetryable: err.nonRetryable,
        limit: err.limit,
        setting: err.setting,
      });
    }
    expect(errors[3]!.message).toBe(
      "provider 'p': answer of 2000000 bytes does not fit the transport's max payload (1048576 bytes); lower providers.p.maxAnswerBytes below it, or over NATS raise the server's max_payload",
    );
  });
});
