/**
 * Towers of Hanoi as a MAKER step task, as in "Solving a Million-Step LLM Task With Zero Errors"
 * (arXiv 2511.09030): each step, a model is given the strategy, the previous move and the current
 * state, and answers the next move and the next state; each step is decided by a vote.
 *
 * The normalized answer is the move alone, `[1,0,2]`: the strict parser only accepts a next_state
 * that follows from the move, so two accepted answers with the same move are identical, and the
 * move is what the next prompt shows as the previous move.
 */
import type { StepTask } from './stepTask.js';
import {
  applyMove,
  checkDisks,
  hanoiInitialState,
  isSolved,
  type HanoiMove,
  type HanoiState,
} from './hanoiRules.js';
import { parseHanoiAnswer } from './hanoiParse.js';
import { hanoiPrompt } from './hanoiPrompt.js';

export interface HanoiParams {
  /** 1 to 30; the paper's run has 20 (1,048,575 moves). */
  disks: number;
}

export const hanoiTask: StepTask<HanoiState, HanoiParams> = {
  kind: 'hanoi',
  initialState: (params) => hanoiInitialState(params.disks),
  prompt: (state, _step, previous) => hanoiPrompt(state, previous),
  parse: parseHanoiAnswer,
  isDone: (state) => isSolved(state),
  replay: (state, answer) => applyMove(state, parseMoveAnswer(answer)),
  totalSteps: (params) => {
    checkDisks(params.disks);
    return 2 ** params.disks - 1;
  },
};

/** `[1,0,2]` back into a move; anything else is not an answer this task decided. */
function parseMoveAnswer(answer: string): HanoiMove {
  const m = /^\[(\d+),([0-2]),([0-2])\]$/.exec(answer);
  if (!m) throw new Error(`not a hanoi answer: '${answer}'`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export {
  IllegalMoveError,
  applyMove,
  hanoiInitialState,
  hanoiNextMove,
  hanoiSolution,
  isSolved,
  type HanoiMove,
  type HanoiState,
  type Pegs,
} from './hanoiRules.js';
