/**
 * A unified diff planned onto the overlay, file section by file section: a new file
 * (`--- /dev/null`), a deleted one (`+++ /dev/null`, whose hunks must delete all of it), a rename
 * or copy (git's headers, or two different paths) with or without hunks, or a change. A change's
 * hunks are placed one by one (hunkPlace.ts), ordered, refused when they overlap, spliced in, and
 * the result is checked against the hunks (lineCheck.ts). A CRLF file is matched without its CRs
 * and written with them. Every fallback taken is named.
 */
import { parseUnifiedDiff, type DiffHunk, type FilePatch } from './diffParse.js';
import { orderPlacements, placeHunk, splice, type Placement } from './hunkPlace.js';
import { checkLines } from './lineCheck.js';
import type { EditOverlay, Refusal } from './overlay.js';
import { refusePath } from './paths.js';
import { decodeText, encodeText, lf } from './text.js';
import type { EditFallback } from './types.js';

export type Planned = { ok: true; fallbacks: EditFallback[] } | Refusal;

export function planUnifiedDiff(patch: string, ov: EditOverlay): Planned {
  const parsed = parseUnifiedDiff(lf(patch));
  if (!parsed.ok) return parsed;
  const fallbacks: EditFallback[] = [];
  for (const file of parsed.files) {
    const r = planFile(file, ov);
    if (!r.ok) return r;
    fallbacks.push(...r.fallbacks);
  }
  return { ok: true, fallbacks };
}

function planFile(file: FilePatch, ov: EditOverlay): Planned {
  if (file.kind === 'create') return planCreate(file, file.newPath!, ov);
  const src = ov.open(file.oldPath!);
  if (!src.ok) return src;
  const dst = file.newPath === null ? src : ov.open(file.newPath);
  if (!dst.ok) return dst;
  const before = ov.read(src.path);
  if (!before.ok) return before;
  if (before.bytes === null) {
    return missing(
      src.path,
      file.kind === 'modify' ? " (a new file's diff has '--- /dev/null')" : '',
    );
  }
  const moving = file.kind !== 'modify' && file.kind !== 'delete' && dst.path !== src.path;
  if (moving) {
    const there = ov.read(dst.path);
    if (!there.ok) return there;
    if (there.bytes !== null || ov.blocked(dst.path)) {
      return exists(dst.path, `the diff ${file.kind}s '${src.path}' onto it`);
    }
  }
  let after = before.bytes;
  const fallbacks: EditFallback[] = [];
  if (file.hunks.length > 0) {
    const text = decodeText(before.bytes);
    if (!text) {
      return refusePath(
        src.path,
        'not_text',
        `path refused (not_text): '${src.path}' is not UTF-8 text; a diff cannot change it`,
      );
    }
    const r = applyHunks(text.text, file.hunks, src.path);
    if (!r.ok) return r;
    if (file.kind === 'delete' && r.text !== '') {
      return {
        ok: false,
        reason: 'hunk_failed',
        path: src.path,
        message: `the diff deletes '${src.path}' but its hunks do not hold all of the file: ${r.text.split('\n').length} lines would remain`,
      };
    }
    if (text.eol === '\r\n') {
      fallbacks.push({
        path: src.path,
        how: 'crlf',
        detail: 'the file has CRLF line endings: matched without them, written with them',
      });
    }
    fallbacks.push(...r.fallbacks);
    after = encodeText(r.text, text.eol);
  }
  const write = (path: string, bytes: Buffer | null, from?: string) => ov.write(path, bytes, from);
  const failed =
    file.kind === 'delete'
      ? write(src.path, null)
      : !moving
        ? write(src.path, after)
        : file.kind === 'copy'
          ? write(dst.path, after)
          : (write(src.path, null) ?? write(dst.path, after, src.path));
  return failed ?? { ok: true, fallbacks };
}

function planCreate(file: FilePatch, raw: string, ov: EditOverlay): Planned {
  const dst = ov.open(raw);
  if (!dst.ok) return dst;
  const there = ov.read(dst.path);
  if (!there.ok) return there;
  if (there.bytes !== null || ov.blocked(dst.path)) {
    return exists(dst.path, "the diff creates it ('--- /dev/null')");
  }
  const lines: string[] = [];
  let finalNewline = true;
  for (const h of file.hunks) {
    for (const l of h.lines) {
      if (l[0] === '+') lines.push(l.slice(1));
      else if (l[0] === '\\') finalNewline = false;
      else {
        return {
          ok: false,
          reason: 'hunk_failed',
          path: dst.path,
          hunk: h.number,
          message: `hunk ${h.number} of new file '${dst.path}' has a context or deleted line: a new file's lines all start with '+'`,
        };
      }
    }
  }
  const text = lines.length === 0 ? '' : lines.join('\n') + (finalNewline ? '\n' : '');
  return ov.write(dst.path, Buffer.from(text)) ?? { ok: true, fallbacks: [] };
}

type Applied = { ok: true; text: string; fallbacks: EditFallback[] } | Refusal;

/** A file's hunks applied to its LF text, all or none. */
export function applyHunks(text: string, hunks: DiffHunk[], path: string): Applied {
  const idle = hunks.find((h) => !h.lines.some((l) => l[0] === '+' || l[0] === '-'));
  if (idle) {
    return {
      ok: false,
      reason: 'no_op',
      path,
      hunk: idle.number,
      message: `hunk ${idle.number} of '${path}' changes nothing: it has no '+' or '-' line (a '+' forgotten?)`,
    };
  }
  const lines = text.split('\n');
  const fallbacks: EditFallback[] = [];
  const eof = endOfFile(lines, hunks);
  if (eof) fallbacks.push({ path, how: 'whitespace', detail: eof });
  const plain = hunks.map((h) => ({ ...h, lines: h.lines.filter((l) => l[0] !== '\\') }));
  const placements: Placement[] = [];
  let shift = 0;
  let after = 0;
  for (const h of plain) {
    const placed = placeHunk(
      lines,
      h,
      h.hint === undefined ? undefined : h.hint + shift,
      after,
      path,
    );
    if (!placed.ok) return { ...placed, path, hunk: h.number };
    const p = placed.placement;
    if (h.hint !== undefined && (p.how === 'exact' || p.how === 'offset')) shift = p.start - h.hint;
    after = p.to;
    placements.push(p);
    fallbacks.push(...named(p, path));
  }
  const order = orderPlacements(placements, path);
  if (!order.ok) return { ...order, path };
  const out = splice(lines, order.ordered);
  const deleted = plain.flatMap((h) => h.lines.filter((l) => l[0] === '-').map((l) => l.slice(1)));
  const added = plain.flatMap((h) => h.lines.filter((l) => l[0] === '+').map((l) => l.slice(1)));
  const wrong = checkLines(lines, out, deleted, added);
  if (wrong) {
    return { ok: false, reason: 'hunk_failed', path, message: `'${path}': ${wrong}` };
  }
  return { ok: true, text: out.join('\n'), fallbacks };
}

/** The fallbacks a hunk's placement took, its parse notes first. */
function named(p: Placement, path: string): EditFallback[] {
  const hunk = p.hunk.number;
  const fuzzy = p.how === 'fuzz1' || p.how === 'fuzz2';
  // A fuzzed hunk's first line is a guess (a context line may be missing); its change is not.
  const where = fuzzy ? `its change at line ${p.from + 1}` : `at line ${p.start + 1}`;
  const out: EditFallback[] = p.hunk.notes.map((n) => ({
    path,
    hunk,
    how: n.how,
    detail: n.how === 'headerless' ? `${n.detail}, ${where}` : n.detail,
  }));
  const others = p.others > 0 ? ` (its lines match at ${p.others} other places)` : '';
  if (p.how === 'offset') {
    out.push({
      path,
      hunk,
      how: 'offset',
      detail: `at line ${p.start + 1}, not ${p.hunk.hint! + 1} as its header says${others}`,
    });
  } else if (p.how === 'fuzz1' || p.how === 'fuzz2') {
    out.push({
      path,
      hunk,
      how: p.how,
      detail: `${where}, with ${p.how === 'fuzz1' ? 'one context line' : 'two context lines'} not matching`,
    });
  }
  return out;
}

/**
 * A `\ No newline at end of file` line, as jsdiff reads it: after a `+` line the new file does
 * not end in a newline, after a `-` line the old one did not. Done on `lines` (split on `\n`,
 * so a final newline leaves a last empty string); returns a note when there was nothing to do.
 */
function endOfFile(lines: string[], hunks: DiffHunk[]): string | undefined {
  let remove = false;
  let add = false;
  for (const h of hunks) {
    h.lines.forEach((l, i) => {
      if (l[0] !== '\\' || i === 0) return;
      if (h.lines[i - 1]![0] === '+') remove = true;
      if (h.lines[i - 1]![0] === '-') add = true;
    });
  }
  if (remove === add) return undefined;
  const endsInNewline = lines[lines.length - 1] === '';
  if (remove && endsInNewline) lines.pop();
  else if (add && !endsInNewline) lines.push('');
  else return 'the newline at the end of the file is already as the diff wants it';
  return undefined;
}

const missing = (path: string, hint: string): Refusal => ({
  ok: false,
  reason: 'file_missing',
  path,
  message: `'${path}' does not exist: the diff changes it${hint}`,
});

const exists = (path: string, why: string): Refusal => ({
  ok: false,
  reason: 'file_exists',
  path,
  message: `'${path}' already exists: ${why}`,
});
