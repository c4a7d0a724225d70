export {
  isParseFailure,
  type StepParse,
  type StepParseFailure,
  type StepTask,
} from './stepTask.js';
export { hanoiTask, type HanoiParams } from './hanoi.js';
export {
  IllegalMoveError,
  MAX_DISKS,
  applyMove,
  formatMove,
  formatPegs,
  hanoiInitialState,
  hanoiNextMove,
  hanoiSolution,
  isSolved,
  legalMoves,
  type HanoiMove,
  type HanoiState,
  type Pegs,
} from './hanoiRules.js';
export { parseHanoiAnswer } from './hanoiParse.js';
export { hanoiPrompt } from './hanoiPrompt.js';
export {
  HanoiPromptError,
  answerText,
  hanoiSimulatedAnswer,
  stepErrorRate,
  stepUniform,
  type HanoiErrorMode,
  type HanoiSimulatorOptions,
} from './hanoiSimulator.js';
export { RAMBLING_MIN_CHARS } from './hanoiRedFlags.js';
