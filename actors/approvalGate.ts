/**
 * The human gate's records. An approval is a pair of events in the mission's log:
 * `approval.requested` (the stage's output, when it was asked, when it times out) and
 * `approval.answered` (approve, or reject with feedback; by whom). The log is the truth: a
 * pending approval is one requested and not answered, so it survives a restart, and the first
 * answer stands, so answering twice is harmless. A mission that ends while its gate waits
 * writes `approval.closed` (why), so nothing offers that gate afterwards.
 */
import { errorMessage } from '../kernel/errors.js';

export type ApprovalDecision = 'approve' | 'reject';

/** What the mission statechart receives once an answer is recorded. */
export interface GateAnsweredEvent {
  type: 'gate.answered';
  id: string;
  decision: ApprovalDecision;
  feedback?: string;
  by?: string;
  /** Already in the log (a timeout, or an answer found on resume): not written again. */
  recorded?: boolean;
}

/** `<mission>/<stage>/<attempt>`: unique in a mission, the same across restarts. */
export function approvalId(missionId: string, stage: string, attempt: number): string {
  return `${missionId}/${stage}/${attempt}`;
}

/**
 * Why leaving a gate closes it unanswered, from the event that leaves it: the mission stopping or
 * failing. None for an answer, a wait started again (a long timeout) or a suspension (the
 * mission resumes at the gate).
 */
export function gateClosedReason(event: {
  type: string;
  reason?: string;
  error?: unknown;
}): { reason: string; message: string } | undefined {
  if (
    event.type === 'gate.answered' ||
    event.type === 'mission.suspend' ||
    event.type.startsWith('xstate.after.')
  )
    return undefined;
  if (event.type === 'mission.stop')
    return { reason: 'stopped', message: event.reason ?? 'stopped by request' };
  if (event.type.startsWith('xstate.error.actor.')) {
    const reason = (event.error as { reason?: unknown } | null)?.reason;
    return {
      reason: typeof reason === 'string' ? reason : 'error',
      message: errorMessage(event.error),
    };
  }
  return { reason: 'shutdown', message: 'the mission supervisor stopped at the gate' };
}
