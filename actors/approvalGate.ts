/**
 * The human gate's records. An approval is a pair of events in the mission's log:
 * `approval.requested` (the stage's output, when it was asked, when it times out) and
 * `approval.answered` (approve, or reject with feedback; by whom). The log is the truth: a
 * pending approval is one requested and not answered, so it survives a restart, and the first
 * answer stands, so answering twice is harmless.
 */
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
