/**
 * OTP's exit reasons that a child can give itself, besides finishing (`normal`) and crashing:
 * `shutdown` and `{shutdown, Term}`. A transient child that exits so is not restarted and no error
 * is reported; a significant one counts for auto_shutdown, as in OTP. A child says so by throwing
 * a `ShutdownExit` (or any error whose `exit` is `'shutdown'`, as a supervisor that reached its
 * restart intensity does), or by finishing with `shutdownOutput(term)`.
 */
import { MaestroError } from '../kernel/errors.js';

export class ShutdownExit extends MaestroError {
  override name = 'ShutdownExit';
  readonly exit = 'shutdown';
  readonly reason = 'shutdown';
  constructor(readonly term?: unknown) {
    super(shutdownReasonText(term));
  }
}

/** `shutdown`, or `{shutdown, Term}` as OTP prints it. */
export function shutdownReasonText(term?: unknown): string {
  return term === undefined ? 'shutdown' : `{shutdown, ${JSON.stringify(term) ?? String(term)}}`;
}

export interface ShutdownOutput {
  exit: 'shutdown';
  term?: unknown;
}

/** The output of a child that ends with `{shutdown, term}` (or `shutdown` without a term). */
export function shutdownOutput(term?: unknown): ShutdownOutput {
  return term === undefined ? { exit: 'shutdown' } : { exit: 'shutdown', term };
}

/** Whether an output or an error says `shutdown`. */
export function saysShutdown(payload: unknown): boolean {
  return (
    typeof payload === 'object' &&
    payload !== null &&
    (payload as { exit?: unknown }).exit === 'shutdown'
  );
}

/**
 * A failure no restart can cure (a 401, a model that does not exist, a malformed request): never
 * restarted at any level, whatever the restart type, so the mission fails at once with the
 * cause's message first. Temporal's non-retryable error types are the model.
 */
export class NonRetryableError extends MaestroError {
  override name = 'NonRetryableError';
  readonly reason = 'non_retryable';
  constructor(
    /** The error type that matched the non-retryable set, e.g. `http_401`. */
    readonly errorType: string,
    cause: unknown,
  ) {
    super(
      `${cause instanceof Error ? cause.message : String(cause)} (non-retryable: ${errorType})`,
      { cause },
    );
  }
}
