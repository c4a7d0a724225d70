/**
 * What the supervisor core tells its actor to do (effects), what it reports (decision records),
 * and how a supervisor ends (its output, or the error it fails with).
 */
import type { AnyActorLogic } from 'xstate';
import { SystemError, errorMessage } from '../config/errors.js';
import type { ExitKind } from './decisions.js';

export type Phase = 'starting' | 'running' | 'restarting' | 'shuttingDown' | 'stopped' | 'failed';

export type ErrorContext = 'child_terminated' | 'shutdown' | 'shutdown_error' | 'start_error' | 'auto_shutdown';

/** One decision, with OTP's report keys. */
export interface DecisionRecord {
  supervisor: string;
  errorContext: ErrorContext;
  reason: string;
  offender?: { id: string; path: string; restart: string; type: string; restarts: number; error?: string };
  /** `reject`: a `supervisor.startChild` that could not be honoured (the supervisor runs on). */
  action: 'restart' | 'no_restart' | 'remove' | 'shutdown' | 'kill' | 'reject';
  group?: string[];
  delayMs?: number;
}

export interface SupervisorOutput {
  reason: 'shutdown' | 'auto_shutdown';
  /** Output of each child that finished normally, by child id. */
  results: Record<string, unknown>;
}

export type Effect =
  | { type: 'spawn'; refId: string; childId: string; path: string; logic: AnyActorLogic; input: unknown; kind: 'worker' | 'supervisor'; restarts: number }
  | { type: 'kill'; refId: string }
  | { type: 'askShutdown'; refId: string }
  | { type: 'timer'; key: string; delayMs: number }
  | { type: 'cancel'; key: string }
  | { type: 'report'; record: DecisionRecord }
  | { type: 'childExited'; childId: string; exit: ExitKind; output?: unknown; error?: string }
  | { type: 'phase'; phase: Phase }
  | { type: 'finish'; output: SupervisorOutput }
  | { type: 'fail'; error: Error };

/** A supervisor that gave up: too many restarts, or a child it could not start. */
export class SupervisorShutdownError extends SystemError {
  override name = 'SupervisorShutdownError';
  constructor(
    readonly supervisor: string,
    readonly reason: string,
    readonly offender: string | undefined,
    cause?: unknown,
  ) {
    super(
      `supervisor '${supervisor}' shut down: ${reason}` +
        (offender ? ` (child '${offender}': ${errorMessage(cause)})` : ''),
      { cause },
    );
  }
}
