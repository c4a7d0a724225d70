import { describe, expect, it } from 'vitest';
import { defineMission } from '../../config/defineMission.js';
import { parseConfigText } from '../../config/loader.js';
import { missionSchema } from '../../config/mission.js';
import { ConfigError } from '../../kernel/errors.js';

const yaml = `
name: hello
input: supervision trees
providers:
  poet:
    kind: scripted
    responses: ["Workers fall and rise"]
agents:
  - id: drafter
    provider: poet
    role: You write haiku.
stages:
  - name: draft
    prompt: "Write a haiku about {{input}}."
    agents: [drafter]
    approval: true
  - name: solve
    maker:
      task: { kind: hanoi, disks: 3 }
      agent: drafter
      k: 2
`;

describe('defineMission', () => {
  it('should give what the YAML loader gives for the same content, defaults applied', () => {
    const mission = defineMission({
      name: 'hello',
      input: 'supervision trees',
      providers: { poet: { kind: 'scripted', responses: ['Workers fall and rise'] } },
      agents: [{ id: 'drafter', provider: 'poet', role: 'You write haiku.' }],
      stages: [
        {
          name: 'draft',
          prompt: 'Write a haiku about {{input}}.',
          agents: ['drafter'],
          approval: true,
        },
        { name: 'solve', maker: { task: { kind: 'hanoi', disks: 3 }, agent: 'drafter', k: 2 } },
      ],
    });
    expect(mission).toEqual(parseConfigText(yaml, 'hello.yaml', missionSchema));
    expect(mission.stages[0]!.supervision).toEqual({
      strategy: 'one_for_one',
      intensity: 1,
      periodMs: 5000,
      restart: 'transient',
      shutdownMs: 5000,
    });
  });

  it('should throw the ConfigError the loader throws, every issue at its path, the cross-field rules included', () => {
    const wrong = {
      name: 'bad name',
      providers: { poet: { kind: 'scripted', responses: [] } },
      agents: [{ id: 'drafter', provider: 'nobody', temprature: 1 }],
      stages: [{ name: 'draft', prompt: 'p', agents: ['ghost'] }],
    };
    const err = captured(() => defineMission(wrong as never));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe(
      [
        'defineMission name: expected letters, digits, _ or - only',
        'defineMission providers.poet.responses: expected at least 1 item',
        'defineMission agents[0].temprature: unknown key',
        "defineMission agents[0].provider: unknown provider 'nobody' (known: poet)",
        "defineMission stages[0].agents[0]: unknown agent 'ghost' (known: drafter)",
      ].join('\n'),
    );
    expect(err).toMatchObject({ file: 'defineMission' });
    expect(err.issues[0]).toEqual({
      path: 'name',
      message: 'expected letters, digits, _ or - only',
    });
  });

  it('should refuse a wrong field at compile time', () => {
    const call = () =>
      defineMission({
        name: 'typed',
        providers: { p: { kind: 'scripted', responses: ['ok'] } },
        agents: [{ id: 'a', provider: 'p' }],
        // @ts-expect-error `agent` is no field of a stage (its agents are `agents`)
        stages: [{ name: 's', prompt: 'hi', agent: ['a'] }],
      });
    expect(call).toThrow('defineMission stages[0].agent: unknown key');
    const kind = () =>
      defineMission({
        name: 'k',
        // @ts-expect-error a provider kind that is neither built in nor registered (in types)
        providers: { p: { kind: 'nope' } },
        agents: [{ id: 'a', provider: 'p' }],
        stages: [{ name: 's', prompt: 'hi', agents: ['a'] }],
      });
    expect(kind).toThrow(
      "defineMission providers.p.kind: expected kind to be one of 'openai' | 'cli' | 'scripted' | 'simulated'",
    );
  });
});

function captured(f: () => unknown): ConfigError {
  try {
    f();
  } catch (err) {
    return err as ConfigError;
  }
  throw new Error('expected a throw');
}
