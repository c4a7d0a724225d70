/**
 * Lines in and out, counted by a line diff (jsdiff's `diffArrays`, Myers): the check that a
 * diff's result is what its hunks say, and an edit's stats. The check does not trust the applier:
 * between the file before and after, every line removed must be one a hunk deletes, every line
 * added one a hunk adds, and what the hunks delete and add beyond that must be the same lines
 * (a line deleted and added back). A line written twice, or lost, fails it.
 */
import { diffArrays } from 'diff';
import { decodeText, splitLines } from './text.js';

/** Past this many lines in and out, a file's stats count it whole instead of diffing it. */
const STATS_MAX_EDIT = 2000;

export interface LineDelta {
  added: string[];
  removed: string[];
}

/** The lines a minimal diff adds and removes, or undefined past `maxEdit` of them. */
export function lineDelta(
  before: string[],
  after: string[],
  maxEdit: number,
): LineDelta | undefined {
  const changes = diffArrays(before, after, { maxEditLength: maxEdit });
  if (!changes) return undefined;
  const out: LineDelta = { added: [], removed: [] };
  for (const c of changes) {
    const into = c.added ? out.added : c.removed ? out.removed : undefined;
    if (into) for (const line of c.value) into.push(line);
  }
  return out;
}

/** Why `after` is not `before` with exactly `deleted` removed and `added` added; undefined: it is. */
export function checkLines(
  before: string[],
  after: string[],
  deleted: string[],
  added: string[],
): string | undefined {
  const d = lineDelta(before, after, deleted.length + added.length);
  if (!d) return 'the result changes more lines than the hunks do';
  const del = counts(deleted);
  const add = counts(added);
  for (const line of d.removed) {
    if (!take(del, line)) return `line '${line}' would go, though no hunk deletes it`;
  }
  for (const line of d.added) {
    if (!take(add, line)) return `line '${line}' would be written, though no hunk adds it`;
  }
  // What remains was deleted and added back: the same lines on both sides.
  for (const [line, n] of del) {
    if ((add.get(line) ?? 0) !== n) return `line '${line}' is deleted but not where the hunks say`;
    add.delete(line);
  }
  for (const [line, n] of add) {
    if (n > 0) return `line '${line}' is added but not where the hunks say`;
  }
  return undefined;
}

function counts(lines: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
  return m;
}

function take(m: Map<string, number>, line: string): boolean {
  const n = m.get(line) ?? 0;
  if (n === 0) return false;
  if (n === 1) m.delete(line);
  else m.set(line, n - 1);
  return true;
}

/** Lines added and removed between two versions of a file (0 for bytes that are not text). */
export function lineStats(
  before: Buffer | null,
  after: Buffer | null,
): { added: number; removed: number } {
  const lines = (b: Buffer | null) => {
    if (b === null) return [];
    const t = decodeText(b);
    return t ? splitLines(t.text).lines : undefined;
  };
  const a = lines(before);
  const b = lines(after);
  if (!a || !b) return { added: 0, removed: 0 };
  const d = lineDelta(a, b, STATS_MAX_EDIT);
  return d
    ? { added: d.added.length, removed: d.removed.length }
    : { added: b.length, removed: a.length };
}
