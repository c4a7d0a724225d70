/**
 * The supervisor's decisions as pure functions of the spec, the history and the time. The
 * supervisor actor only applies what these return; the tables in test/supervisors test them.
 */
import { BudgetExceededError, errorMessage } from '../kernel/errors.js';
import type { AutoShutdown, Backoff, RestartType, Strategy } from './childSpec.js';
import { saysShutdown, shutdownReasonText } from './exits.js';

/**
 * Why a child ended. `normal`: it finished. `shutdown`: it exited with OTP's `shutdown` or
 * `{shutdown, Term}` (a supervisor that reached its restart intensity exits so). `error`: it
 * crashed. `killed`: it ignored its shutdown and was killed. The rest are Maestro's and end a
 * subtree instead of restarting it: `budget_exceeded` (its budget is spent), `aborted` (it decided
 * to stop its work for a reason no restart cures: a monitor's abort, an SLA passed; its error's
 * `reason` says which) and `non_retryable` (a failure no retry can fix: a 401, a missing model).
 */
export type ExitKind =
  | 'normal'
  | 'shutdown'
  | 'error'
  | 'killed'
  | 'budget_exceeded'
  | 'aborted'
  | 'non_retryable';

/** Error reasons that end a subtree rather than restart it (besides `budget_exceeded`). */
export const ABORT_REASONS: ReadonlySet<string> = new Set(['aborted', 'sla_exceeded']);

/** Exits that no restart type restarts, and that a supervisor passes up as they are. */
export function endsSubtree(exit: ExitKind): boolean {
  return exit === 'budget_exceeded' || exit === 'aborted' || exit === 'non_retryable';
}

/**
 * permanent restarts always, transient only after an abnormal exit (`normal` and `shutdown` are
 * not), temporary never. No restart type restarts a child whose budget is spent, that aborted, or
 * whose failure is non-retryable: a restart cannot give back what was used, undo a decision to
 * stop, or fix a wrong key.
 */
export function shouldRestart(restart: RestartType, exit: ExitKind): boolean {
  if (endsSubtree(exit)) return false;
  switch (restart) {
    case 'permanent':
      return true;
    case 'transient':
      return exit === 'error' || exit === 'killed';
    case 'temporary':
      return false;
  }
}

/** OTP's restart history: the new restart plus those still within the period (now - t <= period). */
export function addRestart(history: readonly number[], now: number, periodMs: number): number[] {
  return [now, ...history.filter((t) => now - t <= periodMs)];
}

/** More restarts than `intensity` within the period: give up. */
export function intensityExceeded(history: readonly number[], intensity: number): boolean {
  return history.length > intensity;
}

/**
 * Why this restart is one too many, if it is: within the period (OTP's intensity) first, then
 * over the supervisor's life (`maxRestarts`, Maestro's total bound).
 */
export function restartLimitReached(
  history: readonly number[],
  totalRestarts: number,
  flags: { intensity: number; maxRestarts: number },
): 'reached_max_restart_intensity' | 'reached_max_restarts' | undefined {
  if (intensityExceeded(history, flags.intensity)) return 'reached_max_restart_intensity';
  if (totalRestarts > flags.maxRestarts) return 'reached_max_restarts';
  return undefined;
}

/**
 * The children a strategy takes down with the offender, in start order (offender included).
 * The caller stops them in reverse order and starts the survivors in this order.
 */
export function restartGroup(
  strategy: Strategy,
  order: readonly string[],
  offender: string,
): string[] {
  switch (strategy) {
    case 'one_for_one':
    case 'simple_one_for_one':
      return [offender];
    case 'one_for_all':
      return [...order];
    case 'rest_for_one': {
      const i = order.indexOf(offender);
      return i < 0 ? [offender] : order.slice(i);
    }
  }
}

/**
 * Exponential backoff: minMs * 2^attempt capped at maxMs, then up to randomFactor of jitter on
 * top (as Akka's BackoffSupervisor does, so that capped restarts still spread out).
 * `attempt` is 0 for the first restart; `random` returns [0, 1).
 */
export function backoffDelay(
  backoff: Backoff,
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(backoff.maxMs, backoff.minMs * 2 ** Math.max(0, attempt));
  const factor = backoff.randomFactor ?? 0;
  return factor > 0 ? Math.round(base * (1 + random() * factor)) : base;
}

/** A child that ran quietly for resetAfterMs (default maxMs) starts its backoff from the bottom again. */
export function backoffAttempt(
  backoff: Backoff,
  previousAttempt: number,
  ranForMs: number,
): number {
  return ranForMs >= (backoff.resetAfterMs ?? backoff.maxMs) ? 0 : previousAttempt + 1;
}

/**
 * auto_shutdown: with any_significant, the exit of one significant child that is not restarted
 * ends the supervisor; with all_significant, the last such exit does.
 */
export function autoShutdownDue(
  mode: AutoShutdown,
  exitedSignificant: boolean,
  significantStillAlive: number,
): boolean {
  if (!exitedSignificant || mode === 'never') return false;
  return mode === 'any_significant' || significantStillAlive === 0;
}

/** How a child ended, from XState's done (with output) or error (with the error). */
export function exitKindOf(done: boolean, payload: unknown): ExitKind {
  if (done) return saysShutdown(payload) ? 'shutdown' : 'normal';
  const reason = (payload as { reason?: unknown } | null)?.reason;
  if (payload instanceof BudgetExceededError || reason === 'budget_exceeded')
    return 'budget_exceeded';
  if (reason === 'non_retryable') return 'non_retryable';
  if (saysShutdown(payload)) return 'shutdown';
  return typeof reason === 'string' && ABORT_REASONS.has(reason) ? 'aborted' : 'error';
}

/**
 * The `reason` of a decision record: the error's message, `normal`, `shutdown`, or
 * `{shutdown, term}` for a child that gave a term.
 */
export function exitReason(exit: ExitKind, payload: unknown): string {
  if (exit === 'normal' || exit === 'killed') return exit;
  if (exit === 'shutdown' && !(payload instanceof Error))
    return shutdownReasonText((payload as { term?: unknown } | null)?.term);
  return errorMessage(payload);
}
