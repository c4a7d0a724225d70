/**
 * Unified diffs past the corpus: what git writes (prefixes, -U0, no newline at end of file,
 * several files, copies), what models wrap them in (prose, fences), and the traps of jsdiff 9 that
 * the planner must not fall into (hunks out of order or overlapping written twice).
 */
import { applyPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { memoryTree } from '../../workspace/fsTree.js';
import { planEdit } from '../../workspace/planEdit.js';
import { DEFAULT_DENY, type EditResult, type PathRules } from '../../workspace/types.js';

const rules: PathRules = { deny: DEFAULT_DENY, allow: [], maxFileBytes: 1 << 20 };
const LINES = `${Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n')}\n`;
const tree = memoryTree({ 'a.txt': LINES, 'b.txt': 'one\ntwo', 'bin.dat': Buffer.from([1, 0, 2]) });

const plan = (patch: string, t = tree, r = rules) =>
  planEdit({ format: 'unified_diff', patch }, t, r);
const afterOf = (r: EditResult, path: string) => {
  if (!r.ok) throw new Error(`${r.reason}: ${r.message}`);
  return r.changes.find((c) => c.path === path)?.after?.toString();
};

describe('unified diff', () => {
  it('should apply zero-context hunks (git diff -U0), an insertion after its line', () => {
    const r = plan(
      '--- a/a.txt\n+++ b/a.txt\n@@ -3 +3 @@\n-line 3\n+LINE 3\n@@ -10,0 +11 @@\n+inserted\n',
    );
    expect(afterOf(r, 'a.txt')).toBe(
      LINES.replace('line 3\n', 'LINE 3\n').replace('line 10\n', 'line 10\ninserted\n'),
    );
    expect(r.ok && r.fallbacks).toEqual([]);
  });

  it('should keep a missing newline at the end of the file, and add or remove one when the diff says', () => {
    expect(
      afterOf(plan('--- a/b.txt\n+++ b/b.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+TWO\n'), 'b.txt'),
    ).toBe('one\nTWO');
    const add =
      '--- a/b.txt\n+++ b/b.txt\n@@ -1,2 +1,2 @@\n one\n-two\n\\ No newline at end of file\n+two\n';
    expect(afterOf(plan(add), 'b.txt')).toBe('one\ntwo\n');
    const drop =
      '--- a/a.txt\n+++ b/a.txt\n@@ -30 +30 @@\n-line 30\n+line 30\n\\ No newline at end of file\n';
    expect(afterOf(plan(drop), 'a.txt')).toBe(LINES.slice(0, -1));
  });

  it('should read a diff wrapped in prose and a fence, over two files', () => {
    const patch = [
      'Here is the fix:',
      '```diff',
      'diff --git a/a.txt b/a.txt',
      'index 83db48f..bf269f4 100644',
      '--- a/a.txt',
      '+++ b/a.txt',
      '@@ -1,2 +1,2 @@',
      '-line 1',
      '+LINE 1',
      ' line 2',
      'diff --git a/b.txt b/b.txt',
      '--- a/b.txt',
      '+++ b/b.txt',
      '@@ -1 +1 @@',
      '-one',
      '+ONE',
      '```',
      'This renames nothing.',
    ].join('\n');
    const r = plan(patch);
    expect(afterOf(r, 'a.txt')).toBe(LINES.replace('line 1\n', 'LINE 1\n'));
    expect(afterOf(r, 'b.txt')).toBe('ONE\ntwo');
    expect(r.ok && r.stats).toEqual({ files: 2, added: 2, removed: 2 });
  });

  it('should take CRLF in the diff itself as LF', () => {
    const r = plan('--- a/a.txt\r\n+++ b/a.txt\r\n@@ -1 +1 @@\r\n-line 1\r\n+LINE 1\r\n');
    expect(afterOf(r, 'a.txt')).toBe(LINES.replace('line 1\n', 'LINE 1\n'));
  });

  it('should apply a second section for the same file on top of the first', () => {
    const one = '--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-line 1\n+LINE 1\n';
    const two = '--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-LINE 1\n+Line 1\n';
    const r = plan(one + two);
    expect(afterOf(r, 'a.txt')).toBe(LINES.replace('line 1\n', 'Line 1\n'));
    expect(r.ok && r.changes[0]!.before!.toString()).toBe(LINES);
  });

  it('should copy a file (git copy from / copy to), leaving the source', () => {
    const r = plan(
      'diff --git a/a.txt b/c.txt\nsimilarity index 100%\ncopy from a.txt\ncopy to c.txt\n',
    );
    expect(r.ok && r.changes.map((c) => [c.path, c.before, c.after?.toString()])).toEqual([
      ['c.txt', null, LINES],
    ]);
  });

  it('should refuse a headerless hunk whose lines are in the file twice', () => {
    const t = memoryTree({ 'd.txt': 'x\ny\nx\ny\n' });
    const r = plan('--- a/d.txt\n+++ b/d.txt\n@@ ... @@\n x\n-y\n+Y\n', t);
    expect(r).toMatchObject({ ok: false, reason: 'hunk_failed', path: 'd.txt', hunk: 1 });
    expect(!r.ok && r.message).toMatch(/no line numbers and its lines are at lines 1, 3/);
  });

  it('should place the next headerless hunk after the one before', () => {
    const t = memoryTree({ 'd.txt': 'x\ny\nz\nx\ny\n' });
    const r = plan('--- a/d.txt\n+++ b/d.txt\n@@\n-z\n+Z\n x\n@@\n x\n-y\n+Y\n', t);
    expect(afterOf(r, 'd.txt')).toBe('x\ny\nZ\nx\nY\n');
  });

  it('should keep the shift of a hunk off by some lines for the hunks after it', () => {
    const patch =
      '--- a/a.txt\n+++ b/a.txt\n@@ -12,3 +12,3 @@\n line 2\n-line 3\n+LINE 3\n line 4\n@@ -25,3 +25,3 @@\n line 15\n-line 16\n+LINE 16\n line 17\n';
    const r = plan(patch);
    expect(afterOf(r, 'a.txt')).toBe(
      LINES.replace('line 3\n', 'LINE 3\n').replace('line 16\n', 'LINE 16\n'),
    );
    expect(r.ok && r.fallbacks.map((f) => [f.hunk, f.how])).toEqual([
      [1, 'offset'],
      [2, 'offset'],
    ]);
  });

  it('should not write lines twice where jsdiff does (hunks out of order, overlapping)', () => {
    const outOfOrder =
      '--- a/a.txt\n+++ b/a.txt\n@@ -15,3 +15,3 @@\n line 15\n-line 16\n+LINE 16\n line 17\n@@ -2,3 +2,3 @@\n line 2\n-line 3\n+LINE 3\n line 4\n';
    // The trap, as jsdiff 9.0.0 has it: lines 2 to 15 written twice.
    const raw = applyPatch(LINES, outOfOrder);
    expect(raw === false ? 0 : raw.split('\n').length).toBeGreaterThan(31);
    expect(afterOf(plan(outOfOrder), 'a.txt')).toBe(
      LINES.replace('line 3\n', 'LINE 3\n').replace('line 16\n', 'LINE 16\n'),
    );
    const overlap =
      '--- a/a.txt\n+++ b/a.txt\n@@ -2,3 +2,3 @@\n line 2\n-line 3\n+LINE 3\n line 4\n@@ -2,3 +2,3 @@\n line 2\n-line 3\n+Line 3\n line 4\n';
    expect(plan(overlap)).toMatchObject({ ok: false, reason: 'hunk_overlap', hunk: 2 });
  });

  it('should let a hunk start in the trailing context of the one before', () => {
    const patch =
      '--- a/a.txt\n+++ b/a.txt\n@@ -2,4 +2,4 @@\n line 2\n-line 3\n+LINE 3\n line 4\n line 5\n@@ -5,3 +5,3 @@\n line 5\n-line 6\n+LINE 6\n line 7\n';
    // Hunk 1's trailing context ends at line 5, where hunk 2's context starts: shared, unchanged.
    expect(afterOf(plan(patch), 'a.txt')).toBe(
      LINES.replace('line 3\n', 'LINE 3\n').replace('line 6\n', 'LINE 6\n'),
    );
  });

  it('should refuse a hunk whose context covers a line another hunk deletes', () => {
    const patch =
      '--- a/a.txt\n+++ b/a.txt\n@@ -2,3 +2,3 @@\n line 2\n-line 3\n+LINE 3\n line 4\n@@ -4,3 +4,3 @@\n line 4\n-line 5\n+LINE 5\n line 6\n@@ -5,2 +5,2 @@\n line 5\n-line 6\n+LINE 6\n';
    expect(plan(patch)).toMatchObject({ ok: false, reason: 'hunk_overlap', hunk: 3 });
  });

  it('should refuse to diff a file that is not text, and a diff that is not one', () => {
    expect(plan('--- a/bin.dat\n+++ b/bin.dat\n@@ -1 +1 @@\n-x\n+y\n')).toMatchObject({
      ok: false,
      reason: 'path_refused',
      rule: 'not_text',
      path: 'bin.dat',
    });
    expect(plan('just prose, no diff')).toMatchObject({ ok: false, reason: 'parse' });
    expect(plan('@@ -1 +1 @@\n-line 1\n+x\n')).toMatchObject({
      ok: false,
      reason: 'parse',
      message: 'a hunk without a file header (--- a/path, +++ b/path)',
    });
  });

  it('should fail a change to a file that is not there, and a rename onto one that is', () => {
    expect(plan('--- a/z.txt\n+++ b/z.txt\n@@ -1 +1 @@\n-x\n+y\n')).toMatchObject({
      ok: false,
      reason: 'file_missing',
      path: 'z.txt',
    });
    expect(plan('diff --git a/a.txt b/b.txt\nrename from a.txt\nrename to b.txt\n')).toMatchObject({
      ok: false,
      reason: 'file_exists',
      path: 'b.txt',
    });
  });

  it('should fail creating a file where a file is a parent directory, or a directory is', () => {
    const t = memoryTree({ 'a.txt': 'x\n', 'dir/in.txt': 'y\n' });
    expect(plan('--- /dev/null\n+++ b/a.txt/b.txt\n@@ -0,0 +1 @@\n+z\n', t)).toMatchObject({
      ok: false,
      reason: 'file_exists',
      path: 'a.txt/b.txt',
    });
    expect(plan('--- /dev/null\n+++ b/dir\n@@ -0,0 +1 @@\n+z\n', t)).toMatchObject({
      ok: false,
      reason: 'file_exists',
      path: 'dir',
    });
  });

  it('should refuse a file over the size cap, before and after', () => {
    const small = { ...rules, maxFileBytes: 200 };
    expect(plan('--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-line 1\n+x\n', tree, small)).toMatchObject(
      {
        ok: false,
        reason: 'too_large',
        path: 'a.txt',
      },
    );
    const grow = `--- /dev/null\n+++ b/big.txt\n@@ -0,0 +1 @@\n+${'x'.repeat(300)}\n`;
    expect(plan(grow, tree, small)).toMatchObject({
      ok: false,
      reason: 'too_large',
      path: 'big.txt',
    });
  });

  it('should hash the edit text: the same diff, the same hash', () => {
    const patch = '--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-line 1\n+LINE 1\n';
    const a = plan(patch);
    expect(a.hash).toBe(plan(patch).hash);
    expect(a.hash).not.toBe(plan(`${patch}\n`).hash);
  });
});
