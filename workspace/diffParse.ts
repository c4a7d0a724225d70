/**
 * Reading a unified diff as models write it. jsdiff's `parsePatch` refuses a hunk whose header
 * counts are wrong and does not see a bare `@@` as a header, and models write both; so the text
 * is first read hunk by hunk here: each body is taken up to the next header or the first line
 * that cannot be in a hunk, a blank line is read as blank context (the leading space stripped by
 * an editor or a chat window), trailing blank lines are dropped, and the header is rewritten with
 * the counts the body has. A header with no numbers (`@@ ... @@`, `@@`) marks a hunk to place by
 * its lines. Then `parsePatch` reads the rewritten text: file names, `/dev/null`, git's `rename
 * from`/`rename to`, quoting. Each change to the text is noted, to be named in the plan.
 */
import { parsePatch, type StructuredPatch } from 'diff';
import type { Refusal } from './overlay.js';
import type { EditFallback } from './types.js';

export interface DiffHunk {
  /** 1-based, in its file's diff. */
  number: number;
  /** 0-based index of the first old line, as the header says; undefined: no line numbers. */
  hint: number | undefined;
  /** Body lines: ' ', '-', '+' and '\' (no newline at end of file). */
  lines: string[];
  notes: { how: EditFallback['how']; detail: string }[];
}

export type FileKind = 'modify' | 'create' | 'delete' | 'rename' | 'copy';

export interface FilePatch {
  kind: FileKind;
  /** The path read (null for a new file). */
  oldPath: string | null;
  /** The path written (null for a deleted file). */
  newPath: string | null;
  hunks: DiffHunk[];
}

export type ParsedDiff = { ok: true; files: FilePatch[] } | Refusal;

const HEADER = /^@@+\s+-(\d+)(?:,(\d+))?(?:\s+\+(\d+)(?:,(\d+))?)?\s*@@/;

const isBody = (l: string) => l === '' || ' +-\\'.includes(l[0]!);

/** A `---` line that starts a file's header, not a deleted line that begins with `--`. */
function isFileHeaderAt(lines: string[], j: number): boolean {
  if (!lines[j]!.startsWith('--- ') || !lines[j + 1]?.startsWith('+++ ')) return false;
  const next = lines[j + 2];
  return next === undefined || next.trim() === '' || /^(@@|diff |Index: )/.test(next);
}

interface Rewritten {
  text: string;
  hunks: Omit<DiffHunk, 'number'>[];
}

/** The diff with every hunk's header recounted (and numbered, for a header without numbers). */
export function rewriteHunks(patch: string): Rewritten {
  const lines = patch.split('\n');
  const out: string[] = [];
  const hunks: Omit<DiffHunk, 'number'>[] = [];
  let i = 0;
  while (i < lines.length) {
    const header = lines[i]!;
    if (!/^@@(\s|$)/.test(header)) {
      out.push(header);
      i++;
      continue;
    }
    const body: string[] = [];
    const blank: boolean[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.startsWith('@@') || !isBody(l) || isFileHeaderAt(lines, j)) break;
      body.push(l === '' ? ' ' : l);
      blank.push(l === '');
    }
    while (blank.length > 0 && blank[blank.length - 1]) {
      body.pop();
      blank.pop();
    }
    const hunk = readHeader(header, body);
    if (blank.includes(true)) {
      hunk.notes.push({ how: 'whitespace', detail: 'a blank context line without its space' });
    }
    hunks.push(hunk);
    const old = body.filter((l) => l[0] === ' ' || l[0] === '-').length;
    const neu = body.filter((l) => l[0] === ' ' || l[0] === '+').length;
    const at = (hunk.hint ?? 0) + 1;
    out.push(`@@ -${at},${old} +${at},${neu} @@`, ...body);
    i = j;
  }
  return { text: out.join('\n'), hunks };
}

function readHeader(header: string, body: string[]): Omit<DiffHunk, 'number'> {
  const old = body.filter((l) => l[0] === ' ' || l[0] === '-').length;
  const neu = body.filter((l) => l[0] === ' ' || l[0] === '+').length;
  const m = HEADER.exec(header);
  if (!m) {
    return {
      hint: undefined,
      lines: body,
      notes: [{ how: 'headerless', detail: `no line numbers in '${header}': placed by its lines` }],
    };
  }
  const start = Number(m[1]);
  const saidOld = m[2] === undefined ? 1 : Number(m[2]);
  const saidNew = m[3] === undefined ? undefined : m[4] === undefined ? 1 : Number(m[4]);
  // `-5,0` is an insertion after line 5; `-5,3` starts at line 5.
  const hint = Math.max(0, saidOld === 0 ? start : start - 1);
  const notes: DiffHunk['notes'] = [];
  if (saidOld !== old || saidNew !== neu) {
    notes.push({
      how: 'recounted',
      detail: `header '${header.trim()}' counts -${saidOld} +${saidNew ?? '?'}; the hunk has -${old} +${neu}`,
    });
  }
  return { hint, lines: body, notes };
}

const parseFailure = (message: string): Refusal => ({ ok: false, reason: 'parse', message });

/** The files of a unified diff and their hunks, or where the text stops being one. */
export function parseUnifiedDiff(patch: string): ParsedDiff {
  const rewritten = rewriteHunks(patch);
  let parsed: StructuredPatch[];
  try {
    parsed = parsePatch(rewritten.text);
  } catch (err) {
    return parseFailure(`not a unified diff: ${(err as Error).message}`);
  }
  const files: FilePatch[] = [];
  let next = 0;
  for (const index of parsed) {
    const own = rewritten.hunks.slice(next, next + index.hunks.length);
    next += index.hunks.length;
    index.hunks.forEach((h, k) => {
      if (own[k]?.lines.join('\n') !== h.lines.join('\n')) {
        throw new Error(`diffParse: jsdiff read hunk ${k + 1} other than the rewrite did`);
      }
    });
    if (index.oldFileName === undefined && index.newFileName === undefined) {
      if (index.hunks.length === 0) continue;
      return parseFailure('a hunk without a file header (--- a/path, +++ b/path)');
    }
    if (index.isBinary) {
      return parseFailure(`a binary patch for '${index.newFileName}': not supported`);
    }
    const file = describeFile(index);
    if (!file.ok) return file;
    files.push({ ...file.file, hunks: own.map((h, k) => ({ ...h, number: k + 1 })) });
  }
  if (next !== rewritten.hunks.length) {
    throw new Error('diffParse: jsdiff read fewer hunks than the rewrite has');
  }
  if (files.length === 0) return parseFailure('no file in the diff (--- a/path, +++ b/path, @@)');
  return { ok: true, files };
}

function describeFile(
  index: StructuredPatch,
): { ok: true; file: Omit<FilePatch, 'hunks'> } | Refusal {
  const [oldPath, newPath] = stripPrefixes(index.oldFileName, index.newFileName);
  if (oldPath === null && newPath === null) return parseFailure('both sides are /dev/null');
  let kind: FileKind;
  if (oldPath === null || index.isCreate) kind = 'create';
  else if (newPath === null || index.isDelete) kind = 'delete';
  else if (index.isCopy) kind = 'copy';
  else if (index.isRename || oldPath !== newPath) kind = 'rename';
  else kind = 'modify';
  if (kind === 'create')
    return { ok: true, file: { kind, oldPath: null, newPath: newPath ?? oldPath } };
  if (kind === 'delete')
    return { ok: true, file: { kind, oldPath: oldPath ?? newPath, newPath: null } };
  return { ok: true, file: { kind, oldPath, newPath } };
}

/** `a/x` and `b/x` to `x` (git's prefixes); `/dev/null` to null. */
function stripPrefixes(
  oldName: string | undefined,
  newName: string | undefined,
): [string | null, string | null] {
  const o = oldName === undefined || oldName === '/dev/null' ? null : oldName;
  const n = newName === undefined || newName === '/dev/null' ? null : newName;
  if (o !== null && n !== null) {
    return o.startsWith('a/') && n.startsWith('b/') ? [o.slice(2), n.slice(2)] : [o, n];
  }
  const strip = (s: string, prefix: string) => (s.startsWith(prefix) ? s.slice(2) : s);
  return [o === null ? null : strip(o, 'a/'), n === null ? null : strip(n, 'b/')];
}
