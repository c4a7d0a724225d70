/**
 * The vote panel: the latest `maker.vote` of each MAKER runner. At a million steps a vote is
 * recorded per step, so recording only keeps the record; it becomes a (redacted) `VoteView`
 * at the flush, once per runner however many votes came in between.
 */
import { bound, MAX_ITEMS, stagePath, str, type ObservedEvent, type Redact } from './hubEvents.js';
import type { MakerProgress, VoteView } from './types.js';

export class VoteBoard {
  private readonly views = new Map<string, VoteView>();
  private readonly latest = new Map<string, ObservedEvent>();
  /** The runner of each mission's current MAKER stage, for records without a `path`. */
  private readonly runners = new Map<string, string>();
  private readonly progressOf = new Map<string, MakerProgress>();
  /** Runners whose progress moved with no new vote (a snapshot, their stage's end). */
  private readonly moved = new Set<string>();

  constructor(private readonly redact: Redact) {}

  get pending(): boolean {
    return this.latest.size > 0 || this.moved.size > 0;
  }

  stageEntered(e: ObservedEvent): void {
    const runner = makerRunnerPath(e);
    if (runner !== undefined) this.runners.set(String(e.mission), runner);
  }

  /** A runner's vote: the record's `path`, else the runner of its mission's MAKER stage. */
  vote(e: ObservedEvent): void {
    const path = typeof e.path === 'string' ? e.path : this.runners.get(String(e.mission));
    if (path !== undefined) this.latest.set(path, e);
  }

  /** A runner's progress (MakerProgressFold's), shown with its latest vote. */
  progress(path: string, progress: MakerProgress): void {
    this.progressOf.set(path, progress);
    const view = this.views.get(path);
    if (view && !this.latest.has(path)) this.moved.add(path);
  }

  /** The mission under `root` ended: its runners go no further, so their progress has no ETA. */
  stopped(root: string): void {
    for (const [path, p] of this.progressOf) {
      if (!path.startsWith(`${root}/`) || (p.etaMs === undefined && p.stepsPerSecond === undefined))
        continue;
      const { etaMs: _eta, stepsPerSecond: _rate, ...still } = p;
      this.progressOf.set(path, still);
      if (this.views.has(path)) this.moved.add(path);
    }
  }

  /** The views changed since the last call. */
  take(): VoteView[] {
    const out: VoteView[] = [];
    for (const [path, raw] of this.latest) {
      const view = voteViewOf(path, raw, this.redact);
      const progress = this.progressOf.get(path);
      if (progress) view.progress = progress;
      this.views.set(path, view);
      out.push(view);
    }
    for (const path of this.moved) {
      const view = this.views.get(path);
      const progress = this.progressOf.get(path);
      if (!view || !progress || this.latest.has(path)) continue;
      view.progress = progress;
      out.push(view);
    }
    this.latest.clear();
    this.moved.clear();
    return out;
  }

  all(): VoteView[] {
    return [...this.views.values()];
  }

  /** Drop the views of the runners under `path` and the mission's runner. */
  forget(path: string, mission: string): void {
    for (const p of [...this.views.keys(), ...this.latest.keys()]) {
      if (p === path || p.startsWith(`${path}/`)) {
        this.views.delete(p);
        this.latest.delete(p);
        this.progressOf.delete(p);
        this.moved.delete(p);
      }
    }
    this.runners.delete(mission);
  }
}

/**
 * The runner a `maker.vote` record belongs to: its `path` when it carries one, else the MAKER
 * runner of the mission's current MAKER stage (from `stage.entered`).
 */
export function makerRunnerPath(stageEntered: ObservedEvent): string | undefined {
  const mission = str(stageEntered.mission);
  const stage = str(stageEntered.stage);
  const agent = Array.isArray(stageEntered.agents) ? str(stageEntered.agents[0]) : undefined;
  if (
    mission === undefined ||
    stage === undefined ||
    agent === undefined ||
    stageEntered.maker === undefined
  )
    return undefined;
  return `${stagePath(mission, stage)}/maker/${agent}`;
}

/** A `maker.vote` record (`machines/makerTask.ts`) as the vote panel shows it, redacted. */
export function voteViewOf(path: string, e: ObservedEvent, redact: Redact): VoteView {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  let flagged = 0;
  if (e.flagged && typeof e.flagged === 'object')
    for (const n of Object.values(e.flagged)) flagged += num(n);
  else flagged = num(e.flagged);
  const samples = num(e.samples);
  const answer = str(e.answer);
  // Tallies are recorded only when the samples disagreed; otherwise every counted sample agreed.
  const raw =
    e.tallies && typeof e.tallies === 'object'
      ? Object.entries(e.tallies)
      : answer !== undefined
        ? [[answer, samples - flagged]]
        : [];
  const tallies: Record<string, number> = {};
  for (const [answerText, count] of redact(raw.slice(0, MAX_ITEMS) as [string, unknown][]))
    tallies[bound(answerText, 0) as string] = num(count);
  const view: VoteView = { path, step: num(e.step), k: num(e.k), samples, tallies, flagged };
  if (e.outcome === 'decided' || e.outcome === 'exhausted') view.outcome = e.outcome;
  if (answer !== undefined) view.winner = bound(redact(answer), 0) as string;
  return view;
}
