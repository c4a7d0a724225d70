/**
 * Every mission event in words: one sentence per event type in the log, and a generic but
 * readable one for a type this version does not know (a newer writer's event still reads as
 * what happened and with what). `run`'s progress, `submit --follow`, `replay` and the daemon's
 * terminal log all say an event the same way, through here.
 */
import type { LoggedEvent } from '../../log/eventLog.js';
import { decisionSentence } from './decisionSentence.js';
import { count, fieldText, formatMs, list, plural } from './format.js';
import { planSentence } from './planSentence.js';
import { reasonText } from './prefix.js';
import { workerSentence } from './workerSentence.js';
import { councilSentence } from './councilSentence.js';
import { workflowSentence } from './workflowSentence.js';

export interface SentenceContext {
  /** The mission's stage count, once known (`stage 2/3`). */
  stages?: number;
  /** Why the mission could not start was already said (its `mission.start_failed` line): its end names the reason only. */
  startFailureSaid?: boolean;
}

export function eventSentence(e: LoggedEvent, ctx: SentenceContext = {}): string {
  return (
    missionSentence(e, ctx) ??
    planSentence(e) ??
    workflowSentence(e) ??
    councilSentence(e) ??
    workerSentence(e) ??
    genericSentence(e)
  );
}

function missionSentence(e: LoggedEvent, ctx: SentenceContext): string | undefined {
  switch (e.type) {
    case 'mission.submitted': {
      const stages = (e.config as { stages?: unknown[] } | undefined)?.stages?.length ?? 0;
      return `mission ${e.mission} submitted: ${e.name}, ${plural(stages, 'stage')}${e.input === undefined ? '' : ', with an input'}`;
    }
    case 'mission.started':
      return `mission ${e.mission} started: stages ${list(e.stages)}`;
    case 'mission.resumed': {
      const done = (e.done as string[] | undefined) ?? [];
      return `mission ${e.mission} resumed at stage ${Number(e.stage) + 1}${attemptText(e)}${done.length ? ` (done: ${done.join(', ')})` : ''}`;
    }
    case 'mission.start_failed':
      return `✗ mission ${e.mission} could not start: ${e.message}`;
    case 'mission.suspended':
      return `mission ${e.mission} suspended (the daemon stopped); it resumes where it was`;
    case 'mission.finished': {
      const error = e.error as { reason?: string; message?: string } | undefined;
      if (error?.reason === 'start_failed' && ctx.startFailureSaid)
        return `mission ${e.status}: start_failed`;
      return `mission ${e.status}${error ? `: ${reasonText(error)}` : ''}`;
    }
    case 'stage.entered': {
      const of = ctx.stages ? `${Number(e.index) + 1}/${ctx.stages} ` : '';
      const maker = e.maker as { kind?: string } | undefined;
      const who =
        (e.agents ?? []).length > 0 ? `: ${list(e.agents)}` : ' (Maestro applies the patch)';
      return `▶ stage ${of}${e.stage}${who}${maker ? ` (MAKER ${maker.kind})` : ''}${attemptText(e)}`;
    }
    case 'stage.finished':
      return `✓ stage ${e.stage}: ${plural(Number(e.answers ?? 0), 'answer')}${attemptText(e)}`;
    case 'agent.call': {
      const who = `${e.agent} via ${e.provider}`;
      // The agent's restart count (0 for its first call), said from 1 as a stage's attempt is.
      const restarts = Number(e.attempt ?? 0);
      const attempt = restarts > 0 ? `, attempt ${restarts + 1}` : '';
      if (!e.ok) return `✗ ${who}: ${e.error}${attempt ? ` (${attempt.slice(2)})` : ''}`;
      const tokens = (e.usage as { totalTokens?: number } | undefined)?.totalTokens ?? 0;
      return `✓ ${who} (${e.model}): ${count(tokens)} tokens, ${formatMs(Number(e.latencyMs ?? 0))}${attempt}`;
    }
    case 'supervisor.decision':
      return decisionSentence(e);
    case 'approval.requested': {
      const timeout = e.timeoutAt
        ? `; at ${e.timeoutAt} it is ${e.onTimeout === 'approve' ? 'approved' : 'rejected'}`
        : '';
      // How to answer depends on who runs the mission (run's prompt, the daemon's API): theirs to say.
      return `⏸ approval ${e.id} waits for a person${timeout}`;
    }
    case 'approval.answered':
      return `${e.decision === 'approve' ? '✓' : '✗'} approval ${e.id} ${e.decision === 'approve' ? 'approved' : 'rejected'} by ${e.by ?? 'someone'}${e.feedback ? `: ${e.feedback}` : ''}`;
    case 'approval.closed':
      return `⊘ approval ${e.id} closed unanswered: ${reasonText(e as { reason?: string; message?: string })}`;
    case 'maker.vote':
      return e.outcome === 'exhausted'
        ? `✗ MAKER vote exhausted at step ${count(Number(e.step))} after ${plural(Number(e.samples), 'sample')} (no answer led by k=${e.k})`
        : `· MAKER step ${count(Number(e.step))} decided: ${e.answer} by ${plural(Number(e.samples), 'sample')}, margin ${e.margin}`;
    case 'maker.snapshot':
      return `▣ MAKER snapshot at step ${count(Number(e.step))}: ${count(Number(e.samples))} samples, ${count(Number(e.flagged ?? 0))} red-flagged so far`;
    default:
      return undefined;
  }
}

/**
 * `call.redelivery`-like events of a newer version: the type in words, then each field as
 * `name value`, paths without the mission's prefix, `…Ms` as durations, long values capped.
 */
export function genericSentence(e: LoggedEvent): string {
  const { seq: _seq, ts: _ts, mission, type, ...fields } = e;
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${fieldText(k, v, mission)}`);
  return `· ${String(type).replace(/[._]/g, ' ')}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

function attemptText(e: { attempt?: number | undefined }): string {
  return (e.attempt ?? 1) > 1 ? `, attempt ${e.attempt}` : '';
}
