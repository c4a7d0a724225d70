import { describe, expect, it } from 'vitest';
import { UserError } from '../../../kernel/errors.js';
import {
  calibrate,
  estimateSuccessRate,
  expectedSamplesExact,
  expectedSamplesPerStep,
  fullTaskSuccess,
  kMin,
  normalQuantile,
  perStepSuccess,
} from '../../../actors/maker/calibrator.js';

/** The gambler's-ruin duration exactly as the textbook writes it, before simplification. */
function ruinDuration(p: number, k: number): number {
  const q = 1 - p;
  const r = q / p;
  return k / (q - p) - ((2 * k) / (q - p)) * ((1 - r ** k) / (1 - r ** (2 * k)));
}

function userError(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('normalQuantile (Acklam)', () => {
  it('should give the usual z values', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.95996, 4);
    expect(normalQuantile(0.995)).toBeCloseTo(2.57583, 4);
    expect(normalQuantile(0.95)).toBeCloseTo(1.64485, 4);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.09023, 4);
    expect(normalQuantile(0.2)).toBeCloseTo(-normalQuantile(0.8), 12);
  });
});

describe('estimateSuccessRate (Wilson score interval)', () => {
  it('should give the known interval for 95 of 100 at 95%', () => {
    // z = 1.959964, z²/n = 0.0384146; centre (0.95 + 0.0192073)/1.0384146 = 0.933353,
    // half-width z·sqrt(0.000475 + 0.0000960365)/1.0384146 = 0.045103.
    const r = estimateSuccessRate(95, 100);
    expect(r.p).toBe(0.95);
    expect(r.low).toBeCloseTo(0.88825, 5);
    expect(r.high).toBeCloseTo(0.97846, 5);
  });

  it('should stay inside [0, 1] at the edges and narrow with more trials', () => {
    const all = estimateSuccessRate(10, 10);
    expect(all.high).toBe(1);
    expect(all.low).toBeCloseTo(0.72247, 5); // n / (n + z²) = 10 / 13.84146
    expect(estimateSuccessRate(0, 10).low).toBe(0);
    const wide = estimateSuccessRate(90, 100);
    const narrow = estimateSuccessRate(900, 1000);
    expect(narrow.high - narrow.low).toBeLessThan(wide.high - wide.low);
    const c99 = estimateSuccessRate(90, 100, 0.99);
    expect(c99.low).toBeLessThan(wide.low);
  });

  it('should refuse bad arguments, naming them', () => {
    expect(userError(() => estimateSuccessRate(1, 0))).toBe(
      'trials: expected a positive integer, got 0',
    );
    expect(userError(() => estimateSuccessRate(1, 2.5))).toBe(
      'trials: expected a positive integer, got 2.5',
    );
    expect(userError(() => estimateSuccessRate(11, 10))).toBe(
      'successes: expected an integer in [0, trials = 10], got 11',
    );
    expect(userError(() => estimateSuccessRate(-1, 10))).toBe(
      'successes: expected an integer in [0, trials = 10], got -1',
    );
    expect(userError(() => estimateSuccessRate(5, 10, 1))).toBe(
      'confidence: expected a number in (0, 1), got 1',
    );
  });
});

describe('perStepSuccess and fullTaskSuccess', () => {
  it('should follow p_sub = 1 / (1 + ((1-p)/p)^k) and p_full = p_sub^(s/m)', () => {
    expect(perStepSuccess(0.9, 1)).toBeCloseTo(0.9, 15);
    expect(perStepSuccess(0.9, 2)).toBeCloseTo(81 / 82, 15);
    expect(perStepSuccess(0.75, 3)).toBeCloseTo(27 / 28, 15);
    expect(perStepSuccess(0.5, 7)).toBe(0.5);
    expect(perStepSuccess(1, 4)).toBe(1);
    expect(fullTaskSuccess(0.9, 2, 10)).toBeCloseTo((81 / 82) ** 10, 14);
    expect(fullTaskSuccess(0.9, 2, 10, 5)).toBeCloseTo((81 / 82) ** 2, 14);
    expect(fullTaskSuccess(1, 1, 1e6)).toBe(1);
  });
});

describe('kMin', () => {
  it("should give k = 3 for the paper's Towers of Hanoi case", () => {
    // p = 0.9978, s = 2^20 - 1 = 1048575, t = 0.95, m = 1:
    //   t^(-1/s) - 1 = expm1(0.0512933 / 1048575) = 4.89172e-8, ln = -16.83315
    //   ln((1-p)/p) = ln(0.0022 / 0.9978) = -6.11709
    //   k = ceil(16.83315 / 6.11709) = ceil(2.7518) = 3
    const p = 1 - 0.0022;
    expect(kMin(p, 1048575, 0.95)).toBe(3);
    expect(fullTaskSuccess(p, 3, 1048575)).toBeCloseTo(0.98882, 5);
    expect(fullTaskSuccess(p, 2, 1048575)).toBeLessThan(0.01);
  });

  it.each([
    [0.9, 100, 0.9, 1],
    [0.9, 1e6, 0.99, 1],
    [0.6, 1000, 0.5, 1],
    [0.75, 1e6, 0.95, 1],
    [0.99, 1e9, 0.999, 1],
    [0.8, 1e6, 0.9, 10],
    [0.55, 10, 0.9, 1],
  ])('should be the smallest k reaching the target: p=%s s=%s t=%s m=%s', (p, s, t, m) => {
    const k = kMin(p, s, t, m);
    const formula = Math.max(1, Math.ceil(Math.log(t ** (-m / s) - 1) / Math.log((1 - p) / p)));
    expect(k).toBe(formula);
    expect(fullTaskSuccess(p, k, s, m)).toBeGreaterThanOrEqual(t);
    if (k > 1) expect(fullTaskSuccess(p, k - 1, s, m)).toBeLessThan(t);
  });

  it('should be 1 when p = 1 or when a single sample already meets the target', () => {
    expect(kMin(1, 1e6, 0.999)).toBe(1);
    expect(kMin(0.99, 1, 0.9)).toBe(1);
  });

  it('should grow as the target nears 1 and as the task grows', () => {
    const byTarget = [0.5, 0.9, 0.99, 0.999, 0.999999].map((t) => kMin(0.8, 1e4, t));
    expect(byTarget).toEqual([...byTarget].sort((a, b) => a - b));
    expect(byTarget.at(-1)!).toBeGreaterThan(byTarget[0]!);
    const bySteps = [10, 1e3, 1e6, 1e9].map((s) => kMin(0.8, s, 0.95));
    expect(bySteps).toEqual([...bySteps].sort((a, b) => a - b));
    expect(bySteps.at(-1)!).toBeGreaterThan(bySteps[0]!);
  });

  it('should refuse p <= 0.5, where voting cannot converge', () => {
    expect(userError(() => kMin(0.4, 100, 0.9))).toBe(
      'error rate 0.6 leaves per-step success p = 0.4 <= 0.5: voting cannot converge',
    );
    expect(userError(() => kMin(0.5, 100, 0.9))).toBe(
      'error rate 0.5 leaves per-step success p = 0.5 <= 0.5: voting cannot converge',
    );
    expect(userError(() => kMin(1 - 0.7, 100, 0.9))).toBe(
      'error rate 0.7 leaves per-step success p = 0.3 <= 0.5: voting cannot converge',
    );
  });

  it('should refuse bad arguments, naming them', () => {
    expect(userError(() => kMin(0.9, 100, 1))).toBe('t: expected a number in (0, 1), got 1');
    expect(userError(() => kMin(0.9, 100, 0))).toBe('t: expected a number in (0, 1), got 0');
    expect(userError(() => kMin(0.9, 0, 0.9))).toBe('s: expected a positive integer, got 0');
    expect(userError(() => kMin(0.9, 10.5, 0.9))).toBe('s: expected a positive integer, got 10.5');
    expect(userError(() => kMin(0.9, 100, 0.9, 0))).toBe('m: expected a positive integer, got 0');
    expect(userError(() => kMin(0.9, 10, 0.9, 20))).toBe(
      'm: expected at most s = 10 steps per agent, got 20',
    );
    expect(userError(() => kMin(1.2, 10, 0.9))).toBe('p: expected a number in [0, 1], got 1.2');
    expect(userError(() => kMin(Number.NaN, 10, 0.9))).toBe(
      'p: expected a number in [0, 1], got NaN',
    );
  });
});

describe('expectedSamplesPerStep', () => {
  it.each([
    [0.9978, 3],
    [0.9, 1],
    [0.9, 5],
    [0.75, 4],
    [0.6, 10],
    [0.51, 20],
    [0.3, 4],
  ])('should match the gambler-ruin formula and the exact Markov chain: p=%s k=%s', (p, k) => {
    const e = expectedSamplesPerStep(p, k);
    expect(Math.abs(e - ruinDuration(p, k))).toBeLessThan(1e-9);
    expect(Math.abs(e - expectedSamplesExact(p, k))).toBeLessThan(1e-9);
  });

  it('should be k² for a fair coin, k when samples never disagree, and scale with red flags', () => {
    expect(expectedSamplesPerStep(0.5, 4)).toBe(16);
    expect(expectedSamplesExact(0.5, 4)).toBeCloseTo(16, 9);
    expect(expectedSamplesPerStep(1, 3)).toBe(3);
    expect(expectedSamplesPerStep(0, 3)).toBe(3);
    expect(expectedSamplesExact(1, 3)).toBe(3);
    for (const [p, k, rho] of [
      [0.9, 3, 0.2],
      [0.7, 5, 0.5],
      [0.5, 2, 0.1],
    ] as const) {
      expect(
        Math.abs(expectedSamplesPerStep(p, k, rho) - expectedSamplesPerStep(p, k) / (1 - rho)),
      ).toBeLessThan(1e-12);
      expect(
        Math.abs(expectedSamplesPerStep(p, k, rho) - expectedSamplesExact(p, k, rho)),
      ).toBeLessThan(1e-9);
    }
  });

  it('should cost about k/(2p-1) samples in the paper case', () => {
    // 3·(2·p_sub − 1)/(2p − 1) with p_sub ≈ 1: 3 / 0.9956 = 3.01326
    expect(expectedSamplesPerStep(0.9978, 3)).toBeCloseTo(3.01326, 5);
  });

  it('should refuse a red-flag rate of 1', () => {
    expect(userError(() => expectedSamplesPerStep(0.9, 3, 1))).toBe(
      'redFlagRate: expected a number in [0, 1), got 1',
    );
  });
});

describe('calibrate', () => {
  it('should compute everything at p = 1 - errorRate', () => {
    const c = calibrate({ errorRate: 0.0022, steps: 1048575, target: 0.95 });
    expect(c).toEqual({
      p: 1 - 0.0022,
      k: 3,
      pSub: perStepSuccess(1 - 0.0022, 3),
      pFull: fullTaskSuccess(1 - 0.0022, 3, 1048575),
      expectedSamplesPerStep: expectedSamplesPerStep(1 - 0.0022, 3),
    });
  });

  it('should choose k at the lower bound of the interval from successes and trials', () => {
    const c = calibrate({ successes: 95, trials: 100, steps: 1000, target: 0.9, redFlagRate: 0.1 });
    const { low, high } = estimateSuccessRate(95, 100);
    expect(c.p).toBe(0.95);
    expect(c.pLow).toBe(low);
    expect(c.pHigh).toBe(high);
    expect(c.k).toBe(kMin(low, 1000, 0.9));
    expect(c.k).toBeGreaterThan(kMin(0.95, 1000, 0.9));
    expect(c.pFull).toBeGreaterThanOrEqual(0.9);
    expect(c.expectedSamplesPerStep).toBe(expectedSamplesPerStep(low, c.k, 0.1));
  });

  it('should refuse missing, conflicting or bad inputs, naming them', () => {
    expect(userError(() => calibrate({ steps: 10, target: 0.9 }))).toBe(
      'errorRate: required, or successes and trials',
    );
    expect(userError(() => calibrate({ successes: 3, steps: 10, target: 0.9 }))).toBe(
      'trials: required with successes',
    );
    expect(
      userError(() =>
        calibrate({ errorRate: 0.1, successes: 3, trials: 4, steps: 10, target: 0.9 }),
      ),
    ).toBe('errorRate: give either errorRate or successes and trials, not both');
    expect(userError(() => calibrate({ errorRate: 1, steps: 10, target: 0.9 }))).toBe(
      'errorRate: expected a number in [0, 1), got 1',
    );
    expect(userError(() => calibrate({ errorRate: 0.1, steps: 0, target: 0.9 }))).toBe(
      'steps: expected a positive integer, got 0',
    );
    expect(userError(() => calibrate({ errorRate: 0.1, steps: 10, target: 1.5 }))).toBe(
      'target: expected a number in (0, 1), got 1.5',
    );
    expect(
      userError(() => calibrate({ errorRate: 0.1, steps: 10, target: 0.9, stepsPerAgent: 11 })),
    ).toBe('stepsPerAgent: expected at most steps = 10, got 11');
    expect(userError(() => calibrate({ errorRate: 0.6, steps: 10, target: 0.9 }))).toBe(
      'error rate 0.6 leaves per-step success p = 0.4 <= 0.5: voting cannot converge',
    );
  });
});
