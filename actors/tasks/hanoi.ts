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
import { checkDisks, hanoiInitialState, isSolved, type HanoiState } from './hanoiRules.js';
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
  totalSteps: (params) => {
    checkDisks(params.disks);
    return 2 ** params.disks - 1;
  },
};

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
