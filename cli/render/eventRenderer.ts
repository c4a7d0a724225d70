/**
 * Mission events as they happen (or as a log replays them), as lines: in words, or as JSON
 * lines. One renderer for `run`'s progress, `submit --follow`, `replay` and the daemon's
 * terminal, so an event reads the same everywhere.
 *
 * A MAKER task may decide a million steps: its votes are not a line each. Its progress (step N of
 * M, samples per step, red flags, speed, ETA) is a line at most every `makerEveryMs` on the
 * injected clock, and once more when the task is done; an exhausted vote always gets its line.
 */
import type { LoggedEvent } from '../../log/eventLog.js';
import { MakerProgressFold, type MakerProgressView } from '../../inspector/makerProgressFold.js';
import { isRoutineDecision } from './decisionSentence.js';
import { eventSentence } from './eventSentence.js';
import { makerLine } from './makerLine.js';
import type { OutputMode } from './outputMode.js';

export interface EventRendererOptions {
  mode: OutputMode;
  /** Gets each line, and the event it is about. */
  write: (line: string, e: LoggedEvent) => void;
  /**
   * `progress` (run, follow, the daemon) leaves out what a person watching does not need: the
   * submitted config, routine supervisor ends, task starts and board entries. `all` (replay, and
   * JSON lines for a program) gives every event a line. Single MAKER votes never get one.
   * @default 'progress'
   */
  detail?: 'progress' | 'all';
  /** A MAKER progress line at most this often. @default 1000 */
  makerEveryMs?: number;
  /** The time, for that: the wall clock by default; replay passes the event's own. */
  now?: (e: LoggedEvent) => number;
}

/** Events a person watching progress does not need a line for (replay shows them). */
const QUIET = new Set([
  'mission.submitted',
  'task.started',
  'task.finished',
  'blackboard.entry',
  'genius.text',
]);

/** Whether a progress view gives `e` a line: not the config, routine supervisor ends, task starts or board entries. */
function worthAProgressLine(e: LoggedEvent): boolean {
  return !QUIET.has(e.type) && !(e.type === 'supervisor.decision' && isRoutineDecision(e));
}

export function eventRenderer(options: EventRendererOptions): (e: LoggedEvent) => void {
  const { mode, write } = options;
  const detail = options.detail ?? 'progress';
  const every = options.makerEveryMs ?? 1000;
  const now = options.now ?? (() => Date.now());
  const maker = new MakerProgressFold();
  const lastLine = new Map<string, number>();
  const doneShown = new Set<string>();
  let stages: number | undefined;
  let startFailureSaid = false;

  const makerProgress = (v: MakerProgressView, e: LoggedEvent): void => {
    if (mode === 'json')
      write(
        JSON.stringify({ seq: e.seq, ts: e.ts, mission: e.mission, type: 'maker.progress', ...v }),
        e,
      );
    else write(makerLine(v), e);
  };

  return (e) => {
    if (e.type === 'mission.started') stages = (e.stages as unknown[] | undefined)?.length;
    if (e.type === 'mission.submitted')
      stages = (e.config as { stages?: unknown[] } | undefined)?.stages?.length;
    const moved = maker.apply(e);
    if (e.type === 'maker.vote' && e.outcome !== 'exhausted') {
      if (!moved) return;
      const t = now(e);
      const last = lastLine.get(moved.path);
      // Not at the first step seen (there is no speed yet), then at most once per interval.
      if (last === undefined) lastLine.set(moved.path, t);
      if (moved.done) finish(moved, e);
      else if (last !== undefined && t - last >= every) {
        lastLine.set(moved.path, t);
        makerProgress(moved, e);
      }
      return;
    }
    // A MAKER stage's last word before its own end.
    if (e.type === 'stage.finished' && moved) finish(moved, e);
    if (detail === 'progress' && !worthAProgressLine(e)) return;
    write(mode === 'json' ? JSON.stringify(e) : eventSentence(e, { stages, startFailureSaid }), e);
    if (e.type === 'mission.start_failed') startFailureSaid = true;
  };

  function finish(v: MakerProgressView, e: LoggedEvent): void {
    if (doneShown.has(v.path)) return;
    doneShown.add(v.path);
    makerProgress({ ...v, done: true }, e);
  }
}
