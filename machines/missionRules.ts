/**
 * The mission statechart's rules, pure: what each step records in the mission log and what it
 * changes, computed from the context and the event. The machine (mission.ts) assigns what they
 * return and appends their events in one named action, `log`, never inside an `assign`.
 */
import { approvalId, gateClosedReason, type GateAnsweredEvent } from '../actors/approvalGate.js';
import { errorMessage } from '../kernel/errors.js';
import type { RecoveredApproval } from '../log/missionRecovery.js';
import type { MissionLogEvent } from '../log/missionLogEvent.js';
import type { ChildExitedEvent } from '../supervisors/index.js';
import type { MissionContext, MissionFailure, StageResult } from './missionTypes.js';
import { stageAnswers, stageText } from './stageSpec.js';
import { missionStages, stageAgents, type RunnableStage } from './workflowStages.js';

/** The feedback a revision is given when its rejection came without any. */
export const NO_FEEDBACK = 'rejected without feedback';

/** setTimeout's limit: a longer approval timeout is waited for in steps of this. */
export const MAX_DELAY_MS = 2 ** 31 - 1;

export const current = (c: MissionContext): RunnableStage => missionStages(c.config)[c.stage]!;

/** Why a stage ended without its answers: `stage 'x' gave up: <reason>; last crash: <child>: <error>`. */
export function stageFailure(stage: string, e: ChildExitedEvent): MissionFailure {
  const reason = e.reason ?? e.exit;
  if (e.offender !== undefined)
    return {
      reason,
      message: `stage '${stage}' gave up: ${reason}; last crash: ${e.offender}: ${e.lastCrash ?? 'unknown'}`,
    };
  return { reason, message: `stage '${stage}' failed: ${e.error ?? reason}` };
}

/** A mission's failure from the error its supervisor failed with: errors that carry a `reason` give it. */
export function failureOf(err: unknown): MissionFailure {
  const reason = (err as { reason?: unknown } | null)?.reason;
  return { reason: typeof reason === 'string' ? reason : 'error', message: errorMessage(err) };
}

/** The mission's first event: started, or resumed (where it goes on from). */
export function startEvent(c: MissionContext): MissionLogEvent {
  return c.resume
    ? {
        type: 'mission.resumed',
        stage: c.stage,
        attempt: c.attempt,
        done: c.stages.map((s) => s.name),
        ...(c.traceId !== undefined && { traceId: c.traceId }),
      }
    : {
        type: 'mission.started',
        name: c.config.name,
        stages: missionStages(c.config).map((s) => s.name),
        ...(c.traceId !== undefined && { traceId: c.traceId }),
      };
}

export function stageEntered(c: MissionContext): MissionLogEvent {
  const stage = current(c);
  const agents = stageAgents(stage);
  return {
    type: 'stage.entered',
    stage: stage.name,
    index: c.stage,
    attempt: c.attempt,
    agents,
    ...(stage.maker && { maker: stage.maker.task }),
  };
}

/** The current stage's run from its supervisor's exit; its output is what a resume needs not to run it again. */
export function finishedRun(
  c: MissionContext,
  e: ChildExitedEvent,
): { run: StageResult; events: MissionLogEvent[] } {
  const stage = current(c);
  const results = (e.output as { results?: Record<string, unknown> } | undefined)?.results ?? {};
  const answers = stageAnswers(stage, results);
  const output = stageText(stage, answers);
  const finished: MissionLogEvent = {
    type: 'stage.finished',
    stage: stage.name,
    index: c.stage,
    attempt: c.attempt,
    answers: answers.length,
    output,
    usage: c.budget.usage(),
  };
  return { run: { name: stage.name, output, answers }, events: [finished] };
}

/** The approval asked for the current run, at `now`. */
export function approvalRequest(
  c: MissionContext,
  now: number,
): { approval: RecoveredApproval; events: MissionLogEvent[] } {
  const stage = current(c);
  const gate = stage.approval!;
  const timeoutAt =
    gate.timeoutMs === undefined ? undefined : new Date(now + gate.timeoutMs).toISOString();
  const approval = {
    id: approvalId(c.missionId, stage.name, c.attempt),
    stage: stage.name,
    index: c.stage,
    attempt: c.attempt,
    output: c.run!.output,
    requestedAt: new Date(now).toISOString(),
    ...(timeoutAt && { timeoutAt }),
    onTimeout: gate.onTimeout,
  };
  return { approval, events: [{ type: 'approval.requested', ...approval }] };
}

/** The gate's default answer when its timeout passed: recorded first, then acted on. */
export function timeoutAnswer(c: MissionContext): {
  answer: GateAnsweredEvent;
  events: MissionLogEvent[];
} {
  const a = c.approval!;
  const decision = a.onTimeout ?? 'reject';
  const feedback = `no answer within the approval timeout (${a.timeoutAt})`;
  return {
    answer: { type: 'gate.answered', id: a.id, decision, feedback, by: 'timeout', recorded: true },
    events: [{ type: 'approval.answered', id: a.id, decision, feedback, by: 'timeout' }],
  };
}

/** The answer is durable before the mission acts on it; one already in the log is not written again. */
export function answerEvents(e: GateAnsweredEvent): MissionLogEvent[] {
  if (e.recorded) return [];
  return [
    {
      type: 'approval.answered',
      id: e.id,
      decision: e.decision,
      ...(e.feedback !== undefined && { feedback: e.feedback }),
      by: e.by ?? 'api',
    },
  ];
}

/** Leaving a gate unanswered because the mission ends: closed, so nobody is offered it again. */
export function closedGateEvents(
  c: MissionContext,
  event: { type: string; reason?: string; error?: unknown },
): MissionLogEvent[] {
  const reason = gateClosedReason(event);
  const a = c.approval;
  return a && reason ? [{ type: 'approval.closed', id: a.id, ...reason }] : [];
}

/** Why a rejection ends the mission. */
export function rejection(c: MissionContext, e: GateAnsweredEvent): MissionFailure {
  const by = e.by === 'timeout' ? ' (timed out)' : '';
  return {
    reason: 'rejected',
    message: `stage '${current(c).name}' rejected${by} after ${c.attempt} attempt(s)${e.feedback ? `: ${e.feedback}` : ''}`,
  };
}
