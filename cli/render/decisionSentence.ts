/**
 * A supervisor's decision in words, from OTP's report keys (supervisor, errorContext, reason,
 * offender, action). Known actions get their own verb; anything else (a new errorContext, an
 * action this version has no verb for) still reads as who decided what about whom, and why.
 */
import type { LoggedEvent } from '../../log/eventLog.js';
import { formatMs, shortPath } from './format.js';

type Decision = Pick<LoggedEvent, 'mission'> & Record<string, unknown>;

/**
 * Routine ends (a child that finished or ended with `shutdown` or `{shutdown, Term}` by itself, a
 * stage whose agents all answered): not worth a progress line. A child supervisor that gave up
 * also exits `shutdown`, but that is no routine end.
 */
export function isRoutineDecision(e: Decision): boolean {
  if (e.errorContext === 'auto_shutdown') return true;
  if (e.action !== 'no_restart' && e.action !== 'remove') return false;
  const exit = exitOf(e);
  return (exit === 'normal' || exit === 'shutdown') && !gaveUp(e);
}

export function decisionSentence(e: Decision): string {
  const sup = shortPath(e.supervisor, e.mission);
  const offender = e.offender as { id?: string; path?: string; restart?: unknown } | undefined;
  const who = offender ? shortPath(offender.path ?? offender.id, e.mission) : 'a child';
  const reason = String(e.reason ?? 'unknown reason');
  // `child_terminated` is the ordinary context: only the others are worth naming.
  const context =
    e.errorContext === undefined || e.errorContext === 'child_terminated'
      ? ''
      : `${String(e.errorContext)}: `;
  const why = `(${context}${reason})`;
  // A child killed at its shutdown timeout is reported as a shutdown_error too, with its own verb.
  if (e.errorContext === 'shutdown_error' && e.action !== 'kill')
    return `⚠ supervisor ${sup}: ${who} exited abnormally while being stopped (${reason})`;
  // Its own line said why it gave up (`■ … gives up: …`); its parent's need not repeat it all.
  const restart = typeof offender?.restart === 'string' ? ` (${offender.restart})` : '';
  if (gaveUp(e) && e.action === 'no_restart')
    return `· supervisor ${sup}: ${who} gave up (shutdown), not restarted${restart}`;
  if (gaveUp(e) && e.action === 'remove')
    return `− supervisor ${sup}: ${who} gave up (shutdown), removed${restart}`;
  switch (e.action) {
    case 'restart': {
      const delay =
        typeof e.delayMs === 'number' && e.delayMs > 0 ? ` after ${formatMs(e.delayMs)}` : '';
      const group =
        Array.isArray(e.group) && e.group.length > 1
          ? ` with ${(e.group as unknown[]).length - 1} sibling(s)`
          : '';
      return `↻ supervisor ${sup} restarts ${who}${group}${delay} ${why}`;
    }
    case 'kill':
      return `☠ supervisor ${sup} killed ${who}: it did not stop within its shutdown timeout ${why}`;
    case 'shutdown':
      if (e.errorContext === 'auto_shutdown')
        return `· supervisor ${sup} ends: its significant children are done (${reason})`;
      // OTP reports the last crash (child_terminated) before the supervisor's own `shutdown`.
      // (Too many restarts, or an exit no restart can fix: non_retryable, budget_exceeded, aborted.)
      if (e.errorContext === 'child_terminated')
        return `✗ supervisor ${sup}: ${who} exited${exitText(e.exit)} (${reason}); not restarted, the supervisor stops`;
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

/** How an exit is said after `exited`: nothing for a plain crash (`error`) or none given. */
const EXIT_WORDS: Record<string, string> = {
  non_retryable: ' non-retryable',
  budget_exceeded: ' over budget',
  normal: ' normally',
  shutdown: ' with shutdown',
  error: '',
};

function exitText(exit: unknown): string {
  if (typeof exit !== 'string') return '';
  return EXIT_WORDS[exit] ?? ` ${exit}`;
}

/** How the child ended: the record's `exit`, or, in a log written before records had one, what its reason says. */
function exitOf(e: Decision): string | undefined {
  if (typeof e.exit === 'string') return e.exit;
  const reason = String(e.reason ?? '');
  if (reason === 'normal') return 'normal';
  if (reason === 'shutdown' || reason.startsWith('{shutdown, ')) return 'shutdown';
  return undefined;
}

/** A child supervisor that exits `shutdown` reached its restart intensity: it gave up. */
function gaveUp(e: Decision): boolean {
  return (
    (e.offender as { type?: unknown } | undefined)?.type === 'supervisor' &&
    exitOf(e) === 'shutdown'
  );
}
