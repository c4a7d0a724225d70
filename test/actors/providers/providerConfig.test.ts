import { describe, expect, it } from 'vitest';
import {
  cliProviderSchema,
  openaiProviderSchema,
  providerConfigSchema,
  scriptedProviderSchema,
  simulatedProviderSchema,
} from '../../../config/providers.js';

describe('provider config schemas', () => {
  it('should apply the openai defaults', () => {
    expect(providerConfigSchema.parse({ kind: 'openai', model: 'gpt-4o-mini' })).toEqual({
      kind: 'openai',
      baseURL: 'https://api.openai.com/v1',
      apiKeyEnv: 'OPENAI_API_KEY',
      model: 'gpt-4o-mini',
      prices: { inputPerMTok: 0, outputPerMTok: 0 },
      timeoutMs: 60_000,
      maxRetries: 2,
      maxAnswerBytes: 4_194_304,
      maxPromptBytes: 1_048_576,
      nonRetryable: [
        'http_400',
        'http_401',
        'http_403',
        'http_404',
        'http_422',
        'spawn',
        'output_cap',
      ],
    });
  });

  it('should apply the cli defaults and leave model to default to the command', () => {
    expect(cliProviderSchema.parse({ kind: 'cli', command: 'codex' })).toEqual({
      kind: 'cli',
      command: 'codex',
      args: [],
      timeoutMs: 300_000,
      maxOutputBytes: 1_000_000,
      envAllowlist: ['PATH', 'HOME', 'LANG'],
      maxPromptBytes: 1_048_576,
      maxRetries: 0,
      retryBackoffMs: 500,
      nonRetryable: [
        'http_400',
        'http_401',
        'http_403',
        'http_404',
        'http_422',
        'spawn',
        'output_cap',
      ],
    });
  });

  it("should fill in a cli's worktree sandbox and refuse a relative read-only path", () => {
    const config = cliProviderSchema.parse({
      kind: 'cli',
      command: 'codex',
      sandbox: { readOnly: ['/opt/codex'] },
    });
    expect(config.sandbox).toEqual({
      kind: 'bwrap',
      network: true,
      readOnly: ['/opt/codex'],
      memoryMb: 4096,
    });
    const bad = cliProviderSchema.safeParse({
      kind: 'cli',
      command: 'codex',
      sandbox: { readOnly: ['.codex'], memoryMb: 512 },
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['sandbox.readOnly.0', 'expected an absolute path'],
      ['sandbox.memoryMb', 'expected at least 1024 (V8 maps 1 GiB at start)'],
    ]);
  });

  it('should apply the scripted defaults, errorKind included', () => {
    expect(
      scriptedProviderSchema.parse({ kind: 'scripted', responses: ['a', { error: 'boom' }] }),
    ).toEqual({
      kind: 'scripted',
      responses: ['a', { error: 'boom', errorKind: 'crash' }],
      onExhausted: 'repeat_last',
      model: 'scripted',
      maxAnswerBytes: 4_194_304,
      maxPromptBytes: 1_048_576,
      maxRetries: 0,
      retryBackoffMs: 500,
      nonRetryable: [
        'http_400',
        'http_401',
        'http_403',
        'http_404',
        'http_422',
        'spawn',
        'output_cap',
      ],
    });
  });

  it('should apply the simulated defaults', () => {
    expect(simulatedProviderSchema.parse({ kind: 'simulated' })).toEqual({
      kind: 'simulated',
      errorRate: 0,
      seed: 1,
      latencyMs: { distribution: 'fixed', ms: 0 },
      model: 'simulated',
      prices: { inputPerMTok: 0, outputPerMTok: 0 },
      maxAnswerBytes: 4_194_304,
      maxPromptBytes: 1_048_576,
      maxRetries: 0,
      retryBackoffMs: 500,
      nonRetryable: [
        'http_400',
        'http_401',
        'http_403',
        'http_404',
        'http_422',
        'spawn',
        'output_cap',
      ],
    });
  });

  it('should refuse a nonRetryable entry that names no error type, saying which ones exist', () => {
    const r = scriptedProviderSchema.safeParse({
      kind: 'scripted',
      responses: ['a'],
      nonRetryable: ['http_401', '401'],
    });
    expect(r.error?.issues).toMatchObject([
      {
        path: ['nonRetryable', 1],
        message:
          "expected 'http_<status>' or one of timeout, rate_limit, server, malformed, crash, exit, output_cap, spawn, got '401'",
      },
    ]);
  });

  it('should fill in a partial prices object', () => {
    const parsed = openaiProviderSchema.parse({
      kind: 'openai',
      model: 'm',
      prices: { inputPerMTok: 2.5 },
    });
    expect(parsed.prices).toEqual({ inputPerMTok: 2.5, outputPerMTok: 0 });
  });

  it('should reject an unknown key, nested ones too', () => {
    const top = providerConfigSchema.safeParse({ kind: 'openai', model: 'm', apiKey: 'sk-x' });
    expect(top.error?.issues).toMatchObject([
      { code: 'unrecognized_keys', keys: ['apiKey'], path: [] },
    ]);
    const nested = providerConfigSchema.safeParse({
      kind: 'openai',
      model: 'm',
      prices: { input: 1 },
    });
    expect(nested.error?.issues).toMatchObject([
      { code: 'unrecognized_keys', keys: ['input'], path: ['prices'] },
    ]);
  });

  it('should reject an unknown kind', () => {
    const result = providerConfigSchema.safeParse({ kind: 'anthropic', model: 'm' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['kind']);
  });

  it('should reject an empty script, an error rate above 1 and an inverted uniform latency', () => {
    expect(providerConfigSchema.safeParse({ kind: 'scripted', responses: [] }).success).toBe(false);
    expect(providerConfigSchema.safeParse({ kind: 'simulated', errorRate: 1.5 }).success).toBe(
      false,
    );
    const inverted = providerConfigSchema.safeParse({
      kind: 'simulated',
      latencyMs: { distribution: 'uniform', minMs: 50, maxMs: 10 },
    });
    expect(inverted.error?.issues).toMatchObject([
      { path: ['latencyMs', 'maxMs'], message: 'must be at least minMs' },
    ]);
  });

  it('should reject a base URL that is not http or https', () => {
    expect(
      providerConfigSchema.safeParse({ kind: 'openai', model: 'm', baseURL: 'ftp://x/v1' }).success,
    ).toBe(false);
    expect(
      providerConfigSchema.safeParse({ kind: 'openai', model: 'm', baseURL: 'localhost' }).success,
    ).toBe(false);
  });
});
