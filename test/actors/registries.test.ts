import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerOracle, registerRedFlagger } from '../../actors/maker/redFlag.js';
import { estimateUsage } from '../../actors/providers/usage.js';
import { registerProviderKind } from '../../actors/providers/providerKinds.js';
import type { Provider } from '../../actors/providers/provider.js';
import { registerStepTask } from '../../actors/tasks/registry.js';
import type { StepTask } from '../../actors/tasks/stepTask.js';
import { defineMission } from '../../config/defineMission.js';
import { parseConfigText } from '../../config/loader.js';
import { missionSchema } from '../../config/mission.js';
import { runAndRead } from '../helpers/missions.js';

// What user code writes to type its kinds in defineMission (against 'maestro' from outside).
declare module '../../config/providers.js' {
  interface ProviderKinds {
    counter: { mumbleEvery?: number; wrongEvery?: number };
  }
}
declare module '../../config/maker.js' {
  interface StepTaskKinds {
    count: { to: number };
  }
}

/** A model of the `count` task: answers `next = N+1` to `count: N`, but mumbles or errs on schedule. */
registerProviderKind('counter', {
  schema: z.strictObject({
    /** Every this many calls, an answer starts with "um" (a red flag). */
    mumbleEvery: z.int().positive().optional(),
    /** Every this many calls, an answer counts two (the oracle refuses it). */
    wrongEvery: z.int().positive().optional(),
  }),
  create: (id, config): Provider => {
    let calls = 0;
    return {
      id,
      kind: 'counter',
      complete: async (request) => {
        calls++;
        const n = Number(/count: (\d+)/.exec(request.prompt)?.[1]);
        const step = config.wrongEvery && calls % config.wrongEvery === 0 ? 2 : 1;
        const um = config.mumbleEvery && calls % config.mumbleEvery === 0 ? 'um, ' : '';
        const text = `${um}next = ${n + step}`;
        return {
          text,
          usage: estimateUsage(request.prompt, text),
          costUsd: 0,
          latencyMs: 0,
          provider: id,
          model: config.model ?? 'counter',
        };
      },
    };
  },
});

const countTask = (to: number): StepTask<number> => ({
  kind: 'count',
  initialState: () => 0,
  prompt: (state) => `count: ${state}`,
  parse: (text) => {
    const m = /^next = (\d+)$/.exec(text);
    return m ? { answer: m[1]!, nextState: Number(m[1]) } : { error: 'not next = N' };
  },
  isDone: (state) => state >= to,
  replay: (_state, answer) => Number(answer),
  totalSteps: () => to,
});
registerStepTask('count', {
  schema: z.strictObject({ to: z.int().positive() }),
  create: (config) => countTask(config.to),
});

registerRedFlagger('mumble', (text) => (text.startsWith('um') ? 'hesitates' : undefined));
registerOracle<number>('plusOne', (parse, state) => parse.nextState === state + 1);

describe('registries: a provider kind, a step task, a red-flagger and an oracle from user code', () => {
  it('should run a mission that uses them all, end to end', async () => {
    const config = defineMission({
      name: 'counting',
      providers: { model: { kind: 'counter', mumbleEvery: 3, wrongEvery: 5 } },
      agents: [{ id: 'counter', provider: 'model' }],
      stages: [
        {
          name: 'count',
          maker: {
            task: { kind: 'count', to: 6 },
            agent: 'counter',
            k: 2,
            redFlag: { flaggers: ['mumble'], oracle: 'plusOne' },
          },
        },
      ],
    });
    expect(config.providers['model']).toMatchObject({ kind: 'counter', maxPromptBytes: 1048576 });
    const { output, events } = await runAndRead(config);
    expect(output.status).toBe('succeeded');
    expect(JSON.parse(output.result!)).toEqual({ steps: 6, state: 6 });
    const votes = events.filter((e) => e.type === 'maker.vote');
    expect(votes.map((v) => v['answer'])).toEqual(['1', '2', '3', '4', '5', '6']);
    // Every third call mumbled (red-flagged before it is parsed), every other fifth counted two
    // (refused by the oracle): thrown away, never voted.
    const flagged = votes.map((v) => v['flagged'] ?? {});
    const total = (reason: string) =>
      flagged.reduce((n: number, f) => n + ((f as Record<string, number>)[reason] ?? 0), 0);
    expect(total('custom')).toBeGreaterThan(0);
    expect(total('oracle')).toBeGreaterThan(0);
    const samples = votes.reduce((n, v) => n + (v['samples'] as number), 0);
    expect(total('custom')).toBe(Math.floor(samples / 3));
    expect(total('oracle')).toBe(Math.floor(samples / 5) - Math.floor(samples / 15));
  });

  it('should check a registered kind by its schema, and list the known kinds for an unknown one', () => {
    const yaml = (provider: string, task = 'kind: count, to: 3', redFlag = '') => `
name: checked
providers:
  model: { ${provider} }
agents: [{ id: a, provider: model }]
stages:
  - name: s
    maker: { task: { ${task} }, agent: a, k: 1${redFlag} }
`;
    const problems = (text: string) => {
      try {
        parseConfigText(text, 'm.yaml', missionSchema);
        return [];
      } catch (err) {
        return (err as Error).message.split('\n');
      }
    };
    expect(problems(yaml('kind: counter'))).toEqual([]);
    expect(problems(yaml('kind: counter, mumbleEvery: 0, typo: 1'))).toEqual([
      'm.yaml:4 providers.model.mumbleEvery: expected more than 0',
      'm.yaml:4 providers.model.typo: unknown key',
    ]);
    expect(problems(yaml('kind: count'))).toEqual([
      "m.yaml:4 providers.model.kind: expected kind to be one of 'openai' | 'cli' | 'scripted' | 'simulated' | 'counter'",
    ]);
    expect(problems(yaml('kind: counter', 'kind: count'))).toEqual([
      'm.yaml:8 stages[0].maker.task.to: required',
    ]);
    expect(problems(yaml('kind: counter', 'kind: counter'))).toEqual([
      "m.yaml:8 stages[0].maker.task.kind: expected kind to be one of 'hanoi' | 'json' | 'count'",
    ]);
    expect(
      problems(
        yaml('kind: counter', undefined, ', redFlag: { flaggers: [mumble, fret], oracle: x }'),
      ),
    ).toEqual([
      "m.yaml:8 stages[0].maker.redFlag.flaggers[1]: unknown red-flagger 'fret': expected one of 'mumble'",
      "m.yaml:8 stages[0].maker.redFlag.oracle: unknown oracle 'x': expected one of 'plusOne'",
    ]);
  });

  it('should refuse a kind or a name registered twice (the built-ins are registered), or a bad kind', () => {
    const create = (): Provider => {
      throw new Error('unused');
    };
    expect(() => registerProviderKind('counter', { create })).toThrow(
      "provider kind 'counter' is already registered",
    );
    expect(() => registerProviderKind('openai', { create })).toThrow(
      "provider kind 'openai' is already registered",
    );
    expect(() => registerStepTask('hanoi', { create: () => countTask(1) })).toThrow(
      "step task kind 'hanoi' is already registered",
    );
    expect(() => registerRedFlagger('mumble', () => undefined)).toThrow(
      "red-flagger 'mumble' is already registered",
    );
    expect(() => registerOracle('plusOne', () => true)).toThrow(
      "oracle 'plusOne' is already registered",
    );
    expect(() => registerProviderKind('bad kind', { create })).toThrow(
      "provider kind 'bad kind': expected letters, digits, _ or - only",
    );
  });
});
