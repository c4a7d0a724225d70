import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../kernel/clock.js';
import { UserError } from '../../../kernel/errors.js';
import { providerConfigSchema } from '../../../config/providers.js';
import {
  CliProvider,
  OpenAIProvider,
  ScriptedProvider,
  SimulatedProvider,
  createProvider,
} from '../../../actors/providers/index.js';

describe('createProvider', () => {
  it('should build the provider of each kind with its id', () => {
    const env = { OPENAI_API_KEY: 'sk-x' };
    const cases = [
      [{ kind: 'openai', model: 'gpt-4o-mini' }, OpenAIProvider],
      [{ kind: 'cli', command: 'codex' }, CliProvider],
      [{ kind: 'scripted', responses: ['ok'] }, ScriptedProvider],
      [{ kind: 'simulated' }, SimulatedProvider],
    ] as const;
    for (const [input, cls] of cases) {
      const provider = createProvider('p1', providerConfigSchema.parse(input), {
        env,
        clock: new ManualClock(),
      });
      expect(provider).toBeInstanceOf(cls);
      expect([provider.id, provider.kind]).toEqual(['p1', input.kind]);
    }
  });

  it('should label a cli provider with its command unless a model is given', () => {
    const plain = createProvider(
      'c',
      providerConfigSchema.parse({ kind: 'cli', command: 'gemini' }),
    ) as CliProvider;
    const named = createProvider(
      'c',
      providerConfigSchema.parse({ kind: 'cli', command: 'gemini', model: 'g-2' }),
    ) as CliProvider;
    expect([plain.model, named.model]).toEqual(['gemini', 'g-2']);
  });

  it('should use the injected clock', async () => {
    const clock = new ManualClock();
    const config = providerConfigSchema.parse({
      kind: 'scripted',
      responses: [{ text: 'later', delayMs: 10 }],
    });
    const call = createProvider('s', config, { clock }).complete({ prompt: 'p' });
    clock.advance(10);
    expect((await call).text).toBe('later');
  });

  it('should read API keys from the injected environment', () => {
    const config = providerConfigSchema.parse({ kind: 'openai', model: 'm' });
    expect(() => createProvider('gpt', config, { env: {} })).toThrow(
      new UserError("providers.gpt.apiKeyEnv: environment variable 'OPENAI_API_KEY' is not set"),
    );
  });
});
