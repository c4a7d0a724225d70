/**
 * A simulated model for the Hanoi task: it reads the state and the previous move back from a
 * `hanoiPrompt`, works out the strategy's true move, and answers it, or, at the configured rates,
 * a wrong answer (well-formed, so that only the vote can catch it) or a red flag (malformed or too
 * long, so that the parser or the length check throws it away).
 *
 * Per call, in this order: with probability `redFlagRate` a red flag, half malformed and half
 * rambling (> 2,000 characters); otherwise, with probability `errorRate`, a wrong answer; otherwise
 * the right one. `errorRate` is thus the error rate among the samples that pass the red flags, as
 * the calibrator assumes. Wrong answers are the legal moves that are not the strategy's (a strict
 * parser leaves no others), taken in a fixed order: disk 1 along its cycle, disk 1 against it, the
 * move without disk 1.
 *
 * - `dominant`: always the first wrong move for the state, so wrong samples agree (the worst case
 *   for a vote).
 * - `varied`: one of the wrong moves at random (there are at most two per state).
 * - `correlated`: wrong answers as in `dominant`, but their rate depends on the step. A hash of
 *   the prompt makes a step hard with probability `correlation` (the same for every sample of the
 *   step). A hard step's error rate is errorRate / correlation (at most 1); an easy step's is
 *   whatever keeps the average at errorRate: max(0, (errorRate − correlation) / (1 − correlation)).
 *   Each sample still errs at errorRate on average; the errors cluster in hard steps, the more the
 *   smaller `correlation` is, down to correlation = errorRate, where hard steps always fail and easy
 *   ones never. correlation 0 or 1 is the independent case.
 *
 * Every call draws exactly three numbers from `random`, whatever happens, so that a seeded
 * provider's call n depends only on the seed, n and its own prompt.
 */
import { UserError } from '../../kernel/errors.js';
import type { Random } from '../providers/random.js';
import { PREVIOUS_LABEL, STATE_LABEL } from './hanoiPrompt.js';
import {
  applyLegalMove,
  diskOneMove,
  formatPegs,
  legalMoves,
  otherMove,
  type HanoiMove,
  type HanoiState,
  type Pegs,
} from './hanoiRules.js';
import { malformedAnswer, ramblingAnswer } from './hanoiRedFlags.js';

export type HanoiErrorMode = 'dominant' | 'varied' | 'correlated';

export interface HanoiSimulatorOptions {
  /** Probability that a sample that is not red-flagged is wrong. */
  errorRate: number;
  /** @default 'dominant' */
  errorMode?: HanoiErrorMode;
  /** `correlated` only: the probability that a step is hard. @default 0.5 */
  correlation?: number;
  /** Probability that a sample is malformed or too long instead. @default 0 */
  redFlagRate?: number;
}

/** The simulated Hanoi model was given a prompt it cannot read: not a `hanoiPrompt`. */
export class HanoiPromptError extends UserError {
  override name = 'HanoiPromptError';
  constructor(
    readonly missing: string,
    readonly excerpt: string,
  ) {
    super(`not a hanoi prompt: no ${missing} in '${excerpt}'`);
  }
}

export function hanoiSimulatedAnswer(
  prompt: string,
  random: Random,
  options: HanoiSimulatorOptions,
): string {
  const flag = random();
  const error = random();
  const variant = random();
  const { state, previousDisk, from, to } = readPrompt(prompt);
  const right = strategyMove(state.pegs, previousDisk);
  const redFlagRate = options.redFlagRate ?? 0;
  if (flag < redFlagRate) {
    return flag < redFlagRate / 2
      ? malformedAnswer(state, right, variant)
      : ramblingAnswer(answerText(state, right));
  }
  const mode = options.errorMode ?? 'dominant';
  const rate =
    mode === 'correlated'
      ? stepErrorRate(options.errorRate, options.correlation ?? 0.5, stepUniform(prompt, from, to))
      : options.errorRate;
  if (error >= rate) return answerText(state, right);
  const wrong = legalMoves(state).filter(
    (m) => m[0] !== right[0] || m[1] !== right[1] || m[2] !== right[2],
  );
  const index =
    mode === 'varied' ? Math.min(wrong.length - 1, Math.floor(variant * wrong.length)) : 0;
  return answerText(state, wrong[index]!);
}

/**
 * The error rate of one step in `correlated` mode, given the step's uniform number `u` (hard when
 * u < correlation). Averaged over steps it is `errorRate`.
 */
export function stepErrorRate(errorRate: number, correlation: number, u: number): number {
  if (correlation <= 0 || correlation >= 1) return errorRate;
  if (u < correlation) return Math.min(1, errorRate / correlation);
  return Math.max(0, (errorRate - correlation) / (1 - correlation));
}

/** The two lines a well-behaved model writes. */
export function answerText(state: HanoiState, move: HanoiMove): string {
  const next = applyLegalMove(state, move[1], move[2]);
  return `move = [${move[0]}, ${move[1]}, ${move[2]}]\nnext_state = ${formatPegs(next.pegs, ', ')}`;
}

/** The strategy, with the parity read from the previous move: after disk 1 comes the other move. */
function strategyMove(pegs: Pegs, previousDisk: number): HanoiMove {
  const n = pegs[0].length + pegs[1].length + pegs[2].length;
  // Every disk on disk 1's peg leaves no other move (only after wrong moves): move disk 1 then.
  return (previousDisk === 1 ? otherMove(pegs) : undefined) ?? diskOneMove(pegs, n);
}

interface ReadPrompt {
  state: HanoiState;
  /** 0 when there is no previous move. */
  previousDisk: number;
  /** Where the step's own part of the prompt (previous move and state) starts and ends. */
  from: number;
  to: number;
}

const OPEN = 91;
const CLOSE = 93;
const COMMA = 44;
const ZERO = 48;
const NINE = 57;

function readPrompt(prompt: string): ReadPrompt {
  const from = prompt.indexOf(PREVIOUS_LABEL);
  if (from < 0) throw new HanoiPromptError('previous move', prompt.slice(0, 60));
  let i = from + PREVIOUS_LABEL.length;
  let previousDisk = 0;
  if (prompt.charCodeAt(i) === OPEN) {
    for (let c = prompt.charCodeAt(++i); c >= ZERO && c <= NINE; c = prompt.charCodeAt(++i)) {
      previousDisk = previousDisk * 10 + (c - ZERO);
    }
  }
  const at = prompt.indexOf(STATE_LABEL, i);
  if (at < 0) throw new HanoiPromptError('current state', prompt.slice(from, from + 60));
  i = at + STATE_LABEL.length;
  // [[a,b],[c],[]]: digits build a number, a comma or `]` inside a peg ends it, `]` ends the peg.
  const pegs: Pegs = [[], [], []];
  let depth = 0;
  let peg = -1;
  let value = -1;
  for (; i < prompt.length; i++) {
    const c = prompt.charCodeAt(i);
    if (c >= ZERO && c <= NINE) {
      value = (value < 0 ? 0 : value * 10) + (c - ZERO);
      continue;
    }
    if (value >= 0 && depth === 2 && peg >= 0 && peg < 3) pegs[peg]!.push(value);
    value = -1;
    if (c === OPEN) {
      depth++;
      if (depth === 2) peg++;
    } else if (c === CLOSE) {
      depth--;
      if (depth === 0) break;
    } else if (c !== COMMA && c !== 32) {
      break;
    }
  }
  if (depth !== 0 || peg !== 2)
    throw new HanoiPromptError('readable current state', prompt.slice(at + 1, at + 61));
  if (pegs[0].length + pegs[1].length + pegs[2].length === 0)
    throw new HanoiPromptError('disk', prompt.slice(at + 1, at + 61));
  return { state: { pegs }, previousDisk, from, to: i };
}

/** A uniform number in [0, 1) fixed by the text between `from` and `to` (FNV-1a, then murmur3's finalizer). */
export function stepUniform(text: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}
