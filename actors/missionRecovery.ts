/**
 * What a mission's event log says about it, folded in one pass: the submitted config, which
 * stages finished with what output, the approvals asked and answered, how far each MAKER task
 * got (its last snapshot plus the votes after it), and whether the mission ended. The daemon
 * resumes a mission from this, so the fold reads only what resuming needs: a million-step log
 * is scanned line by line, and only the lines that matter are parsed.
 */
import { readFileSync } from 'node:fs';
import type { BudgetUsage } from '../supervisors/budget.js';
import type { LoggedEvent } from './eventLog.js';

export interface RecoveredStage {
  index: number;
  name: string;
  /** stage.finished records, in order (one per attempt that finished). */
  finished: { attempt: number; output: string; answers: number }[];
}

export interface RecoveredApproval {
  id: string;
  stage: string;
  index: number;
  attempt: number;
  output: string;
  requestedAt: string;
  timeoutAt?: string;
  onTimeout?: 'approve' | 'reject';
  answer?: { decision: 'approve' | 'reject'; feedback?: string; by?: string; at: string };
}

export interface MakerSnapshot<S = unknown> {
  step: number;
  state: S;
  previous?: string;
  samples: number;
  flagged: number;
  exhausted?: number;
}

export interface MakerVoteRecord {
  step: number;
  outcome: 'decided' | 'exhausted';
  samples: number;
  answer?: string;
  flagged?: Record<string, number>;
}

export interface RecoveredMaker {
  snapshot?: MakerSnapshot;
  /** Votes logged after the snapshot, in order. */
  tail: MakerVoteRecord[];
}

/** A plan stage's progress: the last plan compiled, the tasks that finished (in any run), the replans made. */
export interface RecoveredPlan {
  plan?: unknown;
  finished: Record<string, string>;
  replans: number;
  /** The blackboard's events (`<orchestrator>/blackboard`), for `Blackboard.fromEvents`. */
  board: LoggedEvent[];
}

export interface RecoveredMission {
  id: string;
  file: string;
  submitted?: { name: string; config: unknown; input?: string; keySalt?: string; at: string };
  finished?: { status: string; result?: string; error?: { reason: string; message: string }; usage?: BudgetUsage; at: string };
  stages: RecoveredStage[];
  approvals: RecoveredApproval[];
  maker: Map<string, RecoveredMaker>;
  /** By the orchestrator's path. */
  plans: Map<string, RecoveredPlan>;
  /**
   * The latest usage the log recorded (stage.finished, maker.snapshot, mission.suspended), plus
   * the calls (agent.call: a sample, tokens, cost) and the samples of the maker.vote records
   * after it, to seed the budget. The tokens and cost of MAKER samples after the last snapshot
   * are not in the log (votes record samples only), so they are not counted again.
   */
  usage?: BudgetUsage;
  /** Complete lines read. */
  lines: number;
}

/** Types whose lines are parsed as they are met; maker.vote lines are parsed only after the last snapshot. */
const FOLDED = new Set([
  'mission.submitted',
  'mission.finished',
  'mission.suspended',
  'stage.finished',
  'approval.requested',
  'approval.answered',
  'maker.snapshot',
  'plan.compiled',
  'plan.revised',
  'task.finished',
  'blackboard.entry',
  'blackboard.compressed',
]);

export function recoverMission(file: string, id: string): RecoveredMission {
  const text = readFileSync(file, 'utf8');
  const r: RecoveredMission = { id, file, stages: [], approvals: [], maker: new Map(), plans: new Map(), lines: 0 };
  // maker.vote lines are remembered by offset; the snapshot decides which of them matter.
  const votes: number[] = [];
  // agent.call lines after the last usage record: calls paid for and not yet in a usage record.
  let calls: LoggedEvent[] = [];
  let lastSnapshotAt = -1;
  let usageAt = -1;
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    // A last line with no newline is torn, even when it parses: EventLog.open cuts it off, so
    // what it says never happened (the mission does it again, and logs it again).
    if (end === -1) break;
    const type = typeOf(text, start, end);
    if (type === 'maker.vote') votes.push(start);
    else if (type === 'agent.call') {
      const e = parseLine(text, start, end);
      if (e) calls.push(e);
    } else if (type !== undefined && FOLDED.has(type)) {
      const e = parseLine(text, start, end);
      if (e) {
        fold(r, e);
        if (type === 'maker.snapshot') lastSnapshotAt = start;
        if (e.usage !== undefined && type !== 'mission.finished') {
          usageAt = start;
          calls = [];
        }
      }
    }
    r.lines++;
    start = end + 1;
  }
  // Each call reserved a sample before it went out; one that answered also spent its tokens and cost.
  for (const c of calls) {
    const u = r.usage ?? { tokens: 0, costUsd: 0, samples: 0, wallTimeMs: 0 };
    const tokens = (c.usage as { totalTokens?: number } | undefined)?.totalTokens ?? 0;
    r.usage = { ...u, samples: u.samples + 1, tokens: u.tokens + tokens, costUsd: u.costUsd + ((c.costUsd as number | undefined) ?? 0) };
  }
  for (const at of votes) {
    if (at < lastSnapshotAt) continue;
    const e = parseLine(text, at, lineEnd(text, at));
    if (!e) continue;
    const m = makerOf(r, e.path as string);
    const step = e.step as number;
    const after = m.tail.at(-1)?.step ?? m.snapshot?.step ?? -1;
    // Votes for steps a snapshot or an earlier record already covers are not applied twice.
    if (m.snapshot && step < m.snapshot.step) continue;
    if (e.outcome === 'decided' && step <= after && m.tail.some((v) => v.step === step && v.outcome === 'decided')) continue;
    m.tail.push({ step, outcome: e.outcome as 'decided' | 'exhausted', samples: e.samples as number, answer: e.answer as string | undefined, flagged: e.flagged as Record<string, number> | undefined });
    // Samples drawn after the last usage record were spent too: the resumed budget counts them.
    if (at > usageAt) r.usage = { ...(r.usage ?? { tokens: 0, costUsd: 0, samples: 0, wallTimeMs: 0 }), samples: (r.usage?.samples ?? 0) + (e.samples as number) };
  }
  return r;
}

function fold(r: RecoveredMission, e: LoggedEvent): void {
  switch (e.type) {
    case 'mission.submitted':
      r.submitted = { name: e.name as string, config: e.config, input: e.input as string | undefined, keySalt: e.keySalt as string | undefined, at: e.ts };
      break;
    case 'mission.finished':
      r.finished = { status: e.status as string, result: e.result as string | undefined, error: e.error as { reason: string; message: string } | undefined, usage: e.usage as BudgetUsage | undefined, at: e.ts };
      break;
    case 'mission.suspended':
      // Everything the mission had spent when it stopped, in-flight calls included.
      if (e.usage) r.usage = e.usage as BudgetUsage;
      break;
    case 'stage.finished': {
      const index = e.index as number;
      let s = r.stages.find((x) => x.index === index);
      if (!s) r.stages.push((s = { index, name: e.stage as string, finished: [] }));
      s.finished.push({ attempt: (e.attempt as number | undefined) ?? 1, output: (e.output as string | undefined) ?? '', answers: (e.answers as number | undefined) ?? 0 });
      if (e.usage) r.usage = e.usage as BudgetUsage;
      break;
    }
    case 'approval.requested':
      if (r.approvals.some((a) => a.id === e.id)) break;
      r.approvals.push({
        id: e.id as string,
        stage: e.stage as string,
        index: e.index as number,
        attempt: e.attempt as number,
        output: e.output as string,
        requestedAt: e.ts,
        ...(e.timeoutAt !== undefined && { timeoutAt: e.timeoutAt as string }),
        ...(e.onTimeout !== undefined && { onTimeout: e.onTimeout as 'approve' | 'reject' }),
      });
      break;
    case 'approval.answered': {
      const a = r.approvals.find((x) => x.id === e.id);
      // The first answer stands: a second one is harmless.
      if (a && !a.answer) a.answer = { decision: e.decision as 'approve' | 'reject', feedback: e.feedback as string | undefined, by: e.by as string | undefined, at: e.ts };
      break;
    }
    case 'plan.compiled':
      if (e.plan !== undefined) planOf(r, e.path as string).plan = e.plan;
      break;
    case 'plan.revised':
      planOf(r, e.path as string).replans = e.replan as number;
      break;
    case 'blackboard.entry':
    case 'blackboard.compressed':
      planOf(r, String(e.path).replace(/\/blackboard$/, '')).board.push(e);
      break;
    case 'task.finished': {
      // The runner's path is `<orchestrator>/tasks`' parent: task events carry the orchestrator's path.
      planOf(r, e.path as string).finished[e.task as string] = e.output as string;
      break;
    }
    case 'maker.snapshot': {
      const m = makerOf(r, e.path as string);
      m.snapshot = { step: e.step as number, state: e.state, previous: e.previous as string | undefined, samples: e.samples as number, flagged: e.flagged as number, exhausted: e.exhausted as number | undefined };
      m.tail = [];
      if (e.usage) r.usage = e.usage as BudgetUsage;
      break;
    }
  }
}

function planOf(r: RecoveredMission, path: string): RecoveredPlan {
  let p = r.plans.get(path);
  if (!p) r.plans.set(path, (p = { finished: {}, replans: 0, board: [] }));
  return p;
}

function makerOf(r: RecoveredMission, path: string): RecoveredMaker {
  let m = r.maker.get(path);
  if (!m) r.maker.set(path, (m = { tail: [] }));
  return m;
}

/** The event type of a line, read in place: lines start `{"seq":…,"ts":"…","mission":"…","type":"…"`. */
function typeOf(text: string, start: number, end: number): string | undefined {
  const at = text.indexOf('"type":"', start);
  if (at === -1 || at >= end) return undefined;
  const from = at + 8;
  const to = text.indexOf('"', from);
  return to === -1 || to > end ? undefined : text.slice(from, to);
}

function parseLine(text: string, start: number, end: number): LoggedEvent | undefined {
  try {
    return JSON.parse(text.slice(start, end)) as LoggedEvent;
  } catch {
    return undefined; // a mangled line (EventLog.read refuses one): skipped
  }
}

function lineEnd(text: string, start: number): number {
  const end = text.indexOf('\n', start);
  return end === -1 ? text.length : end;
}
