/**
 * What the daemon answers, whatever carries the question (HTTP, NATS request/reply, the
 * inspector): submit, list, status, events, stop, approvals. The transports only map their
 * requests onto these calls and these errors onto their status codes.
 */
import type { LoggedEvent } from '../log/eventLog.js';
import type { AgentActivity } from '../log/agentActivity.js';
import { UserError } from '../kernel/errors.js';
import type { BudgetUsage } from '../supervisors/index.js';
import type { MakerProgressView } from '../inspector/makerProgressFold.js';

export type { MakerProgressView } from '../inspector/makerProgressFold.js';

/**
 * `recovering`: the daemon has just started and not read this mission's log yet (it answers at
 * once and resumes in the background). `suspended`: its log could not be written (a full disk); it resumes once the daemon can write. */
/** Every state a mission can be in, in the order a list shows them. */
export const MISSION_STATES = [
  'recovering',
  'running',
  'awaiting_approval',
  'suspended',
  'succeeded',
  'failed',
  'stopped',
] as const;
export type MissionState = (typeof MISSION_STATES)[number];

export interface SubmitRequest {
  /** The mission file's text (YAML or JSON); or */
  source?: string;
  /** a path to a mission file the daemon can read. */
  path?: string;
  /** Named in errors for `source` (`submitted.yaml` when absent). */
  filename?: string;
  /** `{{input}}` for the stage prompts. */
  input?: string;
  /** A mission id of one's own (letters, digits, `_` and `-`); a new one when absent. */
  id?: string;
}

export interface MissionSummary {
  id: string;
  name: string;
  state: MissionState;
  submittedAt: string;
  finishedAt?: string;
  /** The stage running or waiting, while the mission is not over. */
  stage?: string;
  stages: string[];
}

export interface MissionStatus extends MissionSummary {
  result?: string;
  error?: { reason: string; message: string };
  usage?: BudgetUsage;
  /** Stages finished, with their output. */
  done: { name: string; output: string }[];
  approvals: ApprovalRecord[];
  /** Plan stages' progress (from their events), by stage. */
  plans?: PlanProgressView[];
  /** What each agent did: calls, failed calls, restarts, and the last error, by its path. */
  agents?: AgentActivity[];
  /**
   * MAKER stages' progress (from their events; after a restart, from the log's last snapshot and
   * the votes after it): step N of M, samples per step, red-flag rate, steps per second, ETA.
   */
  maker?: MakerProgressView[];
  /** The mission's event log file. */
  eventLog: string;
}

export interface PlanProgressView {
  stage: string;
  /** Tasks of the plans compiled so far, in order of first appearance. */
  tasks: string[];
  finished: string[];
  failed: string[];
  replans: number;
}

export type ApprovalDecision = 'approve' | 'reject';

export interface ApprovalRecord {
  /** `<mission>/<stage>/<attempt>`: unique, stable across restarts. */
  id: string;
  mission: string;
  stage: string;
  attempt: number;
  /** What is to be approved: the stage's output. */
  output: string;
  requestedAt: string;
  /** When the configured default action is taken, if a timeout is set. */
  timeoutAt?: string;
  onTimeout?: ApprovalDecision;
  /** `closed`: its mission ended (stopped, failed) while it waited; nobody can answer it any more. */
  status: 'pending' | 'approved' | 'rejected' | 'closed';
  /** Why it closed unanswered. */
  closed?: { reason: string; message: string; at: string };
  feedback?: string;
  answeredAt?: string;
  /** Who answered: `api`, `nats`, `inspector`, or `timeout`. */
  by?: string;
}

export interface AnswerRequest {
  decision: ApprovalDecision;
  feedback?: string;
  by?: string;
}

export interface AnswerResult {
  approval: ApprovalRecord;
  /** True when the approval had already been answered: the answer given now changed nothing. */
  alreadyAnswered: boolean;
}

/** How the daemon is: what an operator's probe and the soak bench read. */
export interface DaemonHealth {
  ok: true;
  pid: number;
  uptimeMs: number;
  missions: {
    /** Every mission it knows, finished ones included. */
    total: number;
    /** Not over: running, waiting at a gate, suspended. */
    live: number;
    /** Logs not read yet since the start (they report `recovering`). */
    recovering: number;
  };
  memory: { rssBytes: number; heapUsedBytes: number };
}

export interface PruneResult {
  /** The missions whose logs went, oldest first. */
  pruned: string[];
  /** Where they went: `deleted`, or the archive folder. */
  to: string;
  /** Bytes of log taken off the state directory. */
  bytes: number;
  /** True when nothing was changed (`dryRun`). */
  dryRun: boolean;
  /** The log the prune stopped at, and why (a disk fault): those before it went, it and the rest stay. */
  failed?: { id: string; error: string };
}

export interface PruneRequest {
  /** This prune's policy (`7d`, `1000`, `forever`); the daemon's own `--retain` when absent. */
  retain?: string;
  /** Say what would go, and take nothing. */
  dryRun?: boolean;
}

export interface DaemonApi {
  /** Cheap: answered from memory, never from the disk. */
  health(): DaemonHealth;
  /** Validates and starts a mission. Throws `ConfigError` (a UserError) for a bad file, writing nothing. */
  submit(request: SubmitRequest): Promise<MissionSummary>;
  list(): MissionSummary[];
  /** Settles once every mission of the state directory is known; `list` is complete after it. */
  loaded?(): Promise<void>;
  /** Throws `UnknownMissionError`. */
  status(id: string): MissionStatus;
  /**
   * The mission's events after `afterSeq` from its log, then live ones as they are written, each
   * once and in order, to `listener`; `end` is called after the mission's last event (never for a
   * suspension: the mission is not over, it goes on under the next daemon). Returns the
   * unsubscribe function. Throws `UnknownMissionError`.
   */
  events(
    id: string,
    afterSeq: number,
    listener: (event: LoggedEvent) => void,
    end?: () => void,
  ): () => void;
  /** Asks a running mission to stop (it ends `stopped`). Throws `UnknownMissionError`, `MissionOverError`. */
  stop(id: string, reason?: string): Promise<MissionSummary>;
  /** Approvals waiting for an answer, oldest first. */
  approvals(): ApprovalRecord[];
  /** Throws `UnknownApprovalError`. Answering an answered approval is harmless (`alreadyAnswered`). */
  answer(id: string, answer: AnswerRequest): Promise<AnswerResult>;
  /**
   * Takes the finished missions the retention lets go off the state directory (deleted, or moved
   * to the daemon's archive folder). Throws `RetentionParseError`, `ArchiveNotWritableError`.
   */
  prune(request: PruneRequest): Promise<PruneResult & { retain: string }>;
}

export class UnknownMissionError extends UserError {
  override name = 'UnknownMissionError';
  constructor(readonly id: string) {
    super(`unknown mission '${id}'`);
  }
}

export class UnknownApprovalError extends UserError {
  override name = 'UnknownApprovalError';
  constructor(readonly id: string) {
    super(`unknown approval '${id}'`);
  }
}

/** Stop or an answer asked of a mission whose log the daemon is still reading after its start. */
export class MissionRecoveringError extends UserError {
  override name = 'MissionRecoveringError';
  constructor(readonly id: string) {
    super(`mission '${id}' is being recovered after the daemon's start; try again in a moment`);
  }
}

/** Stop asked of a mission that has already ended. */
export class MissionOverError extends UserError {
  override name = 'MissionOverError';
  constructor(
    readonly id: string,
    readonly state: MissionState,
  ) {
    super(`mission '${id}' is already ${state}`);
  }
}

/** A mission id that is already taken (submit with `id`). */
export class MissionExistsError extends UserError {
  override name = 'MissionExistsError';
  constructor(readonly id: string) {
    super(`mission '${id}' already exists`);
  }
}

/** The daemon is stopping and takes no new work. */
export class DaemonStoppingError extends UserError {
  override name = 'DaemonStoppingError';
  constructor() {
    super('the daemon is stopping and accepts no new missions');
  }
}

/** The daemon cannot write its state directory (a full disk): it takes no mission until it can. */
export class DaemonCannotWriteError extends UserError {
  override name = 'DaemonCannotWriteError';
  constructor(
    readonly stateDir: string,
    readonly code: string,
  ) {
    super(
      `the daemon cannot write its state directory '${stateDir}' (${code}) and accepts no new missions until it can; missions it could not write are suspended and resume then`,
    );
  }
}

/** The archive folder cannot take files: the prune stops before it removes anything. */
export class ArchiveNotWritableError extends UserError {
  override name = 'ArchiveNotWritableError';
  constructor(
    readonly dir: string,
    readonly code: string,
  ) {
    super(
      `the archive folder '${dir}' is not writable (${code}): no log is pruned until it is (nothing was removed); fix its permissions or give another --archive`,
    );
  }
}

/** The HTTP status a daemon failure gets, whatever carries it (HTTP, NATS): 500 for ours. */
export function statusOf(err: unknown): number {
  if (err instanceof UnknownMissionError || err instanceof UnknownApprovalError) return 404;
  if (err instanceof MissionOverError || err instanceof MissionExistsError) return 409;
  if (err instanceof DaemonStoppingError || err instanceof MissionRecoveringError) return 503;
  if (err instanceof DaemonCannotWriteError || err instanceof ArchiveNotWritableError) return 507;
  return err instanceof UserError ? 400 : 500;
}
