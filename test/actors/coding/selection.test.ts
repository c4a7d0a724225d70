/**
 * The selection engine: each step deciding alone, the gates that never let a red candidate
 * through, ties settled by a judge or a vote, order independence, and the normalized diff that
 * clusters candidates making the same change in different words.
 */
import { describe, expect, it } from 'vitest';
import {
  describeSelection,
  normalizeDiff,
  resolveTie,
  selectCandidate,
} from '../../../actors/coding/selection.js';
import type { CandidateEvidence, CheckOutcome, Selection } from '../../../actors/coding/types.js';

/** A git diff of one file; `body` lines are ' ctx', '-old', '+new' or '\ …', counts computed. */
function gitDiff(file: string, body: string[], blob = '2222222'): string {
  const count = (side: string): number => body.filter((l) => l[0] === ' ' || l[0] === side).length;
  const head = `diff --git a/${file} b/${file}\nindex 1111111..${blob} 100644`;
  const hunk = `@@ -1,${count('-')} +1,${count('+')} @@`;
  return `${head}\n--- a/${file}\n+++ b/${file}\n${hunk}\n${body.join('\n')}\n`;
}

const clean: CheckOutcome = { ok: true, exitCode: 0 };
const dirty: CheckOutcome = { ok: false, exitCode: 1 };
const pass = (passed = 3): CheckOutcome => ({ ...clean, passed, failed: 0 });
const fail = (failed: number, passed: number): CheckOutcome => ({ ...dirty, passed, failed });
const killed: CheckOutcome = { ok: false, exitCode: null, killed: 'timeout' };

/** The fix, the same fix reworded (spaces, a comment), and different fixes. */
const FIX = ['-return a - b;', '+return a + b;'];
const FIX_REWORDED = ['-  return a - b;', '+  return  a+b;  // add, not subtract'];
const FIX_COMMENTED = ['-return a - b;', '+// the sum, not the difference', '+return a + b;'];
const OTHER = ['-return a - b;', '+return b + a;'];
const OTHER_REWORDED = ['-return a - b;', '+return b+a; // commutes'];
const LONGER = ['-return a - b;', '+const s = a + b;', '+return s;'];
const ONE_LINE = ['+export const sum = (a, b) => a + b;'];

type Spec = Pick<CandidateEvidence, 'flagged' | 'lint' | 'typecheck'> & {
  body?: string[];
  /** null: no test ran; by default 3 pass. */
  test?: CheckOutcome | null;
};

/** An applied candidate of src/sum.js, `body` its diff (FIX by default), green by default. */
function cand(id: string, { body = FIX, test, ...rest }: Spec = {}): CandidateEvidence {
  const count = (sign: string): number => body.filter((l) => l[0] === sign).length;
  const stats = { files: 1, added: count('+'), removed: count('-') };
  const apply = { ok: true as const, stats, diff: gitDiff('src/sum.js', body), hash: `sha-${id}` };
  return {
    id,
    source: `agent/coder#${id}`,
    ...rest,
    apply,
    ...(test === null ? {} : { test: test ?? pass() }),
  };
}

const unapplied = (id: string, reason: string, detail: string): CandidateEvidence => ({
  id,
  source: `agent/coder#${id}`,
  apply: { ok: false, reason, detail },
});

const stepsOf = (s: Selection): string[] => s.steps.map((step) => step.step);
/** The steps that dropped someone, with whom and why. */
const dropsOf = (s: Selection): Record<string, { id: string; why: string }[]> =>
  Object.fromEntries(s.steps.filter((x) => x.dropped.length > 0).map((x) => [x.step, x.dropped]));

/** Permutations from a seeded LCG, so a failure names a reproducible order. */
function shuffles<T>(items: readonly T[], count: number, seed = 7): T[][] {
  let state = seed;
  const next = (): number => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, () => {
    const a = [...items];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  });
}

const STEPS = ['flagged', 'apply', 'tests', 'most_passed', 'cluster', 'lint', 'typecheck', 'size'];
/** The steps run when `step` decides: the gates always run. */
const upTo = (step: string): string[] => STEPS.slice(0, Math.max(STEPS.indexOf(step), 2) + 1);

describe('selectCandidate with minAgreement', () => {
  it('should trust a lone green change by default, and not when two must agree', () => {
    const lone = [cand('c1', { body: OTHER }), cand('c2', { test: fail(1, 2) })];
    expect(selectCandidate(lone)).toMatchObject({ outcome: 'selected', chosen: 'c1' });
    const unconfirmed = selectCandidate(lone, { minAgreement: 2 });
    expect(unconfirmed.outcome).toBe('none_pass');
    expect(dropsOf(unconfirmed).agreement).toEqual([
      { id: 'c1', why: 'unconfirmed: no other candidate made this change (2 must agree)' },
    ]);
  });

  it('should keep the change two candidates made, in other words, over a lone one passing more', () => {
    const selection = selectCandidate(
      [
        cand('c1', { body: FIX }),
        cand('c2', { body: LONGER, test: pass(9) }),
        cand('c3', { body: FIX_REWORDED }),
      ],
      { minAgreement: 2 },
    );
    expect(selection).toMatchObject({ outcome: 'selected', chosen: 'c1' });
    expect(stepsOf(selection).slice(0, 4)).toEqual(['flagged', 'apply', 'tests', 'agreement']);
    expect(dropsOf(selection).agreement).toEqual([
      { id: 'c2', why: 'unconfirmed: no other candidate made this change (2 must agree)' },
    ]);
  });

  it('should say how many made a change that fell short', () => {
    const three = [cand('c1'), cand('c2', { body: FIX_REWORDED }), cand('c3', { body: OTHER })];
    const selection = selectCandidate(three, { minAgreement: 3 });
    expect(selection.outcome).toBe('none_pass');
    expect(dropsOf(selection).agreement?.map((d) => d.why)).toEqual([
      'unconfirmed: only 2 made this change (3 must agree)',
      'unconfirmed: only 2 made this change (3 must agree)',
      'unconfirmed: no other candidate made this change (3 must agree)',
    ]);
  });
});

describe('selectCandidate', () => {
  const hunk1 = 'src/a.js hunk 1 does not match line 12';
  // Without the named step c1 would win or tie, so only that step can have dropped it.
  it.each([
    ['flagged', cand('c1', { flagged: true, test: pass(9) }), cand('c2', { body: LONGER })],
    ['apply', unapplied('c1', 'hunk_mismatch', hunk1), cand('c2', { body: LONGER })],
    ['tests', cand('c1', { test: fail(2, 3), body: ONE_LINE }), cand('c2')],
    ['most_passed', cand('c1', { test: pass(3) }), cand('c2', { body: LONGER, test: pass(5) })],
    ['lint', cand('c1', { lint: dirty }), cand('c2', { body: OTHER, lint: clean })],
    ['typecheck', cand('c1', { typecheck: killed }), cand('c2', { body: OTHER, typecheck: clean })],
    ['size', cand('c1', { body: LONGER }), cand('c2', { body: OTHER })],
  ])('the %s step decides alone', (step, loser, winner) => {
    const selection = selectCandidate([loser, winner]);
    expect(selection).toMatchObject({ outcome: 'selected', chosen: 'c2' });
    expect(stepsOf(selection)).toEqual(upTo(step));
    const why = {
      flagged: 'red-flagged: its answer failed the schema',
      apply: `did not apply: hunk_mismatch: ${hunk1}`,
      tests: 'tests failed: 2 failed, 3 passed',
      most_passed: 'fewer tests passed: 3 < 5',
      lint: 'lint failed: exit 1',
      typecheck: 'typecheck: killed (timeout)',
      size: 'a larger diff: 3 lines > 2',
    }[step];
    expect(dropsOf(selection)).toEqual({ [step]: [{ id: 'c1', why }] });
  });

  it.each([
    { test: fail(2, 3), why: 'tests failed: 2 failed, 3 passed' },
    { test: killed, why: 'tests: killed (timeout)' },
    { test: { ok: false, exitCode: 1 }, why: 'tests: exit 1' },
    { test: { ...pass(4), failed: 1 }, why: 'tests failed: 1 failed, 4 passed' },
    { test: null, why: 'tests: not run' },
  ])('drops a red candidate: $why', ({ test, why }) => {
    const selection = selectCandidate([cand('c1', { test, body: ONE_LINE }), cand('c2')]);
    expect(selection).toMatchObject({ outcome: 'selected', chosen: 'c2' });
    expect(dropsOf(selection)).toEqual({ tests: [{ id: 'c1', why }] });
  });

  it('never chooses a red candidate, even the only one that applied', () => {
    const selection = selectCandidate([
      unapplied('c1', 'no_op', ''),
      cand('c2', { test: fail(1, 9) }),
    ]);
    expect(selection).toEqual({ outcome: 'none_pass', steps: expect.any(Array) });
    expect(stepsOf(selection)).toEqual(upTo('tests'));
    expect(selection.steps.at(-1)).toMatchObject({ kept: [], note: 'green: 0 of 1' });
    expect(describeSelection(selection, [])).toEqual([
      'c1 dropped: did not apply: no_op',
      'c2 dropped: tests failed: 1 failed, 9 passed',
      'no candidate passed its tests',
    ]);
  });

  it('without a test command, requireTests (the default) proves nobody: none_pass', () => {
    const candidates = [cand('c1', { test: null }), cand('c2', { test: null, body: OTHER })];
    const selection = selectCandidate(candidates);
    expect(selection.outcome).toBe('none_pass');
    expect(selection.steps.at(-1)).toEqual({
      step: 'tests',
      kept: [],
      dropped: ['c1', 'c2'].map((id) => ({ id, why: 'tests: none ran (no test command)' })),
      note: 'no test command: nothing proves a candidate',
    });
  });

  it('without a test command and requireTests false, the later steps choose, with a warning', () => {
    const candidates = [cand('c1', { test: null, body: LONGER }), cand('c2', { test: null })];
    const selection = selectCandidate(candidates, { requireTests: false });
    expect(selection).toMatchObject({ outcome: 'selected', chosen: 'c2' });
    expect(selection.steps[2]).toMatchObject({
      kept: ['c1', 'c2'],
      note: 'no test command: nothing proves a candidate',
    });
    expect(describeSelection(selection, candidates)).toEqual([
      'no test command: nothing proves a candidate',
      'c1 dropped: a larger diff: 3 lines > 2',
      'c2 chosen: no tests ran, largest cluster (1 of 2), smallest diff (+1 −1)',
    ]);
  });

  it('a candidate passing the visible test but fewer tests loses, even from a larger cluster', () => {
    const selection = selectCandidate([
      cand('c1', { test: pass(1) }),
      cand('c2', { body: FIX_REWORDED, test: pass(1) }),
      cand('c3', { body: OTHER, test: pass(4) }),
    ]);
    expect(selection).toMatchObject({ outcome: 'selected', chosen: 'c3' });
    expect(selection.steps.at(-1)).toMatchObject({ step: 'most_passed', note: 'most passed: 4' });
  });

  it('clusters the same fix written differently, which beats a lone smaller fix', () => {
    const candidates = [
      cand('c1', { body: FIX_COMMENTED }),
      cand('c2', { body: FIX_REWORDED }),
      cand('c3', { body: ONE_LINE }),
    ];
    const selection = selectCandidate(candidates);
    expect(selection).toMatchObject({ outcome: 'selected', chosen: 'c2' });
    expect(selection.steps[4]).toEqual({
      step: 'cluster',
      kept: ['c1', 'c2'],
      dropped: [{ id: 'c3', why: 'a smaller cluster: 1 < 2' }],
      note: 'clusters: 2 (largest 2)',
    });
    expect(describeSelection(selection, candidates)).toEqual([
      'c3 dropped: a smaller cluster: 1 < 2',
      'c1 dropped: a larger diff: 3 lines > 2',
      'c2 chosen: 3 tests passed, largest cluster (2 of 3), smallest diff (+1 −1)',
    ]);
  });

  it.each([
    ['lint', 'lint'],
    ['typecheck', 'typecheck'],
  ] as const)('a %s not run says nothing, and all failing decide nothing', (_, check) => {
    const missing = selectCandidate([cand('c1'), cand('c2', { body: OTHER, [check]: clean })]);
    const failing = selectCandidate([
      cand('c1', { [check]: dirty }),
      cand('c2', { body: OTHER, [check]: dirty }),
    ]);
    for (const selection of [missing, failing]) {
      expect(selection).toMatchObject({ outcome: 'tied', tied: ['c1', 'c2'] });
      expect(selection.steps.find((s) => s.step === check)?.dropped).toEqual([]);
    }
  });

  it('picks the first by natural id among the same change of the same size (c2 before c10)', () => {
    const selection = selectCandidate([cand('c10'), cand('c2', { body: FIX_REWORDED })]);
    expect(selection).toMatchObject({ outcome: 'selected', chosen: 'c2' });
    expect(dropsOf(selection)).toEqual({
      size: [{ id: 'c10', why: 'the same change as c2, which comes first by id' }],
    });
  });

  describe('a real tie between two clusters', () => {
    const candidates = [
      cand('c1'),
      cand('c2', { body: FIX_REWORDED }),
      cand('c3', { body: OTHER }),
      cand('c4', { body: OTHER_REWORDED }),
    ];
    const tied = selectCandidate(candidates);

    it('is tied, one representative per cluster, after every deterministic step', () => {
      expect(tied).toMatchObject({ outcome: 'tied', tied: ['c1', 'c3'] });
      expect(stepsOf(tied)).toEqual(STEPS);
      expect(tied.steps[4]?.note).toBe('clusters: 2 (largest 2)');
      expect(describeSelection(tied, candidates).at(-1)).toBe(
        'tied: c1, c3, different changes equally good',
      );
    });

    it.each(['judge', 'vote'] as const)('is settled by the %s', (by) => {
      const note = 'keeps the argument order';
      const settled = resolveTie(tied, 'c3', by, note);
      expect(settled.chosen).toBe('c3');
      const dropped = [{ id: 'c1', why: `the ${by} chose c3` }];
      expect(settled.steps).toEqual([...tied.steps, { step: by, kept: ['c3'], dropped, note }]);
      const merit = by === 'judge' ? 'chosen by the judge' : 'won the vote';
      expect(describeSelection(settled, candidates).at(-1)).toBe(
        `c3 chosen: 3 tests passed, largest cluster (2 of 4), smallest diff (+1 −1), ${merit} (keeps the argument order)`,
      );
    });

    it('refuses a winner not among the tied, and a selection not tied', () => {
      expect(() => resolveTie(tied, 'c2', 'judge', 'x')).toThrow(
        new TypeError("resolveTie: 'c2' is not among the tied: c1, c3"),
      );
      const settled = resolveTie(tied, 'c1', 'vote', '3 votes to 0');
      expect(() => resolveTie(settled, 'c1', 'vote', 'x')).toThrow(
        new TypeError("resolveTie: the selection is 'selected', not 'tied'"),
      );
    });

    it('gives the same result whatever the order', () => {
      for (const order of shuffles(candidates, 12)) expect(selectCandidate(order)).toEqual(tied);
    });
  });

  it('drops a flagged and a malformed candidate, each with its reason', () => {
    const selection = selectCandidate([
      { ...unapplied('c1', 'malformed', 'not a diff'), flagged: true },
      unapplied('c2', 'malformed', 'no hunk header in the answer'),
      cand('c3'),
    ]);
    expect(selection).toMatchObject({ outcome: 'selected', chosen: 'c3' });
    expect(dropsOf(selection)).toEqual({
      flagged: [{ id: 'c1', why: 'red-flagged: its answer failed the schema' }],
      apply: [{ id: 'c2', why: 'did not apply: malformed: no hunk header in the answer' }],
    });
  });

  it.each([
    ['flagged', cand('c1', { flagged: true }), 'no candidate: every one was red-flagged'],
    ['apply', unapplied('c1', 'no_op', 'nothing changed'), 'no candidate applied'],
  ])('reports the %s gate that left nobody', (step, candidate, last) => {
    const selection = selectCandidate([candidate]);
    expect(selection.outcome).toBe('none_pass');
    expect(selection.steps.at(-1)).toMatchObject({ step, kept: [] });
    expect(describeSelection(selection, [candidate]).at(-1)).toBe(last);
  });

  it('is none_pass on no candidates', () => {
    const selection = selectCandidate([]);
    expect(selection).toEqual({
      outcome: 'none_pass',
      steps: [{ step: 'flagged', kept: [], dropped: [] }],
    });
    expect(describeSelection(selection, [])).toEqual(['no candidate to choose from']);
  });

  it('gives the same result whatever the order of a mixed field', () => {
    const field = [
      cand('c1', { flagged: true, test: pass(9) }),
      unapplied('c2', 'hunk_mismatch', 'src/sum.js hunk 1'),
      cand('c3', { test: fail(1, 8) }),
      cand('c4', { body: ONE_LINE, test: pass(2) }),
      cand('c5', { body: OTHER, lint: dirty }),
      cand('c6', { body: OTHER_REWORDED, lint: clean }),
      cand('c7', { body: FIX_COMMENTED, lint: clean }),
      cand('c8', { body: FIX, lint: clean }),
    ];
    const expected = selectCandidate(field);
    expect(expected).toMatchObject({ outcome: 'tied', tied: ['c6', 'c8'] });
    for (const order of shuffles(field, 20, 42)) expect(selectCandidate(order)).toEqual(expected);
  });

  it('refuses two candidates with the same id', () => {
    const error = new TypeError("selectCandidate: duplicate candidate id: 'c1'");
    expect(() => selectCandidate([cand('c1'), cand('c1')])).toThrow(error);
  });

  it('shortens a long or multi-line reason in the report, not in the step', () => {
    const detail = `${'x'.repeat(200)}\nsecond line`;
    const selection = selectCandidate([unapplied('c1', 'hunk_mismatch', detail), cand('c2')]);
    expect(dropsOf(selection).apply?.[0]?.why).toBe(`did not apply: hunk_mismatch: ${detail}`);
    const line = describeSelection(selection, [cand('c2')])[0]!;
    expect(line).toBe(`c1 dropped: did not apply: hunk_mismatch: ${'x'.repeat(89)}…`);
  });
});

describe('normalizeDiff', () => {
  /** A body (string[]) is of src/a.js; a string is a whole diff. */
  type Diff = string | string[];
  const diffOf = (d: Diff): string => (typeof d === 'string' ? d : gitDiff('src/a.js', d));
  const py = (body: string[]): string => gitDiff('a.py', body);
  const html = (body: string[]): string => gitDiff('a.html', body);
  const binary = (blob: string): string =>
    `diff --git a/x.png b/x.png\nindex 1..${blob} 100644\nBinary files a/x.png and b/x.png differ\n`;
  const XY = ['-x();', '+y();'];
  const plain =
    '--- a/src/a.js\t2024-01-01\n+++ b/src/a.js\t2024-01-02\n@@ -1 +1 @@\n-x();\n+y();\n';
  const rename =
    'diff --git a/o.js b/n.js\nsimilarity index 100%\nrename from o.js\nrename to n.js\n';
  const loose = '--- a/x.js\n+++ b/x.js\n@@\n-a();\n+b();\n';
  const empty = 'diff --git a/e.txt b/e.txt\nnew file mode 100644\nindex 0000000..e69de29\n';
  const markup = gitDiff('README.md', ['+# Usage', '+<!-- todo -->']);
  const css = gitDiff('a.css', ['+* { margin: 0 }', '+/* reset */']);

  it.each<[string, Diff, Diff]>([
    ['whitespace', ['-const x=1;', '+const x = 2;'], ['-  const x = 1;', '+\tconst  x=2 ;']],
    ['comment lines', ['+// a', '+/* b */', '+/**', '+ * c', '+ */', '+x();'], ['+x();']],
    ['a block comment without stars', ['+/*', '+ plain words', '+*/', '+x();'], ['+x();']],
    ['a JSDoc line whose opening is out of view', ['+ * @param a the first', '+x();'], ['+x();']],
    ['a trailing // comment', ["+f('http://x'); // see http://y"], ["+f('http://x');"]],
    ['context lines', [' a();', ...XY], [...XY, ' b();']],
    ['the no-newline marker', ['-x()', '\\ No newline at end of file', '+x();'], ['-x()', '+x();']],
    ['the index line', ['-x();'], gitDiff('src/a.js', ['-x();'], '3333333')],
    ['timestamps, in a plain diff', plain, XY],
    ['CRLF lines', diffOf(XY).replaceAll('\n', '\r\n'), XY],
    ['the order of files', diffOf(['+x();']) + py(['+y()']), py(['+y()']) + diffOf(['+x();'])],
    ['a file with only comments', diffOf(['+x();']) + gitDiff('b.js', ['+// note']), ['+x();']],
    ['# comments in Python', py(['+# note', '+y = 1  ']), py(['+y = 1'])],
    ['<!-- --> in HTML', html(['+<!-- todo -->', '+<p>hi</p>']), html(['+<p>hi</p>'])],
  ])('ignores %s', (_, a, b) => {
    expect(normalizeDiff(diffOf(a))).toBe(normalizeDiff(diffOf(b)));
  });

  it.each<[string, Diff, Diff]>([
    ['// inside a string', ['+const s = "a // b";'], ['+const s = "a";']],
    ['the same lines in other files', ['+x();'], gitDiff('src/b.js', ['+x();'])],
    ['an added line from a removed one', ['+x();'], ['-x();']],
    ['// (floor division) in Python', py(['+y = a // b']), py(['+y = a'])],
    ['binary contents', binary('abc'), binary('def')],
  ])('tells apart %s', (_, a, b) => {
    expect(normalizeDiff(diffOf(a))).not.toBe(normalizeDiff(diffOf(b)));
  });

  it.each<[string, Diff, string]>([
    ['lines under their file', ['-const x = 1;', '+const x = 2; // why'], '-constx=1;\n+constx=2;'],
    ['// inside a string', ['+const u = "a // b"; // why'], '+constu="a//b";'],
    ['a regex it is unsure of, whole', ['+const r = /a\\/\\//; // c'], '+constr=/a\\/\\//;//c'],
    ['a JavaScript private field', ['+#count = 0;'], '+#count=0;'],
    ['code after a closed block comment, as is', ['+/* a */ x();'], '+/*a*/x();'],
    ['a // inside a block comment in the line', ['+x(/* a // b */ 1);'], '+x(/*a//b*/1);'],
    ['nothing in a comment opened in context', [' /*', '-old', '+new', ' */', '+x();'], '+x();'],
  ])('keeps %s', (_, diff, expected) => {
    expect(normalizeDiff(diffOf(diff))).toBe(`file src/a.js\n${expected}`);
  });

  it.each([
    ['a heading and a selector', markup + css, 'file README.md\n+#Usage\nfile a.css\n+*{margin:0}'],
    ['a removed header look-alike', gitDiff('q.sql', ['--- x', '+y']), 'file q.sql\n---x\n+y'],
    ['a rename without changes', rename, 'file n.js\n!rename from o.js\n!rename to n.js'],
    ['a new empty file', empty, 'file e.txt\n!new'],
    ['a shebang', py(['+#!/usr/bin/env python3']), 'file a.py\n+#!/usr/bin/envpython3'],
    ['a hunk with no counts', loose, 'file x.js\n-a();\n+b();'],
  ])('keeps %s', (_, diff, expected) => {
    expect(normalizeDiff(diff)).toBe(expected);
  });
});
