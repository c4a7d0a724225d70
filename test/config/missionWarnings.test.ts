import { describe, expect, it } from 'vitest';
import { missionWarnings } from '../../config/missionWarnings.js';

describe('missionWarnings (what may only go wrong where the mission runs)', () => {
  const providers = {
    gpt: { kind: 'openai', model: 'm', apiKeyEnv: 'OPENROUTER_API_KEY' },
    plain: { kind: 'openai', model: 'm' },
    sim: { kind: 'simulated' },
    tool: { kind: 'cli', command: 'codex' },
  };

  it('should warn about each openai key variable unset or empty here, the default one too, and not about other kinds', () => {
    expect(missionWarnings({ providers }, {})).toEqual([
      {
        path: ['providers', 'gpt', 'apiKeyEnv'],
        message:
          'OPENROUTER_API_KEY is not set in this environment (it may be set where the mission runs)',
      },
      {
        path: ['providers', 'plain', 'apiKeyEnv'],
        message:
          'OPENAI_API_KEY is not set in this environment (it may be set where the mission runs)',
      },
    ]);
    expect(
      missionWarnings({ providers }, { OPENROUTER_API_KEY: '', OPENAI_API_KEY: 'sk-1' }),
    ).toEqual([
      {
        path: ['providers', 'gpt', 'apiKeyEnv'],
        message:
          'OPENROUTER_API_KEY is empty in this environment (it may be set where the mission runs)',
      },
    ]);
  });

  it('should say nothing when the keys are set, and nothing about a value the schema will refuse', () => {
    expect(
      missionWarnings({ providers }, { OPENROUTER_API_KEY: 'k', OPENAI_API_KEY: 'k' }),
    ).toEqual([]);
    for (const value of [
      null,
      'x',
      { providers: [] },
      { providers: { gpt: { kind: 'openai', apiKeyEnv: 7 } } },
    ])
      expect(missionWarnings(value, {})).toEqual([]);
  });
});
