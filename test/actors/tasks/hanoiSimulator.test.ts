import { describe, expect, it } from 'vitest';
import { mulberry32, type Random } from '../../../actors/providers/random.js';
import {
  HanoiPromptError,
  applyMove,
  formatMove,
  hanoiNextMove,
  hanoiSimulatedAnswer,
  hanoiSolution,
  hanoiTask,
  isParseFailure,
  stepErrorRate,
  type HanoiSimulatorOptions,
  type HanoiState,
} from '../../../actors/tasks/index.js';

interface Step {
  state: HanoiState;
  prompt: string;
  truth: string;
}

/** The first `count` steps of the true solution for n disks, with their prompts. */
function steps(n: number, count: number): Step[] {
  const out: Step[] = [];
  let state = hanoiTask.initialState({ disks: n });
  let previous: string | undefined;
  for (const move of hanoiSolution(n)) {
    if (out.length === count) break;
    out.push({
      state,
      prompt: hanoiTask.prompt(state, out.length, previous),
      truth: formatMove(move),
    });
    state = applyMove(state, move);
    previous = formatMove(move);
  }
  return out;
}

/** `answer` when the text parses, `!reason` when it does not. */
function judge(step: Step, text: string): string {
  const r = hanoiTask.parse(text, step.state);
  return isParseFailure(r) ? `!${r.error}` : r.answer;
}

function sample(step: Step, random: Random, options: HanoiSimulatorOptions, k: number): string[] {
  return Array.from({ length: k }, () =>
    judge(step, hanoiSimulatedAnswer(step.prompt, random, options)),
  );
}

function variance(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
}

describe('simulated hanoi model', () => {
  it('should solve 10 disks by itself at errorRate 0, fed its own answers', () => {
    const random = mulberry32(1);
    let state = hanoiTask.initialState({ disks: 10 });
    let previous: string | undefined;
    let step = 0;
    const truth = hanoiSolution(10);
    while (!hanoiTask.isDone(state, step)) {
      const text = hanoiSimulatedAnswer(hanoiTask.prompt(state, step, previous), random, {
        errorRate: 0,
      });
      const r = hanoiTask.parse(text, state);
      if (isParseFailure(r)) throw new Error(`step ${step}: ${r.error}`);
      expect(r.answer).toBe(formatMove(hanoiNextMove(state, step)));
      expect(r.answer).toBe(formatMove(truth.next().value!));
      state = r.nextState;
      previous = r.answer;
      step++;
    }
    expect(step).toBe(1_023);
  });

  it('should draw exactly three numbers a call, whatever it answers', () => {
    let draws = 0;
    const base = mulberry32(5);
    const counting: Random = () => (draws++, base());
    const all = steps(6, 40);
    const options: HanoiSimulatorOptions = {
      errorRate: 0.3,
      errorMode: 'correlated',
      redFlagRate: 0.3,
    };
    for (const s of all) hanoiSimulatedAnswer(s.prompt, counting, options);
    expect(draws).toBe(3 * all.length);
    expect(() => hanoiSimulatedAnswer('what is 2 + 2?', counting, options)).toThrow(
      HanoiPromptError,
    );
    expect(draws).toBe(3 * all.length + 3);
  });

  it('should give one well-formed wrong answer per state in dominant mode', () => {
    const random = mulberry32(2);
    for (const step of steps(8, 30)) {
      const answers = sample(step, random, { errorRate: 0.3 }, 200);
      const wrong = answers.filter((a) => a !== step.truth);
      expect(wrong.every((a) => !a.startsWith('!'))).toBe(true);
      expect(new Set(wrong).size).toBe(1);
      expect(wrong.length / 200).toBeGreaterThan(0.18);
      expect(wrong.length / 200).toBeLessThan(0.42);
    }
  });

  it('should spread wrong answers over every wrong legal move in varied mode', () => {
    const random = mulberry32(3);
    const step = steps(8, 10)[5]!; // three legal moves: the true one and two wrong ones
    const answers = sample(step, random, { errorRate: 0.5, errorMode: 'varied' }, 400);
    const wrong = answers.filter((a) => a !== step.truth);
    expect(wrong.every((a) => !a.startsWith('!'))).toBe(true);
    const counts = new Map<string, number>();
    for (const a of wrong) counts.set(a, (counts.get(a) ?? 0) + 1);
    expect(counts.size).toBe(2);
    for (const c of counts.values()) expect(c).toBeGreaterThan(60);
  });

  it('should cluster errors within a step in correlated mode, at the same average rate', () => {
    const all = steps(12, 2_000);
    const k = 5;
    const p = 0.2;
    const wrongPerStep = (options: HanoiSimulatorOptions, seed: number): number[] => {
      const random = mulberry32(seed);
      return all.map((s) => sample(s, random, options, k).filter((a) => a !== s.truth).length);
    };
    const independent = wrongPerStep({ errorRate: p, errorMode: 'dominant' }, 4);
    const correlated = wrongPerStep({ errorRate: p, errorMode: 'correlated', correlation: 0.5 }, 4);
    const binomial = k * p * (1 - p); // 0.8
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length / k;
    expect(Math.abs(mean(independent) - p)).toBeLessThan(0.02);
    expect(Math.abs(mean(correlated) - p)).toBeLessThan(0.03);
    expect(variance(independent) / binomial).toBeGreaterThan(0.85);
    expect(variance(independent) / binomial).toBeLessThan(1.15);
    // Hard steps err at 0.4, easy ones never: the variance is 0.6 + 1.0 = 1.6, twice the binomial's.
    expect(variance(correlated) / binomial).toBeGreaterThan(1.6);
    // Easy steps (half) never err, hard ones rarely escape (0.6^5): about 54% of steps see no
    // error, against 0.8^5 = 33% when independent.
    const clean = (xs: number[]): number => xs.filter((w) => w === 0).length / xs.length;
    expect(clean(independent)).toBeGreaterThan(0.29);
    expect(clean(independent)).toBeLessThan(0.37);
    expect(clean(correlated)).toBeGreaterThan(0.48);
  });

  it('should keep the average error rate of a correlated step at errorRate', () => {
    const average = (p: number, c: number): number => {
      let sum = 0;
      for (let i = 0; i < 1_000; i++) sum += stepErrorRate(p, c, (i + 0.5) / 1_000);
      return sum / 1_000;
    };
    for (const [p, c] of [
      [0.2, 0.5],
      [0.5, 0.2],
      [0.1, 0.1],
      [0.3, 0],
      [0.3, 1],
    ] as const) {
      expect(average(p, c)).toBeCloseTo(p, 6);
    }
    expect(stepErrorRate(0.2, 0.5, 0.1)).toBeCloseTo(0.4, 12);
    expect(stepErrorRate(0.2, 0.5, 0.9)).toBe(0);
    expect(stepErrorRate(0.5, 0.2, 0.1)).toBe(1);
  });

  it('should red-flag at about redFlagRate, half malformed, half over 2,000 characters', () => {
    const random = mulberry32(6);
    const all = steps(10, 1_000);
    let malformed = 0;
    let long = 0;
    const reasons = new Set<string>();
    for (const s of all) {
      for (let i = 0; i < 5; i++) {
        const text = hanoiSimulatedAnswer(s.prompt, random, { errorRate: 0.1, redFlagRate: 0.2 });
        const verdict = judge(s, text);
        if (text.length > 2_000) {
          long++;
          expect(verdict.startsWith('!')).toBe(true);
        } else if (verdict.startsWith('!')) {
          malformed++;
          reasons.add(verdict);
        }
      }
    }
    expect(Math.abs((malformed + long) / 5_000 - 0.2)).toBeLessThan(0.02);
    expect(Math.abs(malformed / 5_000 - 0.1)).toBeLessThan(0.015);
    expect(reasons).toEqual(
      new Set([
        "!extra text before 'move'",
        "!no 'next_state = [...]' line",
        '!non-integer in move',
        '!next_state does not follow from the move',
      ]),
    );
  });

  it('should name what it cannot read in a prompt', () => {
    const random = mulberry32(1);
    expect(() => hanoiSimulatedAnswer('Summarize this file.', random, { errorRate: 0 })).toThrow(
      "not a hanoi prompt: no previous move in 'Summarize this file.'",
    );
    expect(() =>
      hanoiSimulatedAnswer('x\nPrevious move: none\nCurrent state: [[1],[]]\n', random, {
        errorRate: 0,
      }),
    ).toThrow("not a hanoi prompt: no readable current state in 'Current state: [[1],[]]\n'");
  });
});
