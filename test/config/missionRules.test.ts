import { describe, expect, it } from 'vitest';
import { createJsonTask } from '../../actors/tasks/jsonTask.js';
import { ConfigError } from '../../kernel/errors.js';
import { parseConfigText } from '../../config/loader.js';
import { missionSchema, type StageConfig } from '../../config/mission.js';
import { missionRules, STAGE_PLACEHOLDERS, STEP_PLACEHOLDERS } from '../../config/missionRules.js';
import { stagePrompt } from '../../machines/stageSpec.js';

function messageOf(text: string): string {
  try {
    parseConfigText(text, 'm.yaml', missionSchema, { env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const head = 'name: m\nproviders:\n  p: { kind: scripted, responses: [hi] }\n';

// On one line (flow style), the schema's errors come before the rules'.
describe('mission cross-field rules, in one pass with the schema', () => {
  it('should report a schema error, an unknown provider and an unknown placeholder together, by line', () => {
    const text =
      head +
      'agents:\n' +
      '  - id: a\n' +
      '    provider: gpt\n' + // 6: unknown provider
      '    temperature: hot\n' + // 7: schema error (aborts the agent's parse)
      'stages:\n' +
      '  - name: s\n' +
      '    prompt: "Explain {{inptu}}"\n' + // 10: unknown placeholder
      '    agents: [a]\n';
    expect(messageOf(text)).toBe(
      "m.yaml:6 agents[0].provider: unknown provider 'gpt' (known: p)\n" +
        'm.yaml:7 agents[0].temperature: expected number, received string\n' +
        "m.yaml:10 stages[0].prompt: unknown placeholder '{{inptu}}' (known: {{input}}, {{previous}})",
    );
  });

  it('should check stages even when the agents list has a type error, and count a broken agent as known', () => {
    const text =
      head +
      'agents:\n  - { id: a, provider: p, maxTokens: -1 }\nstages:\n  - { name: s, prompt: go, agents: [a, b] }\n  - { name: s, prompt: go, agents: [a], colour: red }\n';
    expect(messageOf(text)).toBe(
      'm.yaml:5 agents[0].maxTokens: expected more than 0\n' +
        "m.yaml:7 stages[0].agents[1]: unknown agent 'b' (known: a)\n" +
        'm.yaml:8 stages[1].colour: unknown key\n' +
        "m.yaml:8 stages[1].name: duplicate stage name 's'",
    );
  });

  it('should count a provider with errors of its own as known (one mistake, one message)', () => {
    const text =
      'name: m\nproviders:\n  p: { kind: scripted }\nagents: [{ id: a, provider: p }]\nstages: [{ name: s, prompt: go, agents: [a] }]\n';
    expect(messageOf(text)).toBe('m.yaml:3 providers.p.responses: required');
  });

  it('should report an unknown plan role and an unknown maker agent next to a schema error elsewhere', () => {
    const text =
      head +
      'agents: [{ id: a, provider: p }]\n' +
      'stages:\n' +
      '  - name: plan\n' +
      '    plan: { goal: "{{input}}", planner: ghost, maxParallel: 0 }\n' +
      '  - name: solve\n' +
      '    maker: { agent: nobody, k: 2, task: { kind: hanoi, disks: 3 } }\n';
    expect(messageOf(text)).toBe(
      'm.yaml:7 stages[0].plan.maxParallel: expected more than 0\n' +
        "m.yaml:7 stages[0].plan.planner: unknown agent 'ghost' (known: a)\n" +
        "m.yaml:9 stages[1].maker.agent: unknown agent 'nobody' (known: a)",
    );
  });
});

describe('placeholders in the fields Maestro fills', () => {
  const withPrompt = (prompt: string) =>
    head +
    `agents: [{ id: a, provider: p }]\nstages:\n  - name: s\n    prompt: ${JSON.stringify(prompt)}\n    agents: [a]\n`;

  it('should accept the known placeholders and braces that are not placeholders', () => {
    for (const prompt of [
      '{{input}} then {{previous}}',
      'Reply as {"a": {"b": 1}}',
      'JSON like {{"a": 1}} is text',
      'a {{#each}} section',
      'one { brace }',
    ]) {
      expect(
        () => parseConfigText(withPrompt(prompt), 'm.yaml', missionSchema, { env: {} }),
        prompt,
      ).not.toThrow();
    }
  });

  it('should name each unknown placeholder once, spaced ones too', () => {
    expect(messageOf(withPrompt('{{inptu}} {{ input }} {{inptu}} {{step}}'))).toBe(
      "m.yaml:7 stages[0].prompt: unknown placeholder '{{inptu}}' (known: {{input}}, {{previous}})\n" +
        "m.yaml:7 stages[0].prompt: unknown placeholder '{{ input }}' (known: {{input}}, {{previous}})\n" +
        "m.yaml:7 stages[0].prompt: unknown placeholder '{{step}}' (known: {{input}}, {{previous}})",
    );
  });

  it("should check a plan goal against the stage placeholders and a json step prompt against the step task's", () => {
    const text =
      head +
      'agents: [{ id: a, provider: p }]\n' +
      'stages:\n' +
      '  - name: plan\n' +
      '    plan: { goal: "{{goal}} from {{input}}", planner: a }\n' +
      '  - name: count\n' +
      '    maker: { agent: a, k: 2, task: { kind: json, initialState: 1, prompt: "{{state}} {{step}} {{previous}} {{input}}" } }\n';
    expect(messageOf(text)).toBe(
      "m.yaml:7 stages[0].plan.goal: unknown placeholder '{{goal}}' (known: {{input}}, {{previous}})\n" +
        "m.yaml:9 stages[1].maker.task.prompt: unknown placeholder '{{input}}' (known: {{state}}, {{previous}}, {{step}})",
    );
  });

  it('should know exactly the placeholders that stagePrompt and the json task fill', () => {
    const stage = {
      name: 's',
      prompt: STAGE_PLACEHOLDERS.map((p) => `{{${p}}}`).join(' '),
    } as StageConfig;
    expect(stagePrompt(stage, 'IN', { name: 'prev', text: 'PREV' })).toBe('IN PREV');
    const task = createJsonTask({
      initialState: 7,
      prompt: STEP_PLACEHOLDERS.map((p) => `{{${p}}}`).join(' '),
    });
    expect(
      task.prompt(task.initialState({ initialState: 7, prompt: '' }), 3, 'last').split('\n')[0],
    ).toBe('7 last 3');
  });
});

describe('missionRules over values the schema refused', () => {
  it('should say nothing about fields of the wrong type (the schema does) and never throw', () => {
    for (const value of [
      null,
      5,
      'x',
      [],
      { providers: 3, agents: 'a', stages: {} },
      { agents: [null, 7, { id: 3, provider: [] }], stages: [null, { agents: 'a', prompt: 4 }] },
    ]) {
      expect(() => missionRules(value)).not.toThrow();
    }
    expect(
      missionRules({
        providers: {},
        agents: [{ id: 3, provider: [] }],
        stages: [{ name: 's', prompt: 4, agents: [1, 1] }],
      }),
    ).toEqual([]);
  });
});
