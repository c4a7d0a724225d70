/**
 * Random files and random changes, diffed by jsdiff's `createTwoFilesPatch` (a true diff), then
 * broken the ways models break them — line numbers shifted, counts wrong, no numbers at all, the
 * space of blank context lines stripped, the file CRLF — and planned: the result must be the
 * changed file, byte for byte, every time. Seeded, so a failure replays.
 */
import { createTwoFilesPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { memoryTree } from '../../workspace/fsTree.js';
import { planEdit } from '../../workspace/planEdit.js';
import { DEFAULT_DENY, type PathRules } from '../../workspace/types.js';

const rules: PathRules = { deny: DEFAULT_DENY, allow: [], maxFileBytes: 1 << 20 };

/** mulberry32: a small seeded source, enough for test data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A file of unique lines (or, given a vocabulary, of that many words repeated), some blank, and a
 * copy with a few lines changed.
 */
function pair(rand: () => number, n: number, vocabulary?: number): [string, string] {
  const line = (i: number) =>
    vocabulary
      ? `word ${Math.floor(rand() * vocabulary)}`
      : `line ${i} ${Math.floor(rand() * 1e6)}`;
  const before = Array.from({ length: n }, (_, i) => (rand() < 0.1 ? '' : line(i)));
  const after: string[] = [];
  for (const l of before) {
    const r = rand();
    if (r < 0.04) continue;
    if (r < 0.08) after.push(`${l} changed`);
    else if (r < 0.11) after.push(l, `added ${Math.floor(rand() * 1e6)}`);
    else after.push(l);
  }
  const end = (ls: string[]) => `${ls.join('\n')}${rand() < 0.9 ? '\n' : ''}`;
  return [end(before), end(after)];
}

type Breakage = (patch: string, rand: () => number) => string;

const headers =
  (f: (m: string[]) => string): Breakage =>
  (patch) =>
    patch.replace(/^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/gm, (...m) => f(m as string[]));

const breakages: Record<string, Breakage> = {
  'as written': (p) => p,
  'line numbers shifted by 9': headers(
    (m) => `@@ -${Number(m[1]) + 9},${m[2] ?? 1} +${Number(m[3]) + 9},${m[4] ?? 1} @@`,
  ),
  'counts wrong': headers((m) => `@@ -${m[1]},${Number(m[2] ?? 1) + 3} +${m[3]} @@`),
  'no numbers (@@ ... @@)': headers(() => '@@ ... @@'),
  'a bare @@': headers(() => '@@'),
  'blank context without its space': (p) => p.replace(/^ $/gm, ''),
};

describe('planEdit on true diffs broken as models break them', () => {
  for (const [name, breakDiff] of Object.entries(breakages)) {
    for (const crlf of [false, true]) {
      it(`should give the changed file, byte for byte: ${name}${crlf ? ', CRLF file' : ''}`, () => {
        const rand = random(name.length * 7919 + (crlf ? 1 : 0));
        let planned = 0;
        for (let i = 0; i < 60; i++) {
          const [before, after] = pair(rand, 20 + Math.floor(rand() * 200));
          if (before === after) continue;
          const patch = breakDiff(createTwoFilesPatch('a/f.txt', 'b/f.txt', before, after), rand);
          const eol = (s: string) => (crlf ? s.replaceAll('\n', '\r\n') : s);
          const r = planEdit(
            { format: 'unified_diff', patch },
            memoryTree({ 'f.txt': eol(before) }),
            rules,
          );
          if (!r.ok) {
            // Without line numbers, a hunk of blank lines alone cannot be placed: that is refused.
            if (
              name.includes('@@') &&
              r.reason === 'hunk_failed' &&
              /no line numbers/.test(r.message)
            )
              continue;
            throw new Error(`case ${i}: ${r.reason}: ${r.message}\n${patch}`);
          }
          expect(r.changes[0]!.after!.toString(), `case ${i}\n${patch}`).toBe(eol(after));
          planned++;
        }
        expect(planned).toBeGreaterThan(40);
      });
    }
  }

  it('should give the changed file when its lines repeat (a few words), the numbers right', () => {
    const rand = random(42);
    for (let i = 0; i < 100; i++) {
      const [before, after] = pair(rand, 20 + Math.floor(rand() * 200), 4);
      if (before === after) continue;
      const patch = createTwoFilesPatch('a/f.txt', 'b/f.txt', before, after);
      const r = planEdit({ format: 'unified_diff', patch }, memoryTree({ 'f.txt': before }), rules);
      if (!r.ok) throw new Error(`case ${i}: ${r.reason}: ${r.message}\n${patch}`);
      expect(r.changes[0]!.after!.toString(), `case ${i}`).toBe(after);
      expect(r.fallbacks, `case ${i}`).toEqual([]);
    }
  });
});
