/**
 * MAKER's vote as a statechart: first-to-ahead-by-k. On `vote.begin` it draws the first batch
 * of samples in parallel (default k), then `batch` at a time (default 1); each sample is judged
 * by the red-flagger (and an optional oracle) and, if it passes, tallied by its normalized
 * answer. The vote is decided as soon as one answer leads every other by k; after `maxSamples`
 * it is `exhausted`, which is its own outcome and never a plurality. The result goes to the
 * parent as `vote.decided`. A sample whose call fails is not a vote: the machine fails with the
 * error, and the supervisor above decides (restart the step's runner, or give up).
 *
 * The machine is long-lived, one vote after another, and keeps the running vote in a mutable
 * `VoteRun`: at a million steps, allocating a new actor and context per vote would cost more
 * than the vote itself. Samples are drawn by the invoked `sampler` actor, never by the chart.
 */
import { fromCallback, sendParent, setup, type EventObject, assertEvent } from 'xstate';
import { failingState, failWith } from './machineFailure.js';
import { errorMessage } from '../kernel/errors.js';
import type { Judged, RedFlagReason } from '../actors/maker/redFlag.js';
import { VoteTally } from '../actors/maker/voteTally.js';
import type { StepParse } from '../actors/tasks/stepTask.js';

export interface VoteSettings {
  k: number;
  /** Samples drawn in parallel when a vote begins. @default k */
  firstBatch?: number;
  /** Samples drawn at a time after the first batch. @default 1 */
  batch?: number;
  /** After this many samples without a winner the vote is `exhausted`. */
  maxSamples: number;
  /** Temperature of the first sample of a vote, and of the others (the paper: 0 and 0.1). */
  temperatures?: { first?: number; rest?: number };
}

export interface SampleRequest {
  step: number;
  index: number;
  prompt: string;
  temperature?: number;
}

export interface Sample {
  text: string;
  completionTokens?: number;
  /**
   * The draw failed in a way a retry may cure (a provider's 5xx, a timeout, a rate limit): a
   * discarded draw, counted in the step's samples and red flags as `lost`, not a crash of the
   * vote. An error the draw throws instead (non-retryable, over budget, a bug) fails the vote.
   */
  lost?: string;
}

/** What the sampler runs for each sample: a model call through the agent's provider. */
export type DrawSample = (request: SampleRequest, signal: AbortSignal) => Promise<Sample>;

export interface MakerVoteInput<S = unknown> {
  settings: VoteSettings;
  draw: DrawSample;
  /** Red-flags a sample or returns its parse. */
  judge: (text: string, state: S, completionTokens?: number) => Judged<S>;
  /** An optional check of a parsed sample; a rejected sample is discarded like a red flag. */
  oracle?: (parse: StepParse<S>, state: S) => boolean;
}

export interface VoteResult<S = unknown> {
  type: 'vote.decided';
  step: number;
  outcome: 'decided' | 'exhausted';
  /** The winning normalized answer (absent when exhausted). */
  answer?: string;
  parse?: StepParse<S>;
  margin: number;
  samples: number;
  flagged: Partial<Record<RedFlagReason, number>>;
  tallies: Record<string, number>;
}

export type MakerVoteEvent =
  | { type: 'vote.begin'; step: number; prompt: string; state: unknown }
  /** A judged sample: its answer and parse, or the red flag that discarded it. */
  | {
      type: 'vote.sample';
      step: number;
      index: number;
      answer?: string;
      parse?: StepParse<unknown>;
      flag?: RedFlagReason;
    }
  | { type: 'vote.sample.failed'; step: number; index: number; error: unknown };

/** The running vote. */
class VoteRun {
  readonly tally = new VoteTally<StepParse<unknown>>();
  drawn = 0;
  inFlight = 0;
  flaggedTotal = 0;
  readonly flagged: Partial<Record<RedFlagReason, number>> = {};
  winner: string | undefined;
  constructor(
    readonly step: number,
    readonly prompt: string,
    readonly state: unknown,
  ) {}
}

export interface VoteContext extends MakerVoteInput {
  run: VoteRun | undefined;
  failure?: unknown;
}

/** The sampler draws samples and judges each (red flags, oracle) before the chart tallies it. */
const sampler = fromCallback<EventObject, Pick<MakerVoteInput, 'draw' | 'judge' | 'oracle'>>(
  ({ input, receive, sendBack }) => {
    // A controller per vote, not one for the sampler's life: a vote can be decided with samples
    // still in flight (a first batch larger than k, batches of more than one), and one of those
    // failing later (a lost sample timing out) must not abort the next vote's samples, which would
    // then end unheard and leave that vote waiting forever. A new vote aborts what the last one
    // left in flight: it is decided, those samples are of no use now.
    let vote: { step: number; abort: AbortController } | undefined;
    // The first failure fails the vote; its other samples in flight are of no use now.
    const fail = (req: SampleRequest, abort: AbortController, error: unknown) => {
      if (abort.signal.aborted) return;
      abort.abort();
      sendBack({ type: 'vote.sample.failed', step: req.step, index: req.index, error });
    };
    receive((e) => {
      const req = e as unknown as SampleRequest & { type: 'sampler.draw'; state: unknown };
      if (vote?.step !== req.step) {
        vote?.abort.abort();
        vote = { step: req.step, abort: new AbortController() };
      }
      const { abort } = vote;
      input.draw(req, abort.signal).then(
        (s) => {
          // Stopped (the vote ended, failed or was stopped): nobody is there to hear the answer.
          if (abort.signal.aborted) return;
          let event: MakerVoteEvent;
          try {
            event = judgedSample(input, req, s);
          } catch (error) {
            // A judge or oracle that throws is a bug in a task's parser, not a vote either.
            fail(req, abort, error);
            return;
          }
          sendBack(event);
        },
        (error: unknown) => fail(req, abort, error),
      );
    });
    return () => vote?.abort.abort();
  },
);

function judgedSample(
  input: Pick<MakerVoteInput, 'judge' | 'oracle'>,
  req: SampleRequest & { state: unknown },
  s: Sample,
): MakerVoteEvent {
  if (s.lost !== undefined)
    return { type: 'vote.sample', step: req.step, index: req.index, flag: 'lost' };
  const judged = input.judge(s.text, req.state, s.completionTokens);
  let flag: RedFlagReason | undefined = judged.ok ? undefined : judged.reason;
  if (judged.ok && input.oracle && !input.oracle(judged.parse, req.state)) flag = 'oracle';
  return flag || !judged.ok
    ? { type: 'vote.sample', step: req.step, index: req.index, flag }
    : {
        type: 'vote.sample',
        step: req.step,
        index: req.index,
        answer: judged.parse.answer,
        parse: judged.parse,
      };
}

function requests(
  ctx: VoteContext,
  count: number,
): (SampleRequest & { type: 'sampler.draw'; state: unknown })[] {
  const run = ctx.run!;
  const t = ctx.settings.temperatures;
  const out = [];
  for (let i = 0; i < count && run.drawn < ctx.settings.maxSamples; i++) {
    const index = run.drawn++;
    run.inFlight++;
    const temperature = index === 0 ? t?.first : t?.rest;
    out.push({
      type: 'sampler.draw' as const,
      step: run.step,
      index,
      prompt: run.prompt,
      state: run.state,
      ...(temperature !== undefined && { temperature }),
    });
  }
  return out;
}

export function voteResult(ctx: VoteContext): VoteResult {
  const run = ctx.run!;
  const answer = run.winner;
  return {
    type: 'vote.decided',
    step: run.step,
    outcome: answer === undefined ? 'exhausted' : 'decided',
    ...(answer !== undefined && { answer, parse: run.tally.parseOf(answer) }),
    margin: run.tally.margin,
    samples: run.drawn,
    flagged: run.flagged,
    tallies: run.tally.tallies(),
  };
}

export const makerVoteMachine = setup({
  types: { input: {} as MakerVoteInput, context: {} as VoteContext, events: {} as MakerVoteEvent },
  actors: { sampler, failWith },
  guards: {
    isStale: ({ context, event }) => !('step' in event) || context.run?.step !== event.step,
    /** This sample's vote puts its answer k ahead. */
    decides: ({ context, event: e }) =>
      e.type === 'vote.sample' &&
      e.answer !== undefined &&
      context.run!.tally.wouldWin(e.answer, context.settings.k),
    /** This was the last sample in flight, the limit is reached, and it does not decide. */
    exhausts: ({ context }) =>
      context.run!.inFlight === 1 && context.run!.drawn >= context.settings.maxSamples,
  },
  actions: {
    begin: ({ context, event: e }) => {
      assertEvent(e, 'vote.begin');
      context.run = new VoteRun(e.step, e.prompt, e.state);
    },
    drawFirst: ({ context, self }) => {
      const n = context.settings.firstBatch ?? context.settings.k;
      for (const r of requests(context, n)) self.getSnapshot().children.sampler?.send(r);
    },
    record: ({ context, event: e, self }) => {
      assertEvent(e, 'vote.sample');
      const run = context.run!;
      run.inFlight--;
      if (e.answer === undefined) {
        const reason = e.flag ?? 'parse';
        run.flagged[reason] = (run.flagged[reason] ?? 0) + 1;
        run.flaggedTotal++;
      } else {
        run.tally.add(e.answer, e.parse!);
        run.winner = run.tally.winner(context.settings.k);
      }
      // Then one batch at a time, once the samples in flight are in.
      if (run.winner === undefined && run.inFlight === 0) {
        for (const r of requests(context, context.settings.batch ?? 1))
          self.getSnapshot().children.sampler?.send(r);
      }
    },
    report: sendParent(({ context }) => voteResult(context)),
    keepFailure: ({ context, event }) => {
      assertEvent(event, 'vote.sample.failed');
      context.failure = event.error;
    },
  },
}).createMachine({
  id: 'makerVote',
  context: ({ input }) => ({ ...input, run: undefined }),
  invoke: {
    id: 'sampler',
    src: 'sampler',
    input: ({ context }) => ({ draw: context.draw, judge: context.judge, oracle: context.oracle }),
  },
  initial: 'idle',
  states: {
    idle: {
      on: { 'vote.begin': { target: 'sampling', actions: ['begin', 'drawFirst'] } },
    },
    sampling: {
      on: {
        'vote.sample': [
          { guard: 'isStale' },
          { guard: 'decides', target: 'idle', actions: ['record', 'report'] },
          { guard: 'exhausts', target: 'idle', actions: ['record', 'report'] },
          { actions: 'record' },
        ],
        'vote.sample.failed': [{ guard: 'isStale' }, { target: 'failed', actions: 'keepFailure' }],
      },
    },
    failed: failingState<VoteContext>((c) =>
      c.failure instanceof Error ? c.failure : new Error(errorMessage(c.failure)),
    ),
  },
});
