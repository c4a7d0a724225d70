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
  budget?: { tokens: number; costUsd: number; samples: number };
  /** The XState session id of the current incarnation (changes on restart). */
  sessionId?: string;
  updatedAt: number;
}

/** One event in the inspector's stream: a supervisor decision, a vote, a stage change... */
export interface InspectorEvent {
  seq: number;
  at: number;
  type: string;
  /** The node it concerns, when there is one. */
  path?: string;
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
}
