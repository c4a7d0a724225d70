import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  describeDifferences,
  providerIdentity,
} from '../../config/providerIdentity.js';
import { providerConfigSchema, type ProviderConfigInput } from '../../config/providers.js';
import { registerSecret } from '../../kernel/secrets.js';

const parse = (p: ProviderConfigInput) => providerConfigSchema.parse(p);

describe('provider identity (the secret-free canonical definition and its hash)', () => {
  it('should sort keys at every depth and leave undefined members out', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[{"y":2,"z":1}]},"b":1}',
    );
  });

  it('should give one hash to one definition, whatever its key order and whichever defaults were written out', () => {
    const short = providerIdentity(
      parse({ kind: 'simulated', latencyMs: { distribution: 'fixed', ms: 5 } }),
    );
    const long = providerIdentity(
      parse({
        seed: 1,
        latencyMs: { ms: 5, distribution: 'fixed' },
        model: 'simulated',
        errorRate: 0,
        kind: 'simulated',
      }),
    );
    expect(long.hash).toBe(short.hash);
    expect(short.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(
      providerIdentity(parse({ kind: 'simulated', latencyMs: { distribution: 'fixed', ms: 6 } }))
        .hash,
    ).not.toBe(short.hash);
  });

  it('should show short fields as JSON, long ones by digest, and headers and registered secrets by digest only', () => {
    registerSecret('sk-identity-test-0123456789');
    const id = providerIdentity(
      parse({
        kind: 'openai',
        model: 'gpt-x',
        baseURL: 'http://127.0.0.1:1/v1',
        headers: { 'X-Title': 'maestro' },
      }),
    );
    expect(id.fields).toMatchObject({
      kind: '"openai"',
      model: '"gpt-x"',
      apiKeyEnv: '"OPENAI_API_KEY"',
      timeoutMs: '60000',
    });
    expect(id.fields.headers).toMatch(/^sha256:[0-9a-f]{16}$/);
    const cli = providerIdentity(
      parse({ kind: 'cli', command: 'tool', args: ['--key', 'sk-identity-test-0123456789'] }),
    );
    expect(cli.fields.args).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(JSON.stringify(cli)).not.toContain('sk-identity-test');
    const withUser = providerIdentity(
      parse({ kind: 'openai', model: 'm', baseURL: 'http://me:hunter2@127.0.0.1:1/v1' }),
    );
    expect(withUser.fields.baseURL).toMatch(/^sha256:[0-9a-f]{16}$/);
    const scripted = providerIdentity(parse({ kind: 'scripted', responses: ['x'.repeat(100)] }));
    expect(scripted.fields.responses).toMatch(/^sha256:[0-9a-f]{16}$/);
  });

  it("should name each differing field, the worker's value first", () => {
    const worker = providerIdentity(
      parse({ kind: 'simulated', model: 'a', latencyMs: { distribution: 'fixed', ms: 0 } }),
    );
    const mission = providerIdentity(
      parse({
        kind: 'simulated',
        model: 'b',
        latencyMs: { distribution: 'fixed', ms: 50 },
        answers: ['yes'],
      }),
    );
    expect(describeDifferences(worker, mission)).toEqual([
      'answers (none) (worker) ≠ ["yes"] (mission)',
      'latencyMs {"distribution":"fixed","ms":0} (worker) ≠ {"distribution":"fixed","ms":50} (mission)',
      "model 'a' (worker) ≠ 'b' (mission)",
    ]);
    expect(describeDifferences(worker, worker)).toEqual([]);
  });

  it('should compare a field one side hides with the value the other shows, by digest', () => {
    const shown = providerIdentity(parse({ kind: 'cli', command: 'tool', args: ['plain'] }));
    expect(shown.fields.args).toBe('["plain"]');
    const digestOf = (json: string) =>
      `sha256:${createHash('sha256').update(json).digest('hex').slice(0, 16)}`;
    // What a process that holds the arg as a secret advertises: the same value, hidden.
    const hiding = (json: string) => ({
      hash: 'other',
      fields: { ...shown.fields, args: digestOf(json) },
    });
    expect(describeDifferences(hiding('["plain"]'), shown)).toEqual([]);
    expect(describeDifferences(hiding('["other"]'), shown)).toEqual([
      `args ${digestOf('["other"]')} (worker) ≠ ${digestOf('["plain"]')} (mission)`,
    ]);
  });
});
