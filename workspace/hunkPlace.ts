/**
 * Where each hunk of a file's diff goes. A hunk is placed on its own against the file as it was:
 * where its old lines (context and deleted) are, exactly, nearest the line its header names
 * (after the shift of the hunk before, as a model off by some lines is off for all); failing that,
 * by jsdiff's `applyPatch` with `fuzzFactor` 1 then 2, which still needs every deleted line, and
 * the context next to an insertion, to match. A hunk without line numbers is placed by its lines
 * alone, and must be unambiguous. Then the placements are ordered by position and any two that
 * touch each other's changes are refused: jsdiff, given such hunks, writes lines twice.
 */
import { applyPatch, type StructuredPatch } from 'diff';
import type { DiffHunk } from './diffParse.js';
import { quoteLine } from './text.js';

export interface Placement {
  hunk: DiffHunk;
  /** The old lines the hunk covers, context included: [start, end). */
  start: number;
  end: number;
  /** The old lines it changes, [from, to), and what takes their place. */
  from: number;
  to: number;
  replacement: string[];
  how: 'exact' | 'offset' | 'fuzz1' | 'fuzz2';
  /** Other places its lines match exactly, when it was placed by nearness. */
  others: number;
}

export type Placed =
  | { ok: true; placement: Placement }
  | { ok: false; reason: 'hunk_failed'; message: string };

interface Sides {
  old: string[];
  neu: string[];
  lead: number;
  trail: number;
}

export function sides(h: DiffHunk): Sides {
  const old: string[] = [];
  const neu: string[] = [];
  for (const l of h.lines) {
    if (l[0] !== '+') old.push(l.slice(1));
    if (l[0] !== '-') neu.push(l.slice(1));
  }
  let lead = 0;
  while (h.lines[lead]?.[0] === ' ') lead++;
  let trail = 0;
  while (trail < h.lines.length - lead && h.lines[h.lines.length - 1 - trail]![0] === ' ') trail++;
  return { old, neu, lead, trail };
}

function exactMatches(lines: string[], old: string[]): number[] {
  const out: number[] = [];
  const first = old[0]!;
  for (let p = 0; p + old.length <= lines.length; p++) {
    if (lines[p] !== first) continue;
    let k = 1;
    while (k < old.length && lines[p + k] === old[k]) k++;
    if (k === old.length) out.push(p);
  }
  return out;
}

/**
 * Places one hunk (its `\` lines already dealt with) in `lines`. `target` is where its header
 * puts it, shifted as the hunk before was; `after` is where the change of the hunk before ended
 * (the next hunk may start in its trailing context).
 */
export function placeHunk(
  lines: string[],
  h: DiffHunk,
  target: number | undefined,
  after: number,
  path: string,
): Placed {
  const s = sides(h);
  const name = `hunk ${h.number} of '${path}'`;
  const exact = (p: number, how: Placement['how'], others: number): Placed => ({
    ok: true,
    placement: {
      hunk: h,
      start: p,
      end: p + s.old.length,
      from: p + s.lead,
      to: p + s.old.length - s.trail,
      replacement: s.neu.slice(s.lead, s.neu.length - s.trail),
      how,
      others,
    },
  });
  const last = lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
  if (s.old.length === 0) {
    if (target === undefined) {
      return fail(`${name} has no line numbers and no context or deleted lines to place it by`);
    }
    const at = Math.min(target, last);
    return exact(at, at === h.hint ? 'exact' : 'offset', 0);
  }
  const found = exactMatches(lines, s.old);
  if (found.length > 0) {
    if (target === undefined) {
      const later = found.filter((p) => p >= after);
      const pick = later.length === 1 ? later : found.length === 1 ? found : undefined;
      if (!pick) {
        const at = (later.length > 1 ? later : found).map((p) => p + 1);
        return fail(
          `${name} has no line numbers and its lines are at lines ${list(at)}: give its line numbers or more context`,
        );
      }
      return exact(pick[0]!, 'exact', 0);
    }
    let best = found[0]!;
    for (const p of found) if (Math.abs(p - target) < Math.abs(best - target)) best = p;
    return exact(best, best === h.hint ? 'exact' : 'offset', found.length - 1);
  }
  for (const fuzz of [1, 2] as const) {
    const p = fuzzed(lines, h, s, target ?? after, fuzz);
    if (p) return { ok: true, placement: p };
  }
  return fail(diagnose(lines, h, s, name));
}

function fuzzed(
  lines: string[],
  h: DiffHunk,
  s: Sides,
  target: number,
  fuzz: 1 | 2,
): Placement | undefined {
  const patch: StructuredPatch = {
    oldFileName: 'a',
    newFileName: 'b',
    oldHeader: '',
    newHeader: '',
    hunks: [
      {
        oldStart: target + 1,
        oldLines: s.old.length,
        newStart: target + 1,
        newLines: s.neu.length,
        lines: h.lines,
      },
    ],
  };
  const r = applyPatch(lines.join('\n'), patch, {
    fuzzFactor: fuzz,
    autoConvertLineEndings: false,
  });
  if (r === false) return undefined;
  const out = r.split('\n');
  const max = Math.min(lines.length, out.length);
  let p = 0;
  while (p < max && lines[p] === out[p]) p++;
  let q = 0;
  while (q < max - p && lines[lines.length - 1 - q] === out[out.length - 1 - q]) q++;
  const to = lines.length - q;
  return {
    hunk: h,
    start: Math.max(0, p - s.lead),
    end: Math.min(lines.length, to + s.trail),
    from: p,
    to,
    replacement: out.slice(p, out.length - q),
    how: fuzz === 1 ? 'fuzz1' : 'fuzz2',
    others: 0,
  };
}

/** Why a hunk fits nowhere: a deleted line that is not in the file, or where it comes closest. */
function diagnose(lines: string[], h: DiffHunk, s: Sides, name: string): string {
  const have = new Set(lines);
  const gone = h.lines.find((l) => l[0] === '-' && !have.has(l.slice(1)));
  if (gone !== undefined) {
    return `${name} does not apply: the line it deletes, ${quoteLine(gone.slice(1))}, is not in the file`;
  }
  let best = { p: 0, n: -1, miss: 0 };
  for (let p = 0; p < lines.length; p++) {
    let n = 0;
    let miss = -1;
    for (let k = 0; k < s.old.length; k++) {
      if (lines[p + k] === s.old[k]) n++;
      else if (miss < 0) miss = k;
    }
    if (n > best.n) best = { p, n, miss: Math.max(miss, 0) };
  }
  const at = best.p + best.miss;
  const file = lines[at] === undefined ? 'ends' : `has ${quoteLine(lines[at]!)}`;
  return `${name} does not apply, even with fuzz 2: its lines are not in the file; nearest at line ${best.p + 1}, where line ${at + 1} of the file ${file} and the hunk ${quoteLine(s.old[best.miss]!)}`;
}

/** The placements in file order, or the first two that touch each other's changes. */
export function orderPlacements(
  placements: Placement[],
  path: string,
):
  | { ok: true; ordered: Placement[] }
  | { ok: false; reason: 'hunk_overlap'; hunk: number; message: string } {
  const ordered = [...placements].sort((a, b) => a.from - b.from || a.hunk.number - b.hunk.number);
  for (let i = 1; i < ordered.length; i++) {
    const a = ordered[i - 1]!;
    const b = ordered[i]!;
    if (b.from < a.to || b.start < a.to || a.end > b.from) {
      const [x, y] = a.hunk.number < b.hunk.number ? [a, b] : [b, a];
      return {
        ok: false,
        reason: 'hunk_overlap',
        hunk: y.hunk.number,
        message: `hunks ${x.hunk.number} and ${y.hunk.number} of '${path}' overlap (lines ${span(x)} and ${span(y)}): one touches lines the other changes`,
      };
    }
  }
  return { ok: true, ordered };
}

/** The file's lines with each placement's change spliced in (placements ordered, apart). */
export function splice(lines: string[], ordered: Placement[]): string[] {
  const out: string[] = [];
  let cur = 0;
  for (const p of ordered) {
    for (let i = cur; i < p.from; i++) out.push(lines[i]!);
    for (const l of p.replacement) out.push(l);
    cur = p.to;
  }
  for (let i = cur; i < lines.length; i++) out.push(lines[i]!);
  return out;
}

const span = (p: Placement) => `${p.start + 1}-${Math.max(p.start + 1, p.end)}`;

const list = (ns: number[]) =>
  ns.length > 5 ? `${ns.slice(0, 5).join(', ')} and ${ns.length - 5} more` : ns.join(', ');

const fail = (message: string): Placed => ({ ok: false, reason: 'hunk_failed', message });
