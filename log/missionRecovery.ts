/**
 * What a mission's event log says about it, folded in one pass: the submitted config, which
 * stages finished with what output, the approvals asked, answered or closed, how far each MAKER task
 * got (its last snapshot plus the votes after it), and whether the mission ended. The daemon
 * resumes a mission from this, so the fold reads only what resuming needs: a million-step log
 * is read in chunks, line by line, and only the lines that matter are parsed.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
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
  /**
   * Closed unanswered because the mission ended at the gate (`approval.closed`; for a log written
   * before that event, folded from a `mission.finished` that left the gate open).
   */
  closed?: { reason: string; message: string; at: string };
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
  finished?: {
    status: string;
    result?: string;
    error?: { reason: string; message: string };
    usage?: BudgetUsage;
    at: string;
  };
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
  /** Line numbers (1-based) of corrupt lines, skipped: not JSON, or not shaped as an event. */
  corrupt: number[];
}

/** Types whose lines are parsed as they are met; maker.vote lines are parsed only after the last snapshot. */
const FOLDED = new Set([
  'mission.submitted',
  'mission.finished',
  'mission.suspended',
  'stage.finished',
  'approval.requested',
  'approval.answered',
  'approval.closed',
  'maker.snapshot',
  'plan.compiled',
  'plan.revised',
  'task.finished',
  'blackboard.entry',
  'blackboard.compressed',
]);

export function recoverMission(file: string, id: string): RecoveredMission {
  const r: RecoveredMission = {
    id,
    file,
    stages: [],
    approvals: [],
    maker: new Map(),
    plans: new Map(),
    lines: 0,
    corrupt: [],
  };
  // Only the votes after the last snapshot are parsed: the snapshot covers the rest.
  const lastSnapshotAt = lastOffsetOf(file, '"type":"maker.snapshot"');
  // agent.call lines and vote samples after the last usage record: spent, and not yet in one.
  let calls: LoggedEvent[] = [];
  let voteSamples = 0;
  for (const { line, offset } of linesOf(file)) {
    r.lines++;
    const type = typeOf(line);
    if (type === undefined) {
      if (line.trim() !== '') r.corrupt.push(r.lines);
    } else if (type === 'maker.vote') {
      if (offset < lastSnapshotAt) continue;
      const e = parseLine(line);
      if (!e) r.corrupt.push(r.lines);
      else if (addVote(r, e)) voteSamples += e.samples as number;
    } else if (type === 'agent.call') {
      const e = parseLine(line);
      if (e) calls.push(e);
      else r.corrupt.push(r.lines);
    } else if (FOLDED.has(type)) {
      const e = parseLine(line);
      if (!e) {
        r.corrupt.push(r.lines);
        continue;
      }
      fold(r, e);
      if (e.usage !== undefined && type !== 'mission.finished') {
        calls = [];
        voteSamples = 0;
      }
    }
  }
  closeGates(r);
  // Each call reserved a sample before it went out; one that answered also spent its tokens and cost.
  const u = r.usage ?? { tokens: 0, costUsd: 0, samples: 0, wallTimeMs: 0 };
  if (calls.length > 0 || voteSamples > 0) {
    const tokens = calls.reduce(
      (n, c) => n + ((c.usage as { totalTokens?: number } | undefined)?.totalTokens ?? 0),
      0,
    );
    const cost = calls.reduce((n, c) => n + ((c.costUsd as number | undefined) ?? 0), 0);
    r.usage = {
      ...u,
      samples: u.samples + calls.length + voteSamples,
      tokens: u.tokens + tokens,
      costUsd: u.costUsd + cost,
    };
  }
  return r;
}

/**
 * A gate is closed once its mission ended: an old log's `mission.finished` with a gate left open
 * closes it here. A gate closed with no `mission.finished` after it (a crash between the two
 * writes) means the mission was ending for that reason: it ended so.
 */
function closeGates(r: RecoveredMission): void {
  const open = r.approvals.filter((a) => !a.answer && !a.closed);
  if (r.finished) {
    const error = r.finished.error ?? {
      reason: r.finished.status,
      message: `the mission ${r.finished.status}`,
    };
    for (const a of open) a.closed = { ...error, at: r.finished.at };
    return;
  }
  const closed = r.approvals.find((a) => !a.answer && a.closed);
  if (closed?.closed) {
    const { reason, message, at } = closed.closed;
    r.finished = {
      status: 'failed',
      error: { reason, message },
      at,
      ...(r.usage && { usage: r.usage }),
    };
  }
}

/** A vote after the last snapshot, into its runner's tail; false for one a snapshot or an earlier record covers. */
function addVote(r: RecoveredMission, e: LoggedEvent): boolean {
  const m = makerOf(r, e.path as string);
  const step = e.step as number;
  const after = m.tail.at(-1)?.step ?? m.snapshot?.step ?? -1;
  if (m.snapshot && step < m.snapshot.step) return false;
  if (
    e.outcome === 'decided' &&
    step <= after &&
    m.tail.some((v) => v.step === step && v.outcome === 'decided')
  )
    return false;
  m.tail.push({
    step,
    outcome: e.outcome as 'decided' | 'exhausted',
    samples: e.samples as number,
    answer: e.answer as string | undefined,
    flagged: e.flagged as Record<string, number> | undefined,
  });
  return true;
}

const CHUNK = 4 << 20;

/**
 * The complete lines of a file with their byte offsets, read in chunks, so a long log is never
 * held whole. A last line with no newline is torn, even when it parses: EventLog.open cuts it
 * off, so what it says never happened (the mission does it again, and logs it again).
 */
function* linesOf(file: string): Generator<{ line: string; offset: number }> {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(CHUNK);
    let carry = Buffer.alloc(0);
    let offset = 0;
    for (
      let n = readSync(fd, chunk, 0, CHUNK, null);
      n > 0;
      n = readSync(fd, chunk, 0, CHUNK, null)
    ) {
      const buf =
        carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let start = 0;
      for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
        yield { line: buf.toString('utf8', start, nl), offset: offset + start };
        start = nl + 1;
      }
      carry = Buffer.from(buf.subarray(start));
      offset += start;
    }
  } finally {
    closeSync(fd);
  }
}

/** Bytes up to the end of the last complete line (a torn last line is left out). */
function completeLength(fd: number): number {
  const size = fstatSync(fd).size;
  const buf = Buffer.alloc(Math.min(CHUNK, size));
  for (let end = size; end > 0; end -= buf.length) {
    const from = Math.max(0, end - buf.length);
    const n = readSync(fd, buf, 0, end - from, from);
    const nl = buf.subarray(0, n).lastIndexOf(0x0a);
    if (nl !== -1) return from + nl + 1;
  }
  return 0;
}

/** The byte offset of the last `marker` in the file's complete lines, read backwards in chunks; -1 if none. */
function lastOffsetOf(file: string, marker: string): number {
  const needle = Buffer.from(marker);
  const fd = openSync(file, 'r');
  try {
    const size = completeLength(fd);
    const buf = Buffer.alloc(CHUNK + needle.length);
    for (let end = size; end > 0; end -= CHUNK) {
      const from = Math.max(0, end - CHUNK);
      // Overlap the next window by the marker's length, so one cut in two is still found.
      const n = readSync(fd, buf, 0, Math.min(size, end + needle.length) - from, from);
      const at = buf.subarray(0, n).lastIndexOf(needle);
      if (at !== -1) return from + at;
    }
    return -1;
  } finally {
    closeSync(fd);
  }
}

function fold(r: RecoveredMission, e: LoggedEvent): void {
  switch (e.type) {
    case 'mission.submitted':
      r.submitted = {
        name: e.name as string,
        config: e.config,
        input: e.input as string | undefined,
        keySalt: e.keySalt as string | undefined,
        at: e.ts,
      };
      break;
    case 'mission.finished':
      r.finished = {
        status: e.status as string,
        result: e.result as string | undefined,
        error: e.error as { reason: string; message: string } | undefined,
        usage: e.usage as BudgetUsage | undefined,
        at: e.ts,
      };
      break;
    case 'mission.suspended':
      // Everything the mission had spent when it stopped, in-flight calls included.
      if (e.usage) r.usage = e.usage as BudgetUsage;
      break;
    case 'stage.finished': {
      const index = e.index as number;
      let s = r.stages.find((x) => x.index === index);
      if (!s) r.stages.push((s = { index, name: e.stage as string, finished: [] }));
      s.finished.push({
        attempt: (e.attempt as number | undefined) ?? 1,
        output: (e.output as string | undefined) ?? '',
        answers: (e.answers as number | undefined) ?? 0,
      });
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
      if (a && !a.answer)
        a.answer = {
          decision: e.decision as 'approve' | 'reject',
          feedback: e.feedback as string | undefined,
          by: e.by as string | undefined,
          at: e.ts,
        };
      break;
    }
    case 'approval.closed': {
      const a = r.approvals.find((x) => x.id === e.id);
      if (a && !a.answer && !a.closed)
        a.closed = { reason: String(e.reason), message: String(e.message), at: e.ts };
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
      m.snapshot = {
        step: e.step as number,
        state: e.state,
        previous: e.previous as string | undefined,
        samples: e.samples as number,
        flagged: e.flagged as number,
        exhausted: e.exhausted as number | undefined,
      };
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
function typeOf(line: string): string | undefined {
  const at = line.indexOf('"type":"');
  if (at === -1) return undefined;
  const to = line.indexOf('"', at + 8);
  return to === -1 ? undefined : line.slice(at + 8, to);
}

function parseLine(line: string): LoggedEvent | undefined {
  try {
    const e = JSON.parse(line) as LoggedEvent | null;
    return typeof e === 'object' && e !== null && typeof e.seq === 'number' ? e : undefined;
  } catch {
    return undefined; // a mangled line: skipped, and its number kept in `corrupt`
  }
}
