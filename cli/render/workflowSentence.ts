/**
 * The coding workflow's events and the workspace's transactions in words: a candidate tried (did
 * it apply, what its tests said), the selection's outcome, an edit applied to a tree or undone.
 */
import type { LoggedEvent } from '../../log/eventLog.js';

const short = (hash: string) => hash.slice(0, 12);
const where = (target: string) =>
  target.includes('/worktrees/') ? `candidate ${target.split('/').at(-1)}` : target;

export function workflowSentence(e: LoggedEvent): string | undefined {
  switch (e.type) {
    case 'workflow.candidate': {
      const c = e.evidence;
      if (!c.apply.ok) return `✗ candidate ${c.id} (${c.source}) does not apply: ${c.apply.reason}`;
      const t = c.test;
      const tests = !t
        ? 'not tested'
        : `tests ${t.ok ? 'pass' : 'fail'}${t.passed === undefined ? '' : ` (${t.passed} passed, ${t.failed ?? 0} failed)`}`;
      return `${t?.ok ? '✓' : '✗'} candidate ${c.id} (${c.source}): applies, +${c.apply.stats.added} −${c.apply.stats.removed}, ${tests}`;
    }
    case 'workflow.selection': {
      const s = e.selection;
      if (s.outcome === 'selected') return `◆ selected ${s.chosen}`;
      if (s.outcome === 'tied') return `◆ tied: ${s.tied.join(', ')}`;
      return '◆ no candidate passed its tests';
    }
    case 'workflow.architecture':
      return `◆ ${e.stage}: ${e.topology}, ${e.agents} agent${e.agents === 1 ? '' : 's'} (rule ${e.rule}: ${e.reason})`;
    case 'workspace.apply_started':
      return `· applying ${e.stats.files} file${e.stats.files === 1 ? '' : 's'} (+${e.stats.added} −${e.stats.removed}) to ${where(e.target)} (${e.applyId})`;
    case 'workspace.applied':
      return `· applied ${e.applyId} to ${where(e.target)}, edit ${short(e.hash)}`;
    case 'workspace.apply_failed':
      return `✗ apply ${e.applyId} to ${where(e.target)} failed: ${e.reason}`;
    case 'workspace.rolled_back':
      return `↺ apply ${e.applyId} to ${where(e.target)} rolled back`;
    case 'workspace.restored':
      return `↺ ${where(e.target)} restored to before ${e.restores}`;
    default:
      return undefined;
  }
}
