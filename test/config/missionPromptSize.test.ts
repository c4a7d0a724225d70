import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../kernel/errors.js';
import { parseConfigText } from '../../config/loader.js';
import { loggedMissionSchema, missionSchema } from '../../config/mission.js';

const file = (providers: string, prompt: string, role = '') => `name: m
providers:
${providers}
agents:
  - id: a
    provider: p
${role}
stages:
  - name: s
    agents: [a]
    prompt: "${prompt}"
`;

function configError(text: string): ConfigError {
  try {
    parseConfigText(text, 'm.yaml', missionSchema, { env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe("a stage prompt's static size (missionRules)", () => {
  it("should refuse a prompt over its provider's maxPromptBytes at load, with FILE:LINE and the path", () => {
    const err = configError(
      file('  p: { kind: scripted, responses: [ok], maxPromptBytes: 1000 }', 'x'.repeat(1001)),
    );
    expect(err.message).toBe(
      "m.yaml:11 stages[0].prompt: prompt of 1001 bytes is over provider 'p' maxPromptBytes (1000)",
    );
  });

  it('should count the role of the agent that answers, and UTF-8 bytes, not characters', () => {
    const err = configError(
      file(
        '  p: { kind: simulated, maxPromptBytes: 100 }',
        'é'.repeat(40),
        `    role: "${'r'.repeat(21)}"`,
      ),
    );
    expect(err.message).toBe(
      "m.yaml:11 stages[0].prompt: prompt of 101 bytes (with the role of agent 'a') is over provider 'p' maxPromptBytes (100)",
    );
  });

  it('should hold a prompt to the 1 MiB default when the provider sets none (a config built in code: a file that big is refused first)', () => {
    const r = missionSchema.safeParse({
      name: 'm',
      providers: { p: { kind: 'scripted', responses: ['ok'] } },
      agents: [{ id: 'a', provider: 'p' }],
      stages: [{ name: 's', agents: ['a'], prompt: 'x'.repeat(1024 * 1024 + 1) }],
    });
    expect(r.error?.issues).toEqual([
      {
        code: 'custom',
        path: ['stages', 0, 'prompt'],
        message: "prompt of 1048577 bytes is over provider 'p' maxPromptBytes (1048576)",
      },
    ]);
  });

  it('should accept a prompt at the cap, and leave what {{input}} adds to the call', () => {
    const ok = parseConfigText(
      file(
        '  p: { kind: scripted, responses: [ok], maxPromptBytes: 1000 }',
        `${'x'.repeat(991)}{{input}}`,
      ),
      'm.yaml',
      missionSchema,
      { env: {} },
    );
    expect(ok.stages[0]).toMatchObject({ name: 's' });
  });

  it('should not stop a logged config from resuming (it was accepted when submitted)', () => {
    const value = {
      name: 'm',
      providers: { p: { kind: 'scripted', responses: ['ok'], maxPromptBytes: 10 } },
      agents: [{ id: 'a', provider: 'p' }],
      stages: [{ name: 's', agents: ['a'], prompt: 'x'.repeat(11) }],
    };
    expect(missionSchema.safeParse(value).error?.issues).toMatchObject([
      { path: ['stages', 0, 'prompt'] },
    ]);
    expect(loggedMissionSchema.safeParse(value).success).toBe(true);
  });

  it("should hold a json step task's own prompt to its agent's provider's cap", () => {
    const r = missionSchema.safeParse({
      name: 'm',
      providers: { p: { kind: 'simulated', maxPromptBytes: 50 } },
      agents: [{ id: 'a', provider: 'p' }],
      stages: [
        {
          name: 's',
          maker: {
            agent: 'a',
            k: 2,
            task: {
              kind: 'json',
              initialState: {},
              prompt: `{{state}}${'x'.repeat(50)}`,
              goal: { done: true },
            },
          },
        },
      ],
    });
    expect(r.error?.issues).toEqual([
      {
        code: 'custom',
        path: ['stages', 0, 'maker', 'task', 'prompt'],
        message: "prompt of 59 bytes is over provider 'p' maxPromptBytes (50)",
      },
    ]);
  });
});
