/**
 * What the supervisor core tells its actor to do (effects), what it reports (decision records),
 * and how a supervisor ends (its output, or the error it fails with).
 */
import type { AnyActorLogic } from 'xstate';
import { SystemError, errorMessage } from '../kernel/errors.js';
import type { CallResult, Reply, StartResult } from './childCalls.js';
import type { ExitKind } from './decisions.js';

export type Phase = 'starting' | 'running' | 'restarting' | 'shuttingDown' | 'stopped' | 'failed';

export type ErrorContext =
  | 'child_terminated'
  | 'shutdown'
  | 'shutdown_error'
  | 'start_error'
  | 'auto_shutdown';

/** The child a report is about, with OTP's offender keys (pid is the XState session id). */
export interface Offender {
  id: string;
  path: string;
  pid?: string;
  restart: string;
  shutdown: string | number;
  significant: boolean;
  type: string;
  restarts: number;
}

/** One decision, with OTP's report keys. */
export interface DecisionRecord {
  supervisor: string;
  errorContext: ErrorContext;
  reason: string;
  offender?: Offender;
  /** How the offender ended, for a report about a child's exit. */
  exit?: ExitKind;
  /**
   * What the supervisor did. `reject`: a start it could not honour (it runs on). `shutdown`: it
   * gives up (a `child_terminated` with this action is the crash that made it give up). `none`: a
   * report of what happened, no decision (a child that crashed while being stopped).
   */
  action: 'restart' | 'no_restart' | 'remove' | 'shutdown' | 'kill' | 'reject' | 'none';
  group?: string[];
  delayMs?: number;
}

export interface SupervisorOutput {
  reason: 'shutdown' | 'auto_shutdown';
  /** Output of each child that finished normally, by child id. */
  results: Record<string, unknown>;
}

export type Effect =
  | {
      type: 'spawn';
      refId: string;
      childId: string;
      path: string;
      logic: AnyActorLogic;
      input: unknown;
      kind: 'worker' | 'supervisor';
      restarts: number;
    }
  | { type: 'kill'; refId: string }
  | { type: 'askShutdown'; refId: string }
  | { type: 'timer'; key: string; delayMs: number }
  | { type: 'cancel'; key: string }
  | { type: 'report'; record: DecisionRecord; refId?: string }
  | {
      type: 'childExited';
      childId: string;
      exit: ExitKind;
      output?: unknown;
      error?: string;
      reason?: string;
      offender?: string;
      lastCrash?: string;
      startFailed?: true;
    }
  | {
      type: 'reply';
      reply: Reply<CallResult> | Reply<StartResult>;
      result: CallResult | StartResult;
      refId?: string;
    }
  | { type: 'phase'; phase: Phase }
  | { type: 'finish'; output: SupervisorOutput }
  | { type: 'fail'; error: Error };

/**
 * A supervisor that gave up: too many restarts (its exit reason is then OTP's `shutdown`, and
 * `exit` says so), or a child it could not start.
 */
export class SupervisorShutdownError extends SystemError {
  override name = 'SupervisorShutdownError';
  readonly exit?: 'shutdown';
  constructor(
    readonly supervisor: string,
    readonly reason: string,
    readonly offender: string | undefined,
    cause?: unknown,
    options: { exit?: 'shutdown' } = {},
  ) {
    super(
      `supervisor '${supervisor}' shut down: ${reason}` +
        (offender ? ` (child '${offender}': ${errorMessage(cause)})` : ''),
      { cause },
    );
    if (options.exit) this.exit = options.exit;
  }
}

/** What a parent needs to say why a child supervisor gave up: its reason, and the last crash. */
export function failureFields(payload: unknown): {
  reason?: string;
  offender?: string;
  lastCrash?: string;
} {
  if (payload instanceof SupervisorShutdownError) {
    return {
      reason: payload.reason,
      ...(payload.offender !== undefined && {
        offender: payload.offender,
        lastCrash: errorMessage(payload.cause),
      }),
    };
  }
  const reason = (payload as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' ? { reason } : {};
}
