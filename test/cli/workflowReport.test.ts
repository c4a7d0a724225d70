/**
 * A workflow phase's output as a person reads it at a gate and at the end of a run: the report
 * with its questions by priority, the candidates and the patch after implement, a translation
 * where one is asked for and written, and any other stage's output as it is.
 */
import { describe, expect, it } from 'vitest';
import type { WorkflowState } from '../../actors/coding/workflowState.js';
import { stageOutputLines, workflowResult } from '../../cli/render/workflowReport.js';

const report = {
  summary: 'sumRange leaves out its upper bound',
  findings: ['the loop condition is i < b'],
  risks: ['adding b at the end breaks the empty range'],
  questions: [
    { question: 'Is the doc comment right?', priority: 'low' as const },
    { question: 'Is b included?', priority: 'critical' as const },
    { question: 'Any other callers?', priority: 'medium' as const },
  ],
  next: 'hypothesize',
  translations: {
    ko: {
      summary: 'sumRange가 상한을 빠뜨립니다',
      findings: [],
      risks: [],
      questions: [{ question: 'b가 포함됩니까?', priority: 'high' as const }],
      next: '가설',
    },
  },
};

const diff = [
  'diff --git a/src/range.js b/src/range.js',
  'index 5053486..be3af67 100644',
  '--- a/src/range.js',
  '+++ b/src/range.js',
  '@@ -4 +4 @@',
  '-  for (let i = a; i < b; i++) total += i;',
  '+  for (let i = a; i <= b; i++) total += i;',
  '',
].join('\n');

describe('a workflow phase rendered for a person', () => {
  it('should show the report, the questions most pressing first', () => {
    const state: WorkflowState = { workflow: 'fix', step: 'analyze', report };
    expect(stageOutputLines(JSON.stringify(state))).toEqual([
      'fix.analyze: sumRange leaves out its upper bound',
      'Findings:',
      '  - the loop condition is i < b',
      'Risks:',
      '  - adding b at the end breaks the empty range',
      'Questions:',
      '  - [critical] Is b included?',
      '  - [medium] Any other callers?',
      '  - [low] Is the doc comment right?',
      'Next: hypothesize',
    ]);
  });

  it('should show the translation asked for, and the first language where there is none', () => {
    const state: WorkflowState = { workflow: 'fix', step: 'analyze', report };
    expect(stageOutputLines(JSON.stringify(state), 'ko')).toEqual([
      'fix.analyze: sumRange가 상한을 빠뜨립니다',
      'Questions:',
      '  - [high] b가 포함됩니까?',
      'Next: 가설',
    ]);
    expect(stageOutputLines(JSON.stringify(state), 'fr')[0]).toBe(
      'fix.analyze: sumRange leaves out its upper bound',
    );
  });

  it('should show each candidate and the chosen patch after implement, and what was applied at the end', () => {
    const chosen = {
      candidate: 'c1',
      from: 'implement' as const,
      diff,
      hash: 'h',
      stats: { files: 1, added: 1, removed: 1 },
    };
    const state: WorkflowState = {
      workflow: 'fix',
      step: 'implement',
      report: { summary: 'c1 chosen', findings: [], risks: [], questions: [], next: '' },
      implement: {
        candidates: [
          {
            id: 'c1',
            source: 'agent/a#1',
            apply: { ok: true, stats: chosen.stats, diff, hash: 'h' },
            test: { ok: true, exitCode: 0, passed: 3, failed: 0 },
          },
          {
            id: 'c2',
            source: 'agent/b#2',
            apply: { ok: false, reason: 'hunk_failed', detail: 'x' },
          },
        ],
        selection: { outcome: 'selected', chosen: 'c1', steps: [] },
      },
      chosen,
    };
    const lines = stageOutputLines(JSON.stringify(state));
    expect(lines.slice(0, 3)).toEqual([
      'fix.implement: c1 chosen',
      '  c1 from agent/a#1: applies (+1 −1), tests pass (3 passed, 0 failed)',
      '  c2 from agent/b#2: does not apply: hunk_failed',
    ]);
    // the patch without git's own header lines
    expect(lines.slice(3)).toEqual([
      'Patch (c1, +1 −1):',
      '  --- a/src/range.js',
      '  +++ b/src/range.js',
      '  @@ -4 +4 @@',
      '  -  for (let i = a; i < b; i++) total += i;',
      '  +  for (let i = a; i <= b; i++) total += i;',
    ]);
    const done = { ...state, step: 'apply' as const, applied: { applyId: 'ap-1', hash: 'h' } };
    const result = workflowResult(JSON.stringify(done))!;
    expect(result).toContain('Applied c1 (apply id ap-1):');
    // the patch once, under what was applied
    expect(result.split('+  for (let i = a; i <= b; i++)').length - 1).toBe(1);
  });

  it("should leave any other stage's output as it is", () => {
    expect(stageOutputLines('a haiku\nin two lines')).toEqual(['a haiku', 'in two lines']);
    expect(stageOutputLines('{"gate": false}')).toEqual(['{"gate": false}']);
    expect(workflowResult('plain text')).toBeUndefined();
  });
});
