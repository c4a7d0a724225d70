/**
 * The samples of the step a MAKER runner is voting on, kept as they are drawn: what a runner
 * stopped in the middle of a step (a graceful shutdown) logs in one `maker.samples` record, and
 * what the resumed runner gives back for those draws instead of asking again. Only the step in
 * flight is kept (a million-step run holds one step's samples, and logs none while it runs): a
 * kill -9 leaves no record, and that step's samples are drawn again.
 */
import { promptHash } from '../actors/agentWorker.js';
import type { LogEventOf } from '../log/missionLogEvent.js';
import type { RecoveredMaker } from '../log/missionRecovery.js';
import type { Sample, SampleRequest } from './makerVote.js';

type Recorded = NonNullable<RecoveredMaker['pending']>;

export class StepSamples {
  private step = -1;
  private prompt = '';
  /** Which vote of the step: a vote begun again (after an exhausted one) keeps only its own. */
  private vote = 0;
  private readonly drawn = new Map<number, Sample>();
  /** Recorded samples given back already, each once (a vote begun again draws anew). */
  private readonly replayed = new Set<number>();
  /** Whether the recorded samples answer the prompt their step has now. */
  private matches: boolean | undefined;

  /** @param recorded the samples a stopped runner logged (`RecoveredMaker.pending`) */
  constructor(private readonly recorded?: Recorded) {}

  /** A draw begins: a new step, or a vote's first sample (begun again), starts afresh; its vote. */
  begin(req: SampleRequest): number {
    if (req.step > this.step || (req.step === this.step && req.index === 0)) {
      this.step = req.step;
      this.prompt = req.prompt;
      this.vote++;
      this.drawn.clear();
    }
    return this.vote;
  }

  /** The recorded answer to this draw, if the log has one not given back yet. */
  replay(req: SampleRequest): Sample | undefined {
    const r = this.recorded;
    if (r === undefined || req.step !== r.step || this.replayed.has(req.index)) return undefined;
    this.matches ??= promptHash(req.prompt) === r.promptHash;
    const s = this.matches ? r.samples.find((x) => x.index === req.index) : undefined;
    if (s === undefined) return undefined;
    this.replayed.add(req.index);
    return {
      text: s.text,
      ...(s.completionTokens !== undefined && { completionTokens: s.completionTokens }),
      ...(s.lost !== undefined && { lost: s.lost }),
    };
  }

  /** Keeps a sample of the vote in flight (a late one of an ended vote is dropped); `s` itself. */
  keep(vote: number, req: SampleRequest, s: Sample): Sample {
    if (vote === this.vote && req.step === this.step) this.drawn.set(req.index, s);
    return s;
  }

  /** The record of step `step`'s samples so far; undefined when it has drawn none. */
  record(path: string, step: number): LogEventOf<'maker.samples'> | undefined {
    if (step !== this.step || this.drawn.size === 0) return undefined;
    return {
      type: 'maker.samples',
      path,
      step,
      promptHash: promptHash(this.prompt),
      samples: [...this.drawn]
        .sort(([a], [b]) => a - b)
        .map(([index, s]) => ({
          index,
          text: s.text,
          ...(s.completionTokens !== undefined && { completionTokens: s.completionTokens }),
          ...(s.lost !== undefined && { lost: s.lost }),
        })),
    };
  }
}
