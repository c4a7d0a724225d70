/**
 * The inspector's data model: what the hub keeps, what the ws server sends, what the page and
 * `maestro inspect` draw. Everything here is JSON.
 */

export type NodeKind = 'mission' | 'supervisor' | 'machine' | 'worker' | 'remote';

export interface InspectorNode {
  /** Stable path: `mission/<id>/stage/<name>/agent/<id>`; the same across restarts. */
  id: string;
  /** The parent's path; absent for a root. */
  parent?: string;
  kind: NodeKind;
  /** The machine's id, or the logic's kind (`promise`, `callback`) for other actors. */
  logic: string;
  /** Key into `Snapshot.definitions` when the actor is a state machine. */
  definition?: string;
  /** The statechart's state value, when it is a machine. */
  value?: unknown;
  status: 'active' | 'done' | 'error' | 'stopped';
  restarts: number;
  /** When it last crashed, and why. */
  lastError?: { at: number; message: string };
  /** What the node (a mission, or a stage) has used of its budget, and its limits when it has some. */
  budget?: BudgetView;
  /** A mission's state in words, from its log: what the list and the tree's root say. */
  outcome?: MissionOutcome;
  /** A mission's OpenTelemetry trace id, when it is traced: the same run's spans in a tracing tool. */
  traceId?: string;
  /**
   * A mission node's own supervisor (`mission/<id>/supervisor`), folded into it: the stages are
   * the mission's children, and the supervisor's restarts and last crash show on the mission.
   */
  supervisor?: {
    status: InspectorNode['status'];
    restarts: number;
    lastError?: { at: number; message: string };
  };
  /** The XState session id of the current incarnation (changes on restart). */
  sessionId?: string;
  updatedAt: number;
}

/** The daemon's mission states (daemon/daemonApi.ts MISSION_STATES), which the hub's own list uses too. */
export type MissionOutcome =
  | 'recovering'
  | 'running'
  | 'awaiting_approval'
  | 'succeeded'
  | 'failed'
  | 'stopped'
  | 'suspended';

export interface Amounts {
  tokens: number;
  costUsd: number;
  samples: number;
}

export interface BudgetView {
  used: Amounts;
  /** The configured limits (`budget:` in the mission file), when any. */
  limit?: Partial<Amounts> & { wallTimeMs?: number };
}

/** A mission as the page's list shows it. */
export interface MissionRow {
  id: string;
  name: string;
  state: MissionOutcome;
  submittedAt: string;
  finishedAt?: string;
  /** The stage running or waiting, while it is not over. */
  stage?: string;
  traceId?: string;
}

/** One page of the mission list: newest first, filtered. */
export interface MissionPage {
  total: number;
  offset: number;
  missions: MissionRow[];
}

/** One event of a mission's history, in words, with its stage and the record itself. */
export interface TimelineEntry {
  seq: number;
  at?: number;
  type: string;
  /** The stage it happened in, when it belongs to one. */
  stage?: string;
  text: string;
  raw: Record<string, unknown>;
}

export interface TimelinePage {
  mission: string;
  entries: TimelineEntry[];
  /** The seq to ask `after` for the next page, when there is more. */
  next?: number;
}

/** One event in the inspector's stream: a supervisor decision, a vote, a stage change... */
export interface InspectorEvent {
  seq: number;
  at: number;
  type: string;
  /** The node it concerns, when there is one. */
  path?: string;
  /** The event in words (what `maestro replay` says), when the hub was given a describer. */
  text?: string;
  data: Record<string, unknown>;
}

export interface VoteView {
  path: string;
  step: number;
  k: number;
  samples: number;
  tallies: Record<string, number>;
  flagged: number;
  outcome?: 'decided' | 'exhausted';
  winner?: string;
  /** The runner's progress: step N of M, samples per step, red-flag rate, speed, ETA. */
  progress?: MakerProgress;
}

export interface MakerProgress {
  /** Steps decided. */
  step: number;
  /** Steps in all, when known in advance. */
  steps?: number;
  samplesPerStep: number;
  redFlagRate: number;
  stepsPerSecond?: number;
  etaMs?: number;
}

export interface ApprovalView {
  id: string;
  path: string;
  question: string;
  since: number;
}

/** A minimal, JSON form of a machine definition for drawing: nested states and transitions. */
export interface StateDef {
  key: string;
  type?: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  initial?: string;
  states?: StateDef[];
  on?: { event: string; targets: string[] }[];
  /** The actors this state invokes, by `src` name (`inline` for inline logic without an id). */
  invoke?: string[];
}

/** What a new client gets first. */
export interface InspectorSnapshot {
  type: 'snapshot';
  seq: number;
  nodes: InspectorNode[];
  events: InspectorEvent[];
  votes: VoteView[];
  approvals: ApprovalView[];
  definitions: Record<string, StateDef>;
  /** Events the hub did not keep or send (over its caps) since it started. */
  dropped: number;
}

/** Then one of these per flush: what changed since `seq - 1`. */
export interface InspectorDelta {
  type: 'delta';
  seq: number;
  upserts: InspectorNode[];
  removes: string[];
  events: InspectorEvent[];
  votes: VoteView[];
  approvals?: ApprovalView[];
  definitions?: Record<string, StateDef>;
  dropped: number;
}

/** What a client may send. Writes need the token. */
export type ClientMessage =
  | { type: 'resync'; from: number }
  | { type: 'snapshot' }
  | { type: 'approve'; id: string; token?: string }
  | { type: 'reject'; id: string; feedback?: string; token?: string }
  | { type: 'stop'; path: string; token?: string };

/** Lifecycle facts only the supervisors know: which child (session) is at which stable path. */
export interface ChildStarted {
  type: 'child.started';
  path: string;
  parent: string;
  /** The XState session id of the new incarnation. */
  sessionId: string;
  kind: 'supervisor' | 'worker';
  restarts: number;
  /** The child's logic: its definition is drawn even when no client watched it run. */
  logic?: unknown;
}
