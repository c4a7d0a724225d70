/**
 * A plan stage's events in words: the GeniusLoop's phases, the compiled task graph, the tasks,
 * replans, the monitor and the blackboard. Undefined for a type that is not a plan stage's.
 */
import type { LoggedEvent } from '../../log/eventLog.js';
import { oneLine, plural } from './format.js';

export function planSentence(e: LoggedEvent): string | undefined {
  switch (e.type) {
    case 'genius.phase': {
      const vote = e.vote as { k?: number; samples?: number } | undefined;
      return `◆ ${phaseName(e)} by ${e.prompt}${flaggedText(e)}${vote?.k !== undefined ? `, voted (k=${vote.k}, ${plural(vote.samples ?? 0, 'sample')})` : ''}`;
    }
    case 'genius.text':
      return `◆ ${phaseName(e)} by ${e.prompt}: ${plural(Number(e.chars ?? 0), 'char')}${flaggedText(e)}`;
    case 'genius.phase.failed':
      return `✗ ${phaseName(e)} by ${e.prompt} failed after ${plural(Number(e.samples ?? 0), 'sample')}: ${e.reason}`;
    case 'plan.compiled': {
      const tasks = (e.tasks as { id: string }[] | undefined) ?? [];
      const levels = (e.levels as unknown[] | undefined)?.length ?? 0;
      return `▤ plan: ${plural(tasks.length, 'task')} (${tasks.map((t) => t.id).join(', ')}) in ${plural(levels, 'level')}`;
    }
    case 'plan.rejected':
      return `✗ plan rejected: ${e.error}`;
    case 'plan.revised': {
      const failed = (e.failed as string[] | undefined) ?? [];
      return `↺ replan ${e.replan}: around ${failed.join(', ') || "the reviewer's concerns"}`;
    }
    case 'task.started':
      return `▷ task ${e.task} started (${e.agent})`;
    case 'task.finished':
      return `✓ task ${e.task} finished`;
    case 'task.failed':
      return `✗ task ${e.task} failed${e.error === undefined ? '' : `: ${oneLine(e.error, 200)}`}`;
    case 'task.blocked':
      return `⊘ task ${e.task} blocked (${e.dependency} did not finish)`;
    case 'monitor.abort':
      return `■ monitor aborts (${e.by}): ${e.message}`;
    case 'monitor.revise':
      return `↺ reviewer asks for a revision: ${e.message}`;
    case 'monitor.review_failed':
      return `⚠ the monitor's reviewer failed: ${e.error}; the run goes on`;
    case 'blackboard.entry':
      return `▦ board: ${e.agent} added a ${e.kind} (${plural(String(e.data ?? '').length, 'char')})`;
    case 'blackboard.compressed':
      return `▦ board: ${plural(e.replaced.length, 'entry', 'entries')} ${e.kind === 'note' ? 'dropped (no summarizer)' : 'compressed into a summary'}`;
    case 'blackboard.compaction_failed':
      return `⚠ board: compaction failed: ${e.error}; tried again later`;
    case 'blackboard.synthesis_failed':
      return `⚠ board: synthesis for the replan failed: ${e.error}`;
    default:
      return undefined;
  }
}

function phaseName(e: { phase: string; label?: string | undefined }): string {
  return `${e.phase}${e.label === undefined ? '' : ` (${e.label})`}`;
}

function flaggedText(e: { flagged?: number | undefined }): string {
  return (e.flagged ?? 0) > 0 ? `, ${e.flagged} red-flagged` : '';
}
