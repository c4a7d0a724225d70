/**
 * MAKER calibration ("Solving a Million-Step LLM Task With Zero Errors", arXiv 2511.09030): how
 * large the voting margin k must be for a task of s steps to succeed end to end with probability
 * t, given the success rate p of one sample, and what that costs in samples per step. Pure
 * functions; a bad argument is a `UserError` that names it.
 *
 * Throughout, p is the probability that one sample of one agent's unit of work (m steps, usually
 * 1) is right, and voting is first-to-ahead-by-k. The worst case is assumed: every wrong sample
 * gives the same wrong answer, so a single rival competes with the right one.
 */
import { UserError } from '../../kernel/errors.js';

export interface SuccessRate {
  /** The point estimate successes / trials. */
  p: number;
  /** Lower bound of the Wilson score interval. */
  low: number;
  /** Upper bound of the Wilson score interval. */
  high: number;
}

/**
 * The success rate measured from `successes` of `trials`, with its two-sided Wilson score interval
 * at `confidence` (which behaves well near 0 and 1, where the normal approximation does not).
 */
export function estimateSuccessRate(
  successes: number,
  trials: number,
  confidence = 0.95,
): SuccessRate {
  if (!Number.isInteger(trials) || trials < 1)
    throw new UserError(`trials: expected a positive integer, got ${trials}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > trials) {
    throw new UserError(
      `successes: expected an integer in [0, trials = ${trials}], got ${successes}`,
    );
  }
  openUnit('confidence', confidence);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const n = trials;
  const p = successes / n;
  const z2n = (z * z) / n;
  const center = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return { p, low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/**
 * The standard normal quantile Φ⁻¹(u), by Acklam's rational approximation (relative error below
 * 1.15e-9, plenty for confidence levels).
 */
export function normalQuantile(u: number): number {
  openUnit('u', u);
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2,
    -3.066479806614716e1, 2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
    -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const poly = (coef: number[], x: number) => coef.reduce((acc, k) => acc * x + k, 0);
  const tail = (v: number) => {
    const q = Math.sqrt(-2 * Math.log(v));
    return poly(c, q) / (poly(d, q) * q + 1);
  };
  const pLow = 0.02425;
  if (u < pLow) return tail(u);
  if (u > 1 - pLow) return -tail(1 - u);
  const q = u - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}

/** The probability that first-to-ahead-by-k voting picks the right answer: 1 / (1 + ((1 − p) / p)^k). */
export function perStepSuccess(p: number, k: number): number {
  probability('p', p);
  positiveInteger('k', k);
  return 1 / (1 + ((1 - p) / p) ** k);
}

/** The probability that all s / m voted units are right: p_sub^(s/m). */
export function fullTaskSuccess(p: number, k: number, s: number, m = 1): number {
  probability('p', p);
  positiveInteger('k', k);
  stepsAndAgents(s, m);
  // log p_sub = -log1p(r^k), exact where p_sub is 1 - 1e-12 and s is a million.
  return Math.exp(-(s / m) * Math.log1p(((1 - p) / p) ** k));
}

/**
 * The smallest margin k with fullTaskSuccess(p, k, s, m) >= t:
 * ⌈ ln(t^(−m/s) − 1) / ln((1 − p) / p) ⌉, at least 1. Refuses p <= 0.5, where the right answer
 * does not out-vote a rival and no k reaches the target.
 */
export function kMin(p: number, s: number, t: number, m = 1): number {
  probability('p', p);
  openUnit('t', t);
  stepsAndAgents(s, m);
  if (p <= 0.5) {
    throw new UserError(
      `error rate ${fmt(1 - p)} leaves per-step success p = ${fmt(p)} <= 0.5: voting cannot converge`,
    );
  }
  if (p === 1) return 1;
  // t^(-m/s) - 1 is about 5e-8 for s = 1e6: expm1 keeps its digits, the subtraction would not.
  const slack = Math.expm1(-(m / s) * Math.log(t));
  const k = Math.ceil(Math.log(slack) / (Math.log1p(-p) - Math.log(p)));
  return Math.max(1, k);
}

/**
 * Expected samples drawn for one step, in the worst case (every wrong sample gives the same wrong
 * answer). The vote margin is a random walk from 0, +1 with probability p and −1 with q = 1 − p,
 * absorbed at ±k; its expected duration (gambler's ruin from k on [0, 2k]) is
 * k/(q−p) − (2k/(q−p))·(1 − (q/p)^k)/(1 − (q/p)^(2k)) = k·(1 − r^k) / ((p − q)(1 + r^k)), r = q/p,
 * and k² at p = 1/2. Red-flagged samples are discarded and redrawn, so the count is divided by
 * (1 − redFlagRate).
 */
export function expectedSamplesPerStep(p: number, k: number, redFlagRate = 0): number {
  probability('p', p);
  positiveInteger('k', k);
  rate('redFlagRate', redFlagRate);
  if (p === 0.5) return (k * k) / (1 - redFlagRate);
  // (1 − r^k)/(1 + r^k) = tanh(k·ln(p/q)/2); finite even where q or p is 0.
  const drift = Math.tanh((k * (Math.log(p) - Math.log1p(-p))) / 2);
  return (k * drift) / (2 * p - 1) / (1 - redFlagRate);
}

/**
 * The same expectation computed from the Markov chain itself, to check the closed form: the
 * margin d in (−k, k) with E[d] = 1 + ρ·E[d] + (1 − ρ)(p·E[d+1] + q·E[d−1]) and E[±k] = 0,
 * solved exactly as a tridiagonal system (Thomas algorithm).
 */
export function expectedSamplesExact(p: number, k: number, redFlagRate = 0): number {
  probability('p', p);
  positiveInteger('k', k);
  rate('redFlagRate', redFlagRate);
  const n = 2 * k - 1; // states d = -(k-1) .. k-1, index i = d + k - 1
  const up = -(1 - redFlagRate) * p;
  const down = -(1 - redFlagRate) * (1 - p);
  const diag = 1 - redFlagRate;
  const cp = new Array<number>(n).fill(0);
  const dp = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    const lower = i > 0 ? down : 0;
    const denom = diag - lower * (i > 0 ? cp[i - 1]! : 0);
    cp[i] = up / denom;
    dp[i] = (1 - lower * (i > 0 ? dp[i - 1]! : 0)) / denom;
  }
  const e = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) e[i] = dp[i]! - cp[i]! * (i < n - 1 ? e[i + 1]! : 0);
  return e[k - 1]!;
}

export interface CalibrateInput {
  /** The error rate of one sample; p = 1 − errorRate. Give this, or successes and trials. */
  errorRate?: number;
  /** Right samples in a calibration run, with `trials`. */
  successes?: number;
  trials?: number;
  /** For the interval from successes/trials. @default 0.95 */
  confidence?: number;
  /** s: steps in the whole task. */
  steps: number;
  /** t: the wanted probability that the whole task succeeds, in (0, 1). */
  target: number;
  /** m: steps per agent call. @default 1 */
  stepsPerAgent?: number;
  /** The fraction of samples red-flagged and redrawn. @default 0 */
  redFlagRate?: number;
}

export interface Calibration {
  /** The point estimate of one sample's success rate. */
  p: number;
  /** The Wilson interval, when measured from successes/trials. */
  pLow?: number;
  pHigh?: number;
  k: number;
  pSub: number;
  pFull: number;
  expectedSamplesPerStep: number;
}

/**
 * k_min and what it buys. From an error rate, everything is computed at p = 1 − errorRate. From
 * successes/trials, k is chosen at the interval's LOWER bound pLow (conservative: the target holds
 * even if the model is as bad as the data allow), and pSub, pFull and expectedSamplesPerStep are
 * evaluated at pLow too, so that pFull >= target is what is reported; `p` is still the point
 * estimate.
 */
export function calibrate(input: CalibrateInput): Calibration {
  const { errorRate, successes, trials, steps, target, stepsPerAgent = 1, redFlagRate = 0 } = input;
  positiveInteger('steps', steps);
  openUnit('target', target);
  positiveInteger('stepsPerAgent', stepsPerAgent);
  if (stepsPerAgent > steps)
    throw new UserError(`stepsPerAgent: expected at most steps = ${steps}, got ${stepsPerAgent}`);
  const measured = successes !== undefined || trials !== undefined;
  if (errorRate !== undefined && measured)
    throw new UserError('errorRate: give either errorRate or successes and trials, not both');
  let p: number;
  let interval: SuccessRate | undefined;
  if (errorRate !== undefined) {
    rate('errorRate', errorRate);
    p = 1 - errorRate;
  } else if (successes === undefined) {
    throw new UserError(
      trials === undefined
        ? 'errorRate: required, or successes and trials'
        : 'successes: required with trials',
    );
  } else if (trials === undefined) {
    throw new UserError('trials: required with successes');
  } else {
    interval = estimateSuccessRate(successes, trials, input.confidence);
    p = interval.p;
  }
  const pk = interval ? interval.low : p;
  const k = kMin(pk, steps, target, stepsPerAgent);
  return {
    p,
    ...(interval ? { pLow: interval.low, pHigh: interval.high } : {}),
    k,
    pSub: perStepSuccess(pk, k),
    pFull: fullTaskSuccess(pk, k, steps, stepsPerAgent),
    expectedSamplesPerStep: expectedSamplesPerStep(pk, k, redFlagRate),
  };
}

function probability(name: string, x: number): void {
  if (!(x >= 0 && x <= 1)) throw new UserError(`${name}: expected a number in [0, 1], got ${x}`);
}

function rate(name: string, x: number): void {
  if (!(x >= 0 && x < 1)) throw new UserError(`${name}: expected a number in [0, 1), got ${x}`);
}

function openUnit(name: string, x: number): void {
  if (!(x > 0 && x < 1)) throw new UserError(`${name}: expected a number in (0, 1), got ${x}`);
}

function positiveInteger(name: string, x: number): void {
  if (!Number.isInteger(x) || x < 1)
    throw new UserError(`${name}: expected a positive integer, got ${x}`);
}

function stepsAndAgents(s: number, m: number): void {
  positiveInteger('s', s);
  positiveInteger('m', m);
  if (m > s) throw new UserError(`m: expected at most s = ${s} steps per agent, got ${m}`);
}

/** Twelve significant digits: 1 - 0.9978 prints as 0.0022, not 0.0022000000000000687. */
function fmt(x: number): string {
  return String(Number(x.toPrecision(12)));
}
