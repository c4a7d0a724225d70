/**
 * A workflow phase's output (the workflow's state as JSON) as a person reads it at a gate or at
 * the end of a run: the phase's report (summary, findings, risks, the review questions by
 * priority, what comes next), the selection's evidence after implement, and the patch. Any
 * other stage's output is shown as it is.
 */
import type { PhaseReport } from '../../actors/coding/phaseSchemas.js';
import { parseState, type WorkflowState } from '../../actors/coding/workflowState.js';

const PRIORITY_ORDER = ['critical', 'high', 'medium', 'low'];

/** The lines to show for a stage's output; the text itself when it is not a workflow's. */
export function stageOutputLines(output: string, language?: string): string[] {
  const state = parseState(output);
  if (!state) return output.split('\n');
  return workflowLines(state, language);
}

export function workflowLines(state: WorkflowState, language?: string): string[] {
  const report = pick(state.report, language);
  const lines = [`${state.workflow}.${state.step}: ${report.summary}`];
  const list = (title: string, items: readonly string[]) => {
    if (items.length === 0) return;
    lines.push(`${title}:`);
    for (const i of items) lines.push(`  - ${i}`);
  };
  if (state.step === 'implement' || state.step === 'debug') {
    for (const c of state.step === 'implement' ? (state.implement?.candidates ?? []) : []) {
      const t = c.test;
      const tests = t
        ? `tests ${t.ok ? 'pass' : 'fail'} (${t.passed ?? '?'} passed, ${t.failed ?? '?'} failed)`
        : 'no tests ran';
      lines.push(
        `  ${c.id} from ${c.source}: ${c.apply.ok ? `applies (+${c.apply.stats.added} −${c.apply.stats.removed}), ${tests}` : `does not apply: ${c.apply.reason}`}`,
      );
    }
  }
  list('Findings', report.findings);
  list('Risks', report.risks);
  const questions = [...report.questions].sort(
    (a, b) => PRIORITY_ORDER.indexOf(a.priority) - PRIORITY_ORDER.indexOf(b.priority),
  );
  list(
    'Questions',
    questions.map((q) => `[${q.priority}] ${q.question}`),
  );
  if (state.chosen && (state.step === 'implement' || state.step === 'debug')) {
    lines.push(
      `Patch (${state.chosen.candidate}, +${state.chosen.stats.added} −${state.chosen.stats.removed}):`,
    );
    for (const l of patchBody(state.chosen.diff)) lines.push(`  ${l}`);
  }
  if (state.step === 'improve' && state.improve)
    list(
      'Entries kept for this repository',
      state.improve.entries.map((e) => `[${e.kind}] ${e.title}: ${e.body}`),
    );
  if (report.next) lines.push(`Next: ${report.next}`);
  return lines;
}

/** The run's result: the last phase's report, then what was applied. */
export function workflowResult(output: string, language?: string): string | undefined {
  const state = parseState(output);
  if (!state) return undefined;
  const lines = workflowLines(state, language);
  if (state.applied && state.chosen) {
    lines.push(`Applied ${state.chosen.candidate} (apply id ${state.applied.applyId}):`);
    for (const l of patchBody(state.chosen.diff)) lines.push(`  ${l}`);
  }
  return lines.join('\n');
}

/** The diff without git's `diff --git`/`index` header lines. */
function patchBody(diff: string): string[] {
  return diff
    .split('\n')
    .filter((l) => !l.startsWith('diff --git') && !l.startsWith('index '))
    .filter((l, i, all) => !(l === '' && i === all.length - 1));
}

function pick(report: PhaseReport, language: string | undefined): PhaseReport {
  const t = language === undefined ? undefined : report.translations?.[language];
  return t ? { ...t } : report;
}
