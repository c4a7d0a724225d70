import { mkdtempSync, writeFileSync } from 'node:fs';
import {
  analysisSchema,
  debugStepSchema,
  hypothesesSchema,
  improvementSchema,
  judgmentSchema,
  patchCandidateSchema,
} from '../../actors/coding/phaseSchemas.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError, SystemError } from '../../kernel/errors.js';
import {
  approachSchema,
  deconstructionSchema,
  masterPlanSchema,
  planStepSchema,
  premortemSchema,
  reviewSchema,
  stressTestSchema,
} from '../../actors/planning/masterPlan.js';
import {
  loadPromptLibrary,
  PromptNotFoundError,
  PromptTemplateError,
} from '../../actors/promptLibrary.js';

function library(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-prompts-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('prompt library', () => {
  const dir = library({
    'greet.v1.md': 'Hello {{name}}.\n',
    'greet.v2.md': 'Hi {{name}}, about {{topic}}: {{name}}!\n',
    'plain.v1.md': 'No placeholders.',
    'README.txt': 'not a prompt',
  });

  it('should render the newest version unless one is pinned, and name it', () => {
    const lib = loadPromptLibrary(dir);
    expect(lib.render('greet', { name: 'Ada', topic: 'engines' })).toEqual({
      text: 'Hi Ada, about engines: Ada!',
      id: 'greet@v2',
    });
    expect(lib.render('greet', { name: 'Ada' }, 1)).toEqual({ text: 'Hello Ada.', id: 'greet@v1' });
    expect(lib.render('plain', {})).toEqual({ text: 'No placeholders.', id: 'plain@v1' });
    expect(lib.names()).toEqual(['greet', 'plain']);
    expect(lib.versions('greet')).toEqual([1, 2]);
    expect(lib.versions('nope')).toEqual([]);
    expect(lib.resolve('greet')).toBe('greet@v2');
    expect(lib.resolve('greet', 1)).toBe('greet@v1');
  });

  it('should leave placeholders inside values alone (one pass)', () => {
    const lib = loadPromptLibrary(dir);
    expect(lib.render('greet', { name: '{{topic}}', topic: '{{name}}' }).text).toBe(
      'Hi {{topic}}, about {{name}}: {{topic}}!',
    );
  });

  it('should refuse a missing var, naming each one', () => {
    const lib = loadPromptLibrary(dir);
    expect(() => lib.render('greet', { name: 'Ada' })).toThrow(
      new PromptTemplateError('greet@v2', ['topic'], "missing var 'topic'"),
    );
    expect(() => lib.render('greet', { name: 'Ada' })).toThrow(
      "prompt 'greet@v2': missing var 'topic'",
    );
    try {
      lib.render('greet', {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SystemError);
      expect((err as Error).message).toBe("prompt 'greet@v2': missing vars 'name', 'topic'");
      expect((err as PromptTemplateError).offending).toEqual(['name', 'topic']);
    }
  });

  it('should refuse an unknown prompt or version, listing what exists', () => {
    const lib = loadPromptLibrary(dir);
    expect(() => lib.render('farewell', {})).toThrow(
      "unknown prompt 'farewell' (known: greet@v1, greet@v2, plain@v1)",
    );
    expect(() => lib.render('greet', { name: 'x' }, 3)).toThrow(
      "unknown version 3 of prompt 'greet' (known: greet@v1, greet@v2)",
    );
    expect(() => lib.resolve('greet', 3)).toThrow(
      "unknown version 3 of prompt 'greet' (known: greet@v1, greet@v2)",
    );
    try {
      lib.render('greet', {}, 3);
    } catch (err) {
      expect(err).toBeInstanceOf(PromptNotFoundError);
      expect(err).toBeInstanceOf(UserError);
      expect(err).toMatchObject({
        prompt: 'greet',
        version: 3,
        available: ['greet@v1', 'greet@v2'],
      });
    }
  });

  it('should refuse a malformed placeholder or a misnamed prompt file when loading', () => {
    expect(() =>
      loadPromptLibrary(library({ 'bad.v1.md': 'Hello {{ name }} and {{x-y}}.' })),
    ).toThrow("prompt 'bad@v1': malformed placeholder '{{ name }}', '{{x-y}}' (expected {{name}})");
    expect(() => loadPromptLibrary(library({ 'bad.v1.md': 'JSON like {"a": {"b": 1}}' }))).toThrow(
      "prompt 'bad@v1': malformed placeholder '}}'",
    );
    expect(() => loadPromptLibrary(library({ 'synthesize.md': 'x' }))).toThrow(
      "prompt 'synthesize.md': expected a file name like 'synthesize.v1.md'",
    );
  });
});

describe('the bundled prompts', () => {
  const lib = loadPromptLibrary();
  const keysOf = (schema: { shape: Record<string, unknown> }) => Object.keys(schema.shape);
  const fill = (name: string) => Object.fromEntries(placeholders(name).map((p) => [p, `<${p}>`]));
  const placeholders = (name: string) => {
    try {
      lib.render(name, {});
      return [];
    } catch (err) {
      return [...(err as PromptTemplateError).offending];
    }
  };

  it('should have one prompt per phase and use', () => {
    expect(lib.names()).toEqual([
      'boardSynthesis',
      'councilDeliberate',
      'councilJudge',
      'councilPropose',
      'councilSynthesize',
      'deconstruct',
      'finalSynthesis',
      'premortem',
      'review',
      'revise',
      'simulate',
      'stressTest',
      'summarize',
      'synthesize',
      'task',
      'workflowAnalyze',
      'workflowDebug',
      'workflowHypothesize',
      'workflowImplement',
      'workflowImplementCli',
      'workflowImprove',
      'workflowJudge',
    ]);
    for (const name of lib.names()) expect(lib.versions(name)).toEqual([1]);
  });

  it('should take the vars the GeniusLoop, the monitor and the tasks give them', () => {
    const vars = Object.fromEntries(lib.names().map((n) => [n, placeholders(n).sort()]));
    expect(vars).toEqual({
      deconstruct: ['context', 'goal'],
      simulate: ['approach', 'context', 'deconstruction', 'goal'],
      stressTest: ['approach', 'deconstruction', 'goal', 'proposal'],
      synthesize: ['approaches', 'context', 'deconstruction', 'goal', 'stressTests'],
      premortem: ['goal', 'plan'],
      revise: ['context', 'failed', 'finished', 'flaws', 'goal', 'plan'],
      review: ['goal', 'plan', 'telemetry'],
      task: ['context', 'inputs', 'prompt', 'title'],
      summarize: ['entries'],
      finalSynthesis: ['context', 'failed', 'finished', 'goal', 'plan'],
      boardSynthesis: ['board', 'goal'],
      // a council's rounds (actors/council/councilPrompts.ts gives them)
      councilPropose: ['members', 'question'],
      councilJudge: ['first', 'question', 'second'],
      councilSynthesize: ['decision', 'dissent', 'members', 'question', 'reasons'],
      councilDeliberate: ['duty', 'members', 'others', 'own', 'question', 'role', 'round'],
      // the coding workflow's phases (actors/coding/workflowPhases.ts gives them)
      workflowAnalyze: [
        'answers',
        'baseline',
        'files',
        'language',
        'playbook',
        'sources',
        'task',
        'translations',
      ],
      workflowHypothesize: ['analysis', 'answers', 'language', 'sources', 'task', 'translations'],
      workflowImplement: ['analysis', 'answers', 'hypotheses', 'sources', 'task'],
      workflowImplementCli: ['analysis', 'answers', 'hypotheses', 'task'],
      workflowJudge: ['analysis', 'candidates', 'task'],
      workflowDebug: [
        'analysis',
        'answers',
        'failure',
        'language',
        'patch',
        'steps',
        'task',
        'translations',
      ],
      workflowImprove: [
        'analysis',
        'answers',
        'language',
        'patch',
        'playbook',
        'selection',
        'task',
        'translations',
      ],
    });
  });

  it('should ask each phase for exactly its schema keys, as one JSON object', () => {
    const schemas = {
      deconstruct: deconstructionSchema,
      simulate: approachSchema,
      stressTest: stressTestSchema,
      synthesize: masterPlanSchema,
      premortem: premortemSchema,
      revise: masterPlanSchema,
      review: reviewSchema,
      workflowAnalyze: analysisSchema,
      workflowHypothesize: hypothesesSchema,
      workflowImplement: patchCandidateSchema,
      workflowDebug: debugStepSchema,
      workflowImprove: improvementSchema,
      workflowJudge: judgmentSchema,
    };
    for (const [name, schema] of Object.entries(schemas)) {
      const { text } = lib.render(name, fill(name));
      for (const key of keysOf(schema))
        expect(text, `${name} names "${key}"`).toContain(`"${key}":`);
      expect(text, name).toContain('Answer with one JSON object and nothing else');
    }
    for (const name of ['synthesize', 'revise']) {
      for (const key of keysOf(planStepSchema))
        expect(lib.render(name, fill(name)).text).toContain(`"${key}":`);
    }
    for (const name of ['task', 'summarize', 'finalSynthesis'])
      expect(lib.render(name, fill(name)).text).toMatch(/plain text/);
  });
});
