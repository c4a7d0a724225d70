/**
 * How far each MAKER task of a mission has got, folded from its events (`maker.vote`,
 * `maker.snapshot`, `stage.finished`) or seeded from a recovered log: step N of M, samples per
 * step, the red-flag rate, steps per second and an ETA. The daemon's status, `run`'s progress
 * lines, `submit --follow` and `replay` all read a task's progress from here, so they agree.
 *
 * Time is the events' own (`ts`, written by the mission's clock), so a replayed log and a test on
 * a manual clock give exact rates. The rate is over the steps this fold saw decided, from the
 * first one: a resumed task's rate starts again at the resume, it does not count the time the
 * mission was down.
 */
import type { LoggedEvent } from '../log/eventLog.js';
import type { LoggedEventOf } from '../log/missionLogEvent.js';
import type { RecoveredMaker } from '../log/missionRecovery.js';
import { stepTaskFor } from '../actors/tasks/registry.js';
import type { MakerConfig, StepTaskConfig } from '../config/maker.js';

export interface MakerProgressView {
  stage: string;
  /** The runner's path, `mission/<id>/stage/<name>/maker/<agent>`: the key of its records. */
  path: string;
  /** Steps decided. */
  step: number;
  /** Steps to the end when known in advance: the task's own length (Hanoi: 2^n − 1) or `maxSteps`, the smaller. */
  steps?: number;
  /** The voting margin, from the last vote. */
  k?: number;
  /** Samples drawn, red-flagged ones included. */
  samples: number;
  /** Samples red-flagged (discarded, never voted). */
  flagged: number;
  /** Votes that ended with no winner (each made the runner start the step again). */
  exhausted: number;
  /** Samples per decided step (0 before the first). */
  samplesPerStep: number;
  /** flagged / samples (0 before the first sample). */
  redFlagRate: number;
  /** Decided steps per second since the first step this fold saw decided; absent until time has passed. */
  stepsPerSecond?: number;
  /** Time to the last step at that rate; absent when `steps` or the rate is unknown. */
  etaMs?: number;
  /** The stage finished (or the last step is decided). */
  done: boolean;
}

interface Track {
  stage: string;
  path: string;
  step: number;
  k?: number;
  samples: number;
  flagged: number;
  exhausted: number;
  done: boolean;
  first?: { at: number; step: number };
  last?: { at: number; step: number };
}

/** A stage's MAKER settings as far as progress needs them. */
type MakerStage = Pick<MakerConfig, 'task' | 'maxSteps'>;

export class MakerProgressFold {
  private readonly tracks = new Map<string, Track>();
  /** Steps to the end, by stage name; undefined when the task does not know its length. */
  private readonly lengths = new Map<string, number | undefined>();

  /** `stages`: the mission's stages when known (the daemon has its config); else `mission.submitted` gives them. */
  constructor(stages?: readonly { name: string; maker?: MakerStage }[]) {
    if (stages) this.learnStages(stages);
  }

  /** Folds one event; the view of the task it moved, or undefined when it moved none. */
  apply(e: LoggedEvent): MakerProgressView | undefined {
    switch (e.type) {
      case 'mission.submitted': {
        const stages = (e.config as { stages?: unknown } | undefined)?.stages;
        if (Array.isArray(stages))
          this.learnStages(stages as { name: string; maker?: MakerStage }[]);
        return undefined;
      }
      case 'stage.entered':
        if (e.maker !== undefined && !this.lengths.has(String(e.stage)))
          this.lengths.set(String(e.stage), lengthOf({ task: e.maker as StepTaskConfig }));
        return undefined;
      case 'maker.snapshot': {
        const t = this.track(String(e.path));
        t.step = e.step as number;
        t.samples = e.samples as number;
        t.flagged = e.flagged as number;
        t.exhausted = (e.exhausted as number | undefined) ?? t.exhausted;
        return this.view(t);
      }
      case 'maker.vote':
        return this.vote(e);
      case 'stage.finished': {
        let moved: MakerProgressView | undefined;
        for (const t of this.tracks.values()) {
          if (t.stage !== e.stage || t.done) continue;
          t.done = true;
          moved = this.view(t);
        }
        return moved;
      }
      default:
        return undefined;
    }
  }

  /** Seeds a task from a recovered log: its last snapshot, then the votes after it. */
  restore(path: string, recovered: RecoveredMaker): void {
    const t = this.track(path);
    const s = recovered.snapshot;
    if (s)
      Object.assign(t, {
        step: s.step,
        samples: s.samples,
        flagged: s.flagged,
        exhausted: s.exhausted ?? 0,
      });
    for (const v of recovered.tail) {
      if (v.step !== t.step) continue; // covered by the snapshot or an earlier record
      t.samples += v.samples;
      t.flagged += sum(v.flagged);
      if (v.outcome === 'decided') t.step++;
      else t.exhausted++;
    }
  }

  views(): MakerProgressView[] {
    return [...this.tracks.values()].map((t) => this.view(t));
  }

  private vote(e: LoggedEventOf<'maker.vote'>): MakerProgressView | undefined {
    const t = this.track(e.path);
    const step = e.step;
    // A record the snapshot or an earlier vote already counted (a replayed or doubled line).
    if (step < t.step) return undefined;
    t.k = e.k;
    t.samples += e.samples;
    t.flagged += sum(e.flagged);
    if (e.outcome === 'exhausted') {
      t.exhausted++;
      return this.view(t);
    }
    t.step = step + 1;
    const at = Date.parse(e.ts);
    if (Number.isFinite(at)) {
      t.first ??= { at, step: t.step };
      t.last = { at, step: t.step };
    }
    return this.view(t);
  }

  private track(path: string): Track {
    let t = this.tracks.get(path);
    if (!t)
      this.tracks.set(
        path,
        (t = {
          stage: stageOf(path),
          path,
          step: 0,
          samples: 0,
          flagged: 0,
          exhausted: 0,
          done: false,
        }),
      );
    return t;
  }

  private view(t: Track): MakerProgressView {
    const steps = this.lengths.get(t.stage);
    const elapsed = t.first && t.last ? t.last.at - t.first.at : 0;
    // From the step before the first one seen: that step took time too, from a start we did not see.
    const rate = elapsed > 0 ? ((t.last!.step - t.first!.step) * 1000) / elapsed : undefined;
    const done = t.done || (steps !== undefined && t.step >= steps);
    return {
      stage: t.stage,
      path: t.path,
      step: t.step,
      ...(steps !== undefined && { steps }),
      ...(t.k !== undefined && { k: t.k }),
      samples: t.samples,
      flagged: t.flagged,
      exhausted: t.exhausted,
      samplesPerStep: t.step > 0 ? t.samples / t.step : 0,
      redFlagRate: t.samples > 0 ? t.flagged / t.samples : 0,
      ...(rate !== undefined && rate > 0 && { stepsPerSecond: rate }),
      ...(rate !== undefined &&
        rate > 0 &&
        steps !== undefined && { etaMs: done ? 0 : (Math.max(0, steps - t.step) / rate) * 1000 }),
      done,
    };
  }

  private learnStages(stages: readonly { name: string; maker?: MakerStage }[]): void {
    for (const s of stages) if (s.maker) this.lengths.set(s.name, lengthOf(s.maker));
  }
}

/** The task's length or maxSteps, the smaller; undefined when neither is known. */
function lengthOf(m: MakerStage): number | undefined {
  let own: number | undefined;
  try {
    own = stepTaskFor(m.task).totalSteps?.(m.task);
  } catch {
    own = undefined; // a task config this version does not know: no length, still progress
  }
  const known = [own, m.maxSteps].filter(
    (n): n is number => typeof n === 'number' && Number.isFinite(n),
  );
  return known.length ? Math.min(...known) : undefined;
}

/** `mission/<id>/stage/<name>[@attempt]/maker/<agent>` → `<name>`. */
function stageOf(path: string): string {
  const after = path.split('/stage/')[1];
  return after === undefined ? path : after.split('/')[0]!.replace(/@\d+$/, '');
}

function sum(counts: Partial<Record<string, number>> | undefined): number {
  let n = 0;
  for (const c of Object.values(counts ?? {})) n += c ?? 0;
  return n;
}
