import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../kernel/clock.js';
import { simulatedProviderSchema, type ProviderConfigInput } from '../../../config/providers.js';
import { ProviderError } from '../../../actors/providers/errors.js';
import { SimulatedProvider } from '../../../actors/providers/simulated.js';
import {
  formatMove,
  hanoiNextMove,
  hanoiTask,
  isParseFailure,
} from '../../../actors/tasks/index.js';

type Input = Omit<Extract<ProviderConfigInput, { kind: 'simulated' }>, 'kind'>;

function simulated(input: Input, clock = new ManualClock()): SimulatedProvider {
  return new SimulatedProvider(
    'sim',
    simulatedProviderSchema.parse({ kind: 'simulated', ...input }),
    clock,
  );
}

const state = hanoiTask.initialState({ disks: 4 });
const prompt = hanoiTask.prompt(state, 0, undefined);
const truth = formatMove(hanoiNextMove(state, 0));

/** Per call: the parsed answer, `!reason` for a red flag, or the error message. */
async function outcomes(provider: SimulatedProvider, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await provider.complete({ prompt }).then(
        (r) => {
          const parsed = hanoiTask.parse(r.text, state);
          return isParseFailure(parsed) ? `!${parsed.error}` : parsed.answer;
        },
        (e: Error) => e.message,
      ),
    );
  }
  return out;
}

describe('simulated provider config, task mode', () => {
  it('should apply the task defaults and leave crashRate out', () => {
    expect(
      simulatedProviderSchema.parse({ kind: 'simulated', errorRate: 0.1, task: { kind: 'hanoi' } }),
    ).toEqual({
      kind: 'simulated',
      errorRate: 0.1,
      task: { kind: 'hanoi', errorMode: 'dominant', correlation: 0.5, redFlagRate: 0 },
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

  it('should reject an unknown task, an unknown key, rates outside [0, 1] and answers with a task', () => {
    const issues = (input: Record<string, unknown>) =>
      simulatedProviderSchema.safeParse({ kind: 'simulated', ...input }).error?.issues;
    expect(issues({ task: { kind: 'sudoku' } })).toMatchObject([{ path: ['task', 'kind'] }]);
    expect(issues({ task: { kind: 'hanoi', mode: 'varied' } })).toMatchObject([
      { code: 'unrecognized_keys', keys: ['mode'], path: ['task'] },
    ]);
    expect(issues({ task: { kind: 'hanoi', errorMode: 'random' } })).toMatchObject([
      { path: ['task', 'errorMode'] },
    ]);
    expect(issues({ task: { kind: 'hanoi', correlation: 1.5 } })).toMatchObject([
      { path: ['task', 'correlation'] },
    ]);
    expect(issues({ task: { kind: 'hanoi', redFlagRate: -0.1 } })).toMatchObject([
      { path: ['task', 'redFlagRate'] },
    ]);
    expect(issues({ crashRate: 2 })).toMatchObject([{ path: ['crashRate'] }]);
    expect(issues({ task: { kind: 'hanoi' }, answers: ['a'] })).toMatchObject([
      { path: ['answers'], message: 'cannot be combined with task: the task decides the answers' },
    ]);
  });
});

describe('simulated provider, task mode', () => {
  it('should answer the prompt right at errorRate 0, with no timer at latency 0', async () => {
    const clock = new ManualClock();
    const provider = simulated({ task: { kind: 'hanoi' } }, clock);
    const call = provider.complete({ prompt });
    expect(clock.pending).toBe(0);
    const result = await call;
    expect(result.text).toBe('move = [1, 0, 1]\nnext_state = [[4, 3, 2], [1], []]');
    expect(result.latencyMs).toBe(0);
  });

  it('should answer wrong, never crash, at errorRate 1', async () => {
    const out = await outcomes(simulated({ errorRate: 1, task: { kind: 'hanoi' } }), 50);
    expect(new Set(out)).toEqual(new Set(['[1,0,2]']));
    expect(truth).toBe('[1,0,1]');
  });

  it('should be deterministic for a seed, and differ across seeds', async () => {
    const config: Input = {
      errorRate: 0.3,
      crashRate: 0.1,
      task: { kind: 'hanoi', errorMode: 'varied', redFlagRate: 0.2 },
      seed: 42,
      latencyMs: { distribution: 'uniform', minMs: 0, maxMs: 0 },
    };
    const first = await outcomes(simulated(config), 200);
    expect(await outcomes(simulated(config), 200)).toEqual(first);
    expect(await outcomes(simulated({ ...config, seed: 43 }), 200)).not.toEqual(first);
    expect(first.filter((o) => o.includes('simulated crash')).length).toBeGreaterThan(5);
  });

  it('should crash at crashRate in both modes', async () => {
    const count = async (input: Input): Promise<number> =>
      (await outcomes(simulated(input), 4_000)).filter((o) =>
        o.startsWith("provider 'sim': simulated crash on call #"),
      ).length;
    expect(
      Math.abs((await count({ crashRate: 0.2, task: { kind: 'hanoi' } })) / 4_000 - 0.2),
    ).toBeLessThan(0.025);
    expect(Math.abs((await count({ crashRate: 0.2 })) / 4_000 - 0.2)).toBeLessThan(0.025);
    // Without a task, errorRate crashes too: 1 - 0.9 * 0.8 = 0.28.
    expect(Math.abs((await count({ errorRate: 0.1, crashRate: 0.2 })) / 4_000 - 0.28)).toBeLessThan(
      0.025,
    );
  });

  it("should fail without retry on a prompt that is not the task's", async () => {
    const call = simulated({ task: { kind: 'hanoi' } }).complete({
      prompt: 'Summarize this file.',
    });
    await expect(call).rejects.toBeInstanceOf(ProviderError);
    await expect(call).rejects.toMatchObject({
      kind: 'crash',
      retryable: false,
      message:
        "provider 'sim': simulated task model: not a hanoi prompt: no previous move in 'Summarize this file.'",
    });
  });
});
