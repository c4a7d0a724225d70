/**
 * A supervisor's decision in words, from OTP's report keys (supervisor, errorContext, reason,
 * offender, action). Known actions get their own verb; anything else (a new errorContext, an
 * action this version has no verb for) still reads as who decided what about whom, and why.
 */
import type { LoggedEvent } from '../../actors/eventLog.js';
import { formatMs, shortPath } from './format.js';

type Decision = Pick<LoggedEvent, 'mission'> & Record<string, unknown>;

/** Routine ends (a child that finished, a stage whose agents all answered): not worth a progress line. */
export function isRoutineDecision(e: Decision): boolean {
  if (e.errorContext === 'auto_shutdown') return true;
  const quietEnd = e.reason === 'normal' || e.reason === 'shutdown';
  return (e.action === 'no_restart' || e.action === 'remove') && quietEnd;
}

export function decisionSentence(e: Decision): string {
  const sup = shortPath(e.supervisor, e.mission);
  const offender = e.offender as { id?: string; path?: string } | undefined;
  const who = offender ? shortPath(offender.path ?? offender.id, e.mission) : 'a child';
  const reason = String(e.reason ?? 'unknown reason');
  // `child_terminated` is the ordinary context: only the others are worth naming.
  const context = e.errorContext === undefined || e.errorContext === 'child_terminated' ? '' : `${String(e.errorContext)}: `;
  const why = `(${context}${reason})`;
  if (e.errorContext === 'shutdown_error') return `⚠ supervisor ${sup}: ${who} exited abnormally while being stopped (${reason})`;
  switch (e.action) {
    case 'restart': {
      const delay = typeof e.delayMs === 'number' && e.delayMs > 0 ? ` after ${formatMs(e.delayMs)}` : '';
      const group = Array.isArray(e.group) && e.group.length > 1 ? ` with ${(e.group as unknown[]).length - 1} sibling(s)` : '';
      return `↻ supervisor ${sup} restarts ${who}${group}${delay} ${why}`;
    }
    case 'kill':
      return `☠ supervisor ${sup} killed ${who}: it did not stop within its shutdown timeout ${why}`;
    case 'shutdown':
      if (e.errorContext === 'auto_shutdown') return `· supervisor ${sup} ends: its significant children are done (${reason})`;
      // OTP reports the last crash (child_terminated) before the supervisor's own `shutdown`.
      // (Too many restarts, or an exit no restart can fix: non_retryable, budget_exceeded, aborted.)
      if (e.errorContext === 'child_terminated') return `✗ supervisor ${sup}: ${who} exited${exitText(e.exit)} (${reason}); not restarted, the supervisor stops`;
      // errorContext `shutdown` is what giving up is called: only another one is worth naming.
      return `■ supervisor ${sup} gives up: ${e.errorContext === 'shutdown' ? '' : context}${reason}${offender ? ` (last: ${who})` : ''}`;
    case 'remove':
      return `− supervisor ${sup} removed ${who} ${why}`;
    case 'no_restart':
      return `· supervisor ${sup}: ${who} ended ${why}, not restarted`;
    case 'none':
      return `· supervisor ${sup} reports ${who}${exitText(e.exit)} ${why}`;
    case 'reject':
      return `✗ supervisor ${sup} refused to start ${who} ${why}`;
    default:
      return `· supervisor ${sup}: ${String(e.action ?? 'decided')} ${who} ${why}`;
  }
}

/** ` non_retryable` for an exit worth naming; nothing for a plain crash (`error`) or none given. */
function exitText(exit: unknown): string {
  return typeof exit === 'string' && exit !== 'error' ? ` ${exit}` : '';
}
