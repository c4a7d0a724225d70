import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reviewSchema, deconstructionSchema } from '../../../actors/planning/masterPlan.js';
import {
  canonicalJson,
  parsePhaseAnswer,
  PhaseAnswerError,
  phaseVoteKey,
} from '../../../actors/planning/phaseCall.js';
import { loadPromptLibrary } from '../../../actors/promptLibrary.js';
import { ProviderHttpError } from '../../../actors/providers/index.js';
import { SystemError } from '../../../kernel/errors.js';
import { scriptedPlanner } from '../../helpers/scriptedPlanner.js';

const decon = {
  problem: 'ship it',
  constraints: ['one day'],
  assumptions: ['tests exist'],
  minimalSolution: 'a script',
};
const goalVars = { goal: 'release v1', context: '(none)' };
const review = (decision: 'continue' | 'revise' | 'abort', reason = 'on course') => ({
  decision,
  reason,
});
const reviewVars = { goal: 'g', plan: '{}', telemetry: '{}' };

describe('parsePhaseAnswer', () => {
  it('should accept one JSON object, bare or in a single ```json (or bare ```) block, and drop extra keys', () => {
    expect(
      parsePhaseAnswer(' {"decision": "abort", "reason": "r", "extra": 1}\n', reviewSchema),
    ).toEqual({ ok: true, value: review('abort', 'r') });
    expect(
      parsePhaseAnswer('```json\n{"decision": "revise", "reason": "r"}\n```', reviewSchema),
    ).toEqual({ ok: true, value: review('revise', 'r') });
    expect(parsePhaseAnswer('```\n{"decision": "revise", "reason": "r"}```', reviewSchema)).toEqual(
      { ok: true, value: review('revise', 'r') },
    );
  });

  it('should red-flag prose, several blocks, non-objects, broken JSON and schema failures, with the reason', () => {
    const flag = (text: string) => parsePhaseAnswer(text, reviewSchema);
    expect(flag('Sure! {"decision": "abort", "reason": "r"}')).toEqual({
      ok: false,
      reason: 'expected one JSON object and no prose around it',
    });
    expect(flag('{"decision": "abort", "reason": "r"} Hope this helps.')).toEqual({
      ok: false,
      reason: 'expected one JSON object and no prose around it',
    });
    expect(flag('Here:\n```json\n{"decision": "abort", "reason": "r"}\n```')).toEqual({
      ok: false,
      reason: 'expected one JSON object and no prose around it',
    });
    expect(flag('```json\n{"decision": "abort", "reason": "r"}\n```\nDone.')).toEqual({
      ok: false,
      reason: 'expected a single ```json block and nothing around it',
    });
    expect(flag('```json\n{}\n```\n```json\n{}\n```')).toEqual({
      ok: false,
      reason: 'expected a single ```json block and nothing around it',
    });
    expect(flag('[{"decision": "abort", "reason": "r"}]')).toEqual({
      ok: false,
      reason: 'expected one JSON object and no prose around it',
    });
    expect(flag('   ')).toEqual({ ok: false, reason: 'empty answer' });
    expect(flag('{"decision": "abort", "reason": "r",}')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^invalid JSON: /),
    });
    expect(flag('{"decision": "maybe", "reason": "r"}')).toEqual({
      ok: false,
      reason: 'schema: decision: Invalid option: expected one of "continue"|"revise"|"abort"',
    });
    expect(parsePhaseAnswer('{"problem": "x"}', deconstructionSchema)).toEqual({
      ok: false,
      reason: 'schema: constraints: Invalid input: expected array, received undefined',
    });
  });

  it('should give equal answers equal canonical JSON whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });
});

describe('phase runner', () => {
  it('should red-flag an answer, draw again at temperature 0.1, and record the phase once', async () => {
    const s = scriptedPlanner([
      'Let me think... the problem is shipping.',
      `\`\`\`json\n${JSON.stringify(decon)}\n\`\`\``,
    ]);
    await expect(s.runner('deconstruct', goalVars)).resolves.toEqual(decon);
    expect(s.requests.map((r) => r.temperature)).toEqual([0, 0.1]);
    expect(s.requests.map((r) => r.caller)).toEqual(['m/plan/deconstruct', 'm/plan/deconstruct']);
    expect(s.requests[0]!.prompt).toContain('release v1');
    expect(s.budget.usage().samples).toBe(2);
    expect(s.events).toEqual([
      {
        type: 'genius.phase',
        path: 'm/plan',
        phase: 'deconstruct',
        prompt: 'deconstruct@v1',
        samples: 2,
        flagged: 1,
        output: decon,
      },
    ]);
  });

  it('should fail with PhaseAnswerError once the resamples are spent', async () => {
    const s = scriptedPlanner(['no JSON here', '{"problem": "x"}', JSON.stringify(decon)], {
      resamples: 1,
    });
    const err = await s.runner('deconstruct', goalVars).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PhaseAnswerError);
    expect(err).toBeInstanceOf(SystemError);
    expect((err as Error).message).toBe(
      "phase 'deconstruct' at 'm/plan' failed after 2 samples: schema: constraints: Invalid input: expected array, received undefined",
    );
    expect(err).toMatchObject({
      phase: 'deconstruct',
      path: 'm/plan',
      samples: 2,
      reason: 'schema: constraints: Invalid input: expected array, received undefined',
    });
    expect(s.requests).toHaveLength(2);
    expect(s.events).toEqual([
      {
        type: 'genius.phase.failed',
        path: 'm/plan',
        phase: 'deconstruct',
        prompt: 'deconstruct@v1',
        samples: 2,
        reason: 'schema: constraints: Invalid input: expected array, received undefined',
      },
    ]);
  });

  it('should make one draw only with resamples 0, and say "1 sample"', async () => {
    const s = scriptedPlanner(['prose'], { resamples: 0 });
    await expect(s.runner('review', reviewVars)).rejects.toThrow(
      "phase 'review' at 'm/plan' failed after 1 sample: expected one JSON object and no prose around it",
    );
  });

  it('should pass a call error through as it is, without a phase event', async () => {
    const s = scriptedPlanner([{ error: 'bad gateway', errorKind: 'server' }, review('continue')]);
    const err = await s.runner('review', reviewVars).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect((err as Error).message).toBe("provider 'p': http 500: bad gateway");
    expect(s.requests).toHaveLength(1);
    expect(s.events).toEqual([]);
  });

  it('should label a call in its caller path and its event', async () => {
    const approach = { approach: 'elegant', summary: 's', steps: ['a'], risks: [] };
    const s = scriptedPlanner([approach]);
    await s.runner(
      'simulate',
      { ...goalVars, deconstruction: '{}', approach: 'elegant' },
      { label: 'elegant' },
    );
    expect(s.requests[0]!.caller).toBe('m/plan/simulate/elegant');
    expect(s.events[0]).toMatchObject({
      type: 'genius.phase',
      phase: 'simulate',
      label: 'elegant',
      prompt: 'simulate@v1',
      output: approach,
    });
  });

  it('should decide by vote once one answer leads by k, never counting a red-flagged sample', async () => {
    // First k=2 in parallel: A and B (tied); then one at a time: a red flag, A (2-1), A again with
    // its keys in another order and fenced (3-1: ahead by 2).
    const A = review('continue', 'fine');
    const B = review('abort', 'doomed');
    const s = scriptedPlanner(
      [A, B, 'I would continue.', A, '```json\n{"reason": "fine", "decision": "continue"}\n```', B],
      { vote: { k: 2, maxSamples: 8 } },
    );
    await expect(s.runner('review', reviewVars)).resolves.toEqual(A);
    expect(s.requests.map((r) => r.temperature)).toEqual([0, 0.1, 0.1, 0.1, 0.1]);
    expect(s.budget.usage().samples).toBe(5);
    expect(s.events).toEqual([
      {
        type: 'genius.phase',
        path: 'm/plan',
        phase: 'review',
        prompt: 'review@v1',
        samples: 5,
        flagged: 1,
        vote: { k: 2, margin: 2, distinct: 2 },
        output: A,
      },
    ]);
  });

  it('should decide with k samples when the first batch agrees', async () => {
    const s = scriptedPlanner([review('revise'), review('revise'), review('abort')], {
      vote: { k: 2, maxSamples: 8 },
    });
    await expect(s.runner('review', reviewVars)).resolves.toEqual(review('revise'));
    expect(s.requests).toHaveLength(2);
  });

  it('should end an undecided vote exhausted after maxSamples', async () => {
    const s = scriptedPlanner([review('continue'), review('abort'), '{}', review('continue')], {
      vote: { k: 2, maxSamples: 3 },
    });
    const err = await s.runner('review', reviewVars).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PhaseAnswerError);
    expect((err as Error).message).toBe(
      "phase 'review' at 'm/plan' failed after 3 samples: vote exhausted: no answer led by 2 within 3 samples",
    );
    expect(s.requests).toHaveLength(3);
    expect(s.events).toEqual([
      {
        type: 'genius.phase.failed',
        path: 'm/plan',
        phase: 'review',
        prompt: 'review@v1',
        samples: 3,
        reason: 'vote exhausted: no answer led by 2 within 3 samples',
      },
    ]);
  });

  it('should use a pinned prompt version from the library it is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maestro-prompts-'));
    writeFileSync(join(dir, 'review.v1.md'), 'v1 {{goal}}');
    writeFileSync(join(dir, 'review.v2.md'), 'v2 {{goal}}');
    const s = scriptedPlanner([review('continue')], {
      library: loadPromptLibrary(dir),
      promptVersions: { review: 1 },
    });
    await s.runner('review', { goal: 'g' });
    expect(s.requests[0]!.prompt).toBe('v1 g');
    expect(s.events[0]).toMatchObject({ prompt: 'review@v1' });
    expect(() =>
      scriptedPlanner([review('continue')], {
        library: loadPromptLibrary(dir),
        promptVersions: { review: 3 },
      }),
    ).toThrow("unknown version 3 of prompt 'review' (known: review@v1, review@v2)");
  });

  it('should run a plain-text prompt, red-flagging an empty answer, and record only its size', async () => {
    const s = scriptedPlanner(['  \n', '  All done: 3 steps finished.  ']);
    await expect(
      s.runner.runText('summarize', { entries: 'a\nb' }, { label: 'board' }),
    ).resolves.toBe('All done: 3 steps finished.');
    expect(s.requests.map((r) => r.caller)).toEqual([
      'm/plan/summarize/board',
      'm/plan/summarize/board',
    ]);
    expect(s.events).toEqual([
      {
        type: 'genius.text',
        path: 'm/plan',
        phase: 'summarize',
        label: 'board',
        prompt: 'summarize@v1',
        samples: 2,
        flagged: 1,
        chars: 27,
      },
    ]);
  });

  it('should abort the call in flight when its signal is aborted', async () => {
    const s = scriptedPlanner([{ text: JSON.stringify(review('continue')), delayMs: 10_000 }]);
    const abort = new AbortController();
    const call = s.runner('review', reviewVars, { signal: abort.signal }).catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    expect(s.requests).toHaveLength(1);
    abort.abort(new Error('stop'));
    expect(await call).toEqual(new Error('stop'));
    expect(s.events).toEqual([]);
  });
});

describe('phaseVoteKey: what a phase vote compares', () => {
  it('should compare what each phase decides, not its wording', () => {
    expect(phaseVoteKey('review', { decision: 'abort', reason: 'a' })).toBe(
      phaseVoteKey('review', { decision: 'abort', reason: 'other words' }),
    );
    expect(phaseVoteKey('review', { decision: 'abort', reason: 'a' })).not.toBe(
      phaseVoteKey('review', { decision: 'continue', reason: 'a' }),
    );
    expect(phaseVoteKey('premortem', { fatalFlaws: ['x'], risks: [] })).toBe(
      phaseVoteKey('premortem', { fatalFlaws: ['y', 'z'], risks: ['r'] }),
    );
    expect(phaseVoteKey('premortem', { fatalFlaws: [], risks: [] })).toBe('clear');
    expect(
      phaseVoteKey('stressTest', { approach: 'a', weaknesses: ['w'], score: 7, fatal: false }),
    ).toBe('false:7');
    const step = (id: string, dependsOn: string[], capabilities: string[], title = 't') => ({
      id,
      title,
      prompt: `do ${title}`,
      dependsOn,
      capabilities,
    });
    const planA = {
      steps: [step('a', [], ['code']), step('b', ['a'], ['x', 'y'])],
      confidence: 0.5,
      thoughtChain: ['one'],
    };
    const planB = {
      steps: [step('a', [], ['code'], 'other'), step('b', ['a'], ['y', 'x'], 'words')],
      confidence: 0.9,
      thoughtChain: [],
    };
    expect(phaseVoteKey('synthesize', planA)).toBe(phaseVoteKey('revise', planB));
    expect(phaseVoteKey('synthesize', planA)).not.toBe(
      phaseVoteKey('synthesize', { ...planA, steps: [step('a', [], ['code'])] }),
    );
    expect(
      phaseVoteKey('deconstruct', {
        problem: 'p',
        constraints: [],
        assumptions: [],
        minimalSolution: 'm',
      }),
    ).toBe('{"assumptions":[],"constraints":[],"minimalSolution":"m","problem":"p"}');
  });
});
