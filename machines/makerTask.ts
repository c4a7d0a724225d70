/**
 * A MAKER task: steps one after another, each decided by a vote of the invoked vote statechart.
 * The winner's next state becomes the state of the next step. Progress lives in a `MakerProgress`
 * that outlives this actor, so when the supervisor restarts it (a sample failed, a vote was
 * exhausted) it goes on from the step it was at; a decided step is never voted again.
 * Each step leaves one compact `maker.vote` record in the event log; every `snapshotEvery` steps
 * a `maker.snapshot` is written and the log compacted, so a million steps keep the log bounded.
 */
import { and, assign, fromPromise, sendTo, setup, assertEvent, enqueueActions } from 'xstate';
import { log } from './logAction.js';
import { failingState, failWith } from './machineFailure.js';
import { SystemError } from '../kernel/errors.js';
import type { StepTask } from '../actors/tasks/stepTask.js';
import type { EventSink } from '../supervisors/runtime.js';
import { makerVoteMachine, type MakerVoteInput, type VoteResult } from './makerVote.js';

export interface MakerProgress<S = unknown> {
  step: number;
  state: S;
  /** The answer chosen at the previous step. */
  previous?: string;
  samples: number;
  flagged: number;
  exhausted: number;
}

/** A compacting event log; the runner snapshots through it when the sink offers it. */
export interface CompactingSink extends EventSink {
  compact?(dropTypes: readonly string[]): void;
}

export interface MakerTaskInput<S = unknown> {
  path: string;
  task: StepTask<S>;
  progress: MakerProgress<S>;
  vote: MakerVoteInput<S>;
  events: CompactingSink;
  /** Refuse to go past this many steps. */
  maxSteps?: number;
  /** @default 10000 */
  snapshotEvery?: number;
  /** Called after every decided step (progress output, benchmarks). */
  onStep?: (progress: MakerProgress<S>, vote: VoteResult<S>) => void;
  /**
   * Called when the task is stopped (a shutdown), with the step it was at: the samples that step
   * has drawn so far can be logged, so that a resumed task counts them instead of asking again.
   */
  onStop?: (step: number) => void;
}

export interface MakerTaskOutput {
  agent: string;
  text: string;
  steps: number;
  samples: number;
  flagged: number;
  exhausted: number;
}

export class VoteExhaustedError extends SystemError {
  override name = 'VoteExhaustedError';
  constructor(
    readonly path: string,
    readonly step: number,
    readonly samples: number,
  ) {
    super(
      `vote exhausted at step ${step} of '${path}': no answer led by k within ${samples} samples`,
    );
  }
}

/** A limit like a budget: not cured by a restart, so it carries the budget_exceeded reason. */
export class MaxStepsError extends SystemError {
  override name = 'MaxStepsError';
  readonly reason = 'budget_exceeded';
  constructor(
    readonly path: string,
    readonly maxSteps: number,
  ) {
    super(`maxSteps ${maxSteps} reached at '${path}' before the task was done`);
  }
}

interface Ctx extends MakerTaskInput {
  last?: VoteResult;
  /** When the task last let the event loop run (performance.now(): the process's time, not the mission's clock). */
  yieldedAt: number;
}

/**
 * How long the step loop may hold the event loop. On a zero-latency model every step is
 * microtasks only, so without a pause a 65,535-step task would keep the daemon's API, timers
 * and I/O waiting until it ends; a `setImmediate` this often costs nothing measurable.
 */
export const YIELD_EVERY_MS = 10;

export const makerTaskMachine = setup({
  types: {
    input: {} as MakerTaskInput,
    context: {} as Ctx,
    events: {} as VoteResult | { type: 'maestro.shutdown' },
    output: {} as MakerTaskOutput,
  },
  actors: {
    failWith,
    vote: makerVoteMachine,
    pause: fromPromise(() => new Promise<void>((resolve) => setImmediate(resolve))),
  },
  guards: {
    isDone: ({ context: c }) => c.task.isDone(c.progress.state, c.progress.step),
    overMaxSteps: ({ context: c }) => c.maxSteps !== undefined && c.progress.step >= c.maxSteps,
    wasDecided: ({ event }) => event.type === 'vote.decided' && event.outcome === 'decided',
    /** The winner's next state ends the task (checked before the step is applied). */
    completesTask: ({ context: c, event }) =>
      event.type === 'vote.decided' && c.task.isDone(event.parse!.nextState, c.progress.step + 1),
    reachesMaxSteps: ({ context: c }) =>
      c.maxSteps !== undefined && c.progress.step + 1 >= c.maxSteps,
    heldTheLoop: ({ context: c }) => performance.now() - c.yieldedAt >= YIELD_EVERY_MS,
  },
  actions: {
    begin: sendTo('vote', ({ context: c }) => ({
      type: 'vote.begin' as const,
      step: c.progress.step,
      prompt: c.task.prompt(c.progress.state, c.progress.step, c.progress.previous),
      state: c.progress.state,
    })),
    apply: ({ context: c, event: v }) => {
      assertEvent(v, 'vote.decided');
      const p = c.progress;
      p.samples += v.samples;
      p.flagged += flaggedCount(v);
      c.events.append(voteRecord(v, c.path, c.vote.settings.k));
      p.step++;
      p.state = v.parse!.nextState;
      p.previous = v.answer;
      c.onStep?.(p, v);
      const every = c.snapshotEvery ?? 10_000;
      if (c.events.compact && p.step % every === 0) {
        c.events.append({
          type: 'maker.snapshot',
          path: c.path,
          step: p.step,
          state: p.state,
          previous: p.previous,
          samples: p.samples,
          flagged: p.flagged,
          exhausted: p.exhausted,
        });
        c.events.compact(['maker.vote', 'maker.snapshot', 'maker.samples']);
      }
    },
    // Progress is counted in place (the hot path: one object for a million steps, see
    // MakerProgress); the record goes to the log in this action, and the assign only keeps `last`.
    noteExhausted: enqueueActions(({ context: c, event: v, enqueue }) => {
      assertEvent(v, 'vote.decided');
      c.progress.exhausted++;
      c.progress.samples += v.samples;
      enqueue(log(c.events, [voteRecord(v, c.path, c.vote.settings.k)]));
      enqueue.assign({ last: v });
    }),
  },
}).createMachine({
  id: 'makerTask',
  context: ({ input }) => ({ ...input, yieldedAt: performance.now() }),
  invoke: { id: 'vote', src: 'vote', input: ({ context }) => context.vote },
  initial: 'next',
  on: { 'maestro.shutdown': '.stopped' },
  states: {
    next: {
      always: [
        { guard: 'isDone', target: 'done' },
        { guard: 'overMaxSteps', target: 'tooLong' },
        { target: 'voting' },
      ],
    },
    voting: {
      entry: 'begin',
      on: {
        // One transition per step: apply the winner, then end, stop at the limit, or vote again.
        'vote.decided': [
          { guard: and(['wasDecided', 'completesTask']), target: 'done', actions: 'apply' },
          { guard: and(['wasDecided', 'reachesMaxSteps']), target: 'tooLong', actions: 'apply' },
          { guard: and(['wasDecided', 'heldTheLoop']), target: 'pausing', actions: 'apply' },
          { guard: 'wasDecided', target: 'voting', reenter: true, actions: 'apply' },
          { target: 'exhausted', actions: 'noteExhausted' },
        ],
      },
    },
    // Lets the event loop run (the API, timers, I/O) before the next step.
    pausing: {
      invoke: {
        src: 'pause',
        onDone: { target: 'voting', actions: assign({ yieldedAt: () => performance.now() }) },
      },
    },
    exhausted: failingState<Ctx>(
      (c) => new VoteExhaustedError(c.path, c.progress.step, c.last?.samples ?? 0),
    ),
    tooLong: failingState<Ctx>((c) => new MaxStepsError(c.path, c.maxSteps!)),
    done: { type: 'final' },
    stopped: { type: 'final', entry: ({ context: c }) => c.onStop?.(c.progress.step) },
  },
  output: ({ context: c }) => ({
    agent: c.path.split('/').at(-1) ?? c.path,
    text: JSON.stringify({ steps: c.progress.step, state: c.progress.state }),
    steps: c.progress.step,
    samples: c.progress.samples,
    flagged: c.progress.flagged,
    exhausted: c.progress.exhausted,
  }),
});

function flaggedCount(v: VoteResult): number {
  let n = 0;
  for (const c of Object.values(v.flagged)) n += c ?? 0;
  return n;
}

/** One compact line per vote: tallies only when the samples disagreed. */
function voteRecord(v: VoteResult, path: string, k: number) {
  const distinct = Object.keys(v.tallies).length;
  return {
    type: 'maker.vote' as const,
    path,
    k,
    step: v.step,
    outcome: v.outcome,
    samples: v.samples,
    margin: v.margin,
    ...(v.answer !== undefined && { answer: v.answer }),
    ...(flaggedCount(v) > 0 && { flagged: v.flagged }),
    ...(distinct > 1 && { tallies: v.tallies }),
  };
}
