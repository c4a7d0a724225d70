/**
 * A step-by-step task for MAKER: a state, a prompt made from it, a strict parser that turns one
 * model response into {answer, nextState}, and a test for the end. Each step is decided by a vote
 * among samples; samples are tallied by their normalized `answer`, and the winner's `nextState`
 * becomes the state of the next step.
 */
export interface StepParse<S> {
  /** The normalized answer that votes are tallied by (exact match). */
  answer: string;
  nextState: S;
}

/** A response the parser refuses: a red flag (discarded, never repaired, never voted). */
export interface StepParseFailure {
  error: string;
}

export interface StepTask<S, P = unknown> {
  /** Task kind, as named in a mission file (`task: hanoi`). */
  readonly kind: string;
  initialState(params: P): S;
  /** The prompt for one step. `previous` is the answer chosen at the step before (undefined at step 0). */
  prompt(state: S, step: number, previous: string | undefined): string;
  /** Strict: anything that is not exactly the expected form is a failure. */
  parse(text: string, state: S): StepParse<S> | StepParseFailure;
  isDone(state: S, step: number): boolean;
  /**
   * The state after a decided step, from its normalized answer alone: how a resumed mission
   * rebuilds its state from the votes logged after its last snapshot. Throws on an answer this
   * task could not have decided (a log that does not belong to it).
   */
  replay(state: S, answer: string): S;
  /** Steps to the end when known in advance (Hanoi: 2^n - 1), for progress and calibration. */
  totalSteps?(params: P): number;
}

export function isParseFailure<S>(r: StepParse<S> | StepParseFailure): r is StepParseFailure {
  return (r as StepParseFailure).error !== undefined;
}
