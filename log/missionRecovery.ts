/**
 * What a mission's event log says about it, folded in one pass: the submitted config, which
 * stages finished with what output, the approvals asked, answered or closed, how far each MAKER task
 * got (its last snapshot plus the votes after it), and whether the mission ended. The daemon
 * resumes a mission from this, so the fold reads only what resuming needs: a million-step log
 * is read in chunks, line by line, and only the lines that matter are parsed.
 */
import type { z } from 'zod';
export type { RecordedAnswer } from './recordedAnswers.js';
import type { usageSchema } from './events/common.js';
import { AgentActivityFold } from './agentActivity.js';
import { lastOffsetOf, linesOf } from './logLines.js';
import {
  forgetAnswers,
  keepAnswer,
  keepPhaseAnswer,
  foldRun,
  type PlanRun,
  type RecordedAnswer,
} from './recordedAnswers.js';
import {
  parseLogLine,
  type LogEventOf,
  type LoggedEvent,
  type LoggedEventOf,
} from './missionLogEvent.js';

type BudgetUsage = z.infer<typeof usageSchema>;

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
  /** The samples of the step its runner was last stopped in (`maker.samples`): not drawn again. */
  pending?: Omit<LogEventOf<'maker.samples'>, 'type' | 'path'>;
}

/** A plan stage's progress: the last plan compiled, the tasks that finished (in any run), the replans made. */
export interface RecoveredPlan {
  plan?: unknown;
  finished: Record<string, string>;
  /** Tasks of every plan compiled, in order of first appearance (the status shows them all). */
  tasks: string[];
  /** Tasks that failed, in any run, in order (a replan runs others instead). */
  failed: string[];
  replans: number;
  /** The blackboard's events (`<orchestrator>/blackboard`), for `Blackboard.fromEvents`. */
  board: LoggedEvent[];
  /** How far the last plan's run got (since 0.2: logs before it have none). */
  run?: PlanRun;
}

export interface RecoveredMission {
  id: string;
  file: string;
  submitted?: { name?: string; config: unknown; input?: string; keySalt?: string; at: string };
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
   * Answers of agents whose stage has not finished, by the agent's path (`agent.call` records
   * that carry their text, written since 0.2), and of its planner's calls, by their caller path
   * (`genius.phase`, `genius.text`; see keepPhaseAnswer): a resumed stage replays them.
   */
  answers: Map<string, RecordedAnswer>;
  /** Each agent's calls, failures, restarts and last error (agent.call, restart decisions). */
  agents: AgentActivityFold;
  /**
   * The latest usage the log recorded (stage.finished, maker.snapshot, mission.suspended), plus
   * the calls (agent.call: a sample, tokens, cost) and the samples of the maker.vote records
   * after it, to seed the budget. The tokens and cost of MAKER samples after the last snapshot
   * are not in the log (votes record samples only), so they are not counted again.
   */
  usage?: BudgetUsage;
  /** Complete lines read. */
  lines: number;
  /** Line numbers (1-based) of corrupt lines, skipped: not JSON, not an event, or failing its schema. */
  corrupt: number[];
  /** Why each corrupt line was skipped, by line number. */
  corruptReasons: Map<number, string>;
}

/** Types whose lines are parsed as they are met; maker.vote lines are parsed only after the last snapshot. */
const FOLDED_TYPES = [
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
  'task.failed',
  'blackboard.entry',
  'blackboard.compressed',
] as const;
const FOLDED = new Set<string>(FOLDED_TYPES);

function isFolded(e: LoggedEvent): e is Folded {
  return FOLDED.has(e.type);
}

export function recoverMission(file: string, id: string): RecoveredMission {
  const r: RecoveredMission = {
    id,
    file,
    stages: [],
    approvals: [],
    maker: new Map(),
    plans: new Map(),
    answers: new Map(),
    agents: new AgentActivityFold(),
    lines: 0,
    corrupt: [],
    corruptReasons: new Map(),
  };
  const corrupt = (n: number, reason: string) => {
    r.corrupt.push(n);
    r.corruptReasons.set(n, reason);
  };
  // Only the votes after the last snapshot are parsed: the snapshot covers the rest.
  const lastSnapshotAt = lastOffsetOf(file, '"type":"maker.snapshot"');
  // agent.call lines and vote samples after the last usage record: spent, and not yet in one.
  let calls: LoggedEventOf<'agent.call'>[] = [];
  let voteSamples = 0;
  for (const { line, offset, n } of linesOf(file)) {
    r.lines = n;
    const type = typeOf(line);
    if (type === undefined) {
      if (line.trim() !== '') corrupt(n, 'not an event (no type)');
      continue;
    }
    const maker = type === 'maker.vote' || type === 'maker.samples';
    if (maker && offset < lastSnapshotAt) continue;
    const restart = type === 'supervisor.decision' && line.includes('"action":"restart"');
    const planner = type === 'genius.phase' || type === 'genius.text';
    if (!maker && type !== 'agent.call' && !restart && !planner && !FOLDED.has(type)) continue;
    const e = parseLogLine(line);
    if (typeof e === 'string') {
      corrupt(n, e);
      continue;
    }
    if (e.type === 'maker.vote') {
      if (addVote(r, e)) voteSamples += e.samples;
    } else if (e.type === 'maker.samples') {
      makerOf(r, e.path).pending = { step: e.step, promptHash: e.promptHash, samples: e.samples };
    } else if (e.type === 'supervisor.decision') {
      r.agents.apply(e);
    } else if (e.type === 'genius.phase' || e.type === 'genius.text') {
      keepPhaseAnswer(r.answers, e);
    } else if (e.type === 'agent.call') {
      calls.push(e);
      keepAnswer(r.answers, e);
      r.agents.apply(e);
    } else if (isFolded(e)) {
      fold(r, e);
      if ('usage' in e && e.usage !== undefined && e.type !== 'mission.finished') {
        calls = [];
        voteSamples = 0;
      }
    }
  }
  closeGates(r);
  // Each call reserved a sample before it went out; one that answered also spent its tokens and cost.
  const u = r.usage ?? { tokens: 0, costUsd: 0, samples: 0, wallTimeMs: 0 };
  if (calls.length > 0 || voteSamples > 0) {
    const tokens = calls.reduce((n, c) => n + (c.usage?.totalTokens ?? 0), 0);
    const cost = calls.reduce((n, c) => n + (c.costUsd ?? 0), 0);
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
function addVote(r: RecoveredMission, e: LoggedEventOf<'maker.vote'>): boolean {
  const m = makerOf(r, e.path);
  const step = e.step;
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
    outcome: e.outcome,
    samples: e.samples,
    answer: e.answer,
    flagged: e.flagged as Record<string, number> | undefined,
  });
  return true;
}

type Folded = LoggedEventOf<(typeof FOLDED_TYPES)[number]>;

/** One folded event into what the log says; each case reads only its own type's fields. */
function fold(r: RecoveredMission, e: Folded): void {
  switch (e.type) {
    case 'mission.submitted':
      r.submitted = {
        name: e.name,
        config: e.config,
        input: e.input,
        keySalt: e.keySalt,
        at: e.ts,
      };
      return;
    case 'mission.finished':
      r.finished = { status: e.status, result: e.result, error: e.error, usage: e.usage, at: e.ts };
      return;
    case 'mission.suspended':
      // Everything the mission had spent when it stopped, in-flight calls included.
      if (e.usage) r.usage = e.usage;
      return;
    case 'stage.finished': {
      forgetAnswers(r.answers, e.stage, e.attempt ?? 1);
      let s = r.stages.find((x) => x.index === e.index);
      if (!s) r.stages.push((s = { index: e.index, name: e.stage, finished: [] }));
      s.finished.push({ attempt: e.attempt ?? 1, output: e.output ?? '', answers: e.answers ?? 0 });
      if (e.usage) r.usage = e.usage;
      return;
    }
    case 'approval.requested':
      if (r.approvals.some((a) => a.id === e.id)) return;
      r.approvals.push({
        id: e.id,
        stage: e.stage,
        index: e.index,
        attempt: e.attempt,
        output: e.output,
        requestedAt: e.ts,
        ...(e.timeoutAt !== undefined && { timeoutAt: e.timeoutAt }),
        ...(e.onTimeout !== undefined && { onTimeout: e.onTimeout }),
      });
      return;
    case 'approval.answered': {
      const a = r.approvals.find((x) => x.id === e.id);
      // The first answer stands: a second one is harmless.
      if (a && !a.answer)
        a.answer = { decision: e.decision, feedback: e.feedback, by: e.by, at: e.ts };
      return;
    }
    case 'approval.closed': {
      const a = r.approvals.find((x) => x.id === e.id);
      if (a && !a.answer && !a.closed)
        a.closed = { reason: e.reason, message: e.message, at: e.ts };
      return;
    }
    case 'plan.compiled': {
      const p = foldRun(planOf(r, e.path), e);
      if (e.plan !== undefined) p.plan = e.plan;
      for (const t of e.tasks) if (!p.tasks.includes(t.id)) p.tasks.push(t.id);
      return;
    }
    case 'task.failed':
      foldRun(planOf(r, e.path), e).failed.push(e.task);
      return;
    case 'plan.revised':
      foldRun(planOf(r, e.path), e).replans = e.replan;
      return;
    case 'blackboard.entry':
    case 'blackboard.compressed':
      foldRun(planOf(r, e.path.replace(/\/blackboard$/, '')), e).board.push(e);
      return;
    case 'task.finished':
      // Task events carry the orchestrator's path (their runner is `<orchestrator>/tasks`).
      planOf(r, e.path).finished[e.task] = e.output;
      return;
    case 'maker.snapshot': {
      const m = makerOf(r, e.path);
      m.snapshot = {
        step: e.step,
        state: e.state,
        previous: e.previous,
        samples: e.samples,
        flagged: e.flagged,
        exhausted: e.exhausted,
      };
      m.tail = [];
      if (e.usage) r.usage = e.usage;
      return;
    }
    default: {
      const unhandled: never = e;
      throw new Error(`recovery: no fold for '${(unhandled as LoggedEvent).type}'`);
    }
  }
}

function planOf(r: RecoveredMission, path: string): RecoveredPlan {
  let p = r.plans.get(path);
  if (!p) r.plans.set(path, (p = { finished: {}, tasks: [], failed: [], replans: 0, board: [] }));
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
