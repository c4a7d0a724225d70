/**
 * Aider's search/replace blocks: a path on its own line (a ``` fence may follow), then
 * `<<<<<<< SEARCH`, the lines to find, `=======`, the lines to put there, `>>>>>>> REPLACE`.
 * A block without a path line is for the path of the block before. Blocks apply in order, each to
 * the file as the blocks before left it. A search matches whole lines, exactly (trailing
 * whitespace ignored as a named fallback), and exactly once; an empty search creates a file that
 * does not exist. CRLF files are matched without their CRs and keep them.
 */
import type { EditOverlay, Refusal } from './overlay.js';
import { refusePath } from './paths.js';
import { decodeText, encodeText, joinLines, lf, quoteLine, splitLines } from './text.js';
import type { EditFallback } from './types.js';
import type { Planned } from './unifiedDiff.js';

export interface SearchReplaceBlock {
  path: string;
  search: string[];
  replace: string[];
  /** 1-based line of its `<<<<<<< SEARCH` in the edit. */
  line: number;
}

const HEAD = /^<{5,9} SEARCH>?\s*$/;
const DIVIDER = /^={5,9}\s*$/;
const UPDATED = /^>{5,9} REPLACE\s*$/;
const FENCE = /^\s*(```|~~~)/;

/** The blocks of an edit, or where its text stops being blocks. */
export function parseBlocks(text: string): { ok: true; blocks: SearchReplaceBlock[] } | Refusal {
  const lines = lf(text).split('\n');
  const blocks: SearchReplaceBlock[] = [];
  let candidate: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (!HEAD.test(l)) {
      if (DIVIDER.test(l) || UPDATED.test(l)) {
        return parseFailure(`line ${i + 1}: '${l.trim()}' outside a block`);
      }
      if (l.trim() !== '' && !FENCE.test(l)) candidate = l;
      continue;
    }
    const path = candidate === undefined ? blocks[blocks.length - 1]?.path : cleanPath(candidate);
    if (path === undefined || path === '') {
      return parseFailure(`line ${i + 1}: a block without a path line before it`);
    }
    const start = i;
    const search: string[] = [];
    const replace: string[] = [];
    for (i++; i < lines.length && !DIVIDER.test(lines[i]!); i++) {
      if (HEAD.test(lines[i]!) || UPDATED.test(lines[i]!)) break;
      search.push(lines[i]!);
    }
    if (i >= lines.length || !DIVIDER.test(lines[i]!)) {
      return parseFailure(`line ${start + 1}: the block has no '=======' after its search`);
    }
    for (i++; i < lines.length && !UPDATED.test(lines[i]!); i++) {
      if (HEAD.test(lines[i]!) || DIVIDER.test(lines[i]!)) break;
      replace.push(lines[i]!);
    }
    if (i >= lines.length || !UPDATED.test(lines[i]!)) {
      return parseFailure(
        `line ${start + 1}: the block has no '>>>>>>> REPLACE' after its replace`,
      );
    }
    blocks.push({ path, search, replace, line: start + 1 });
    candidate = undefined;
  }
  if (blocks.length === 0)
    return parseFailure('no <<<<<<< SEARCH / ======= / >>>>>>> REPLACE block');
  return { ok: true, blocks };
}

/** The path as a model decorates it: `**src/a.ts**`, `` `src/a.ts`: ``, `# src/a.ts`. */
function cleanPath(line: string): string {
  return line
    .trim()
    .replace(/^#+\s*/, '')
    .replace(/:$/, '')
    .replace(/^[`*]+|[`*]+$/g, '')
    .trim();
}

export function planSearchReplace(text: string, ov: EditOverlay): Planned {
  const parsed = parseBlocks(text);
  if (!parsed.ok) return parsed;
  const fallbacks: EditFallback[] = [];
  const numbers = new Map<string, number>();
  const crlf = new Set<string>();
  for (const b of parsed.blocks) {
    const opened = ov.open(b.path);
    if (!opened.ok) return opened;
    const path = opened.path;
    const n = (numbers.get(path) ?? 0) + 1;
    numbers.set(path, n);
    const r = applyBlock(b, path, n, ov);
    if (!r.ok) return r;
    if (r.crlf && !crlf.has(path)) {
      crlf.add(path);
      fallbacks.push({
        path,
        how: 'crlf',
        detail: 'the file has CRLF line endings: matched without them, written with them',
      });
    }
    if (r.whitespace) {
      fallbacks.push({ path, hunk: n, how: 'whitespace', detail: r.whitespace });
    }
  }
  return { ok: true, fallbacks };
}

type BlockResult = { ok: true; crlf: boolean; whitespace?: string } | Refusal;

function applyBlock(b: SearchReplaceBlock, path: string, n: number, ov: EditOverlay): BlockResult {
  const name = `block ${n} for '${path}' (line ${b.line})`;
  const fail = (reason: Refusal['reason'], message: string): Refusal => ({
    ok: false,
    reason,
    path,
    hunk: n,
    message,
  });
  const cur = ov.read(path);
  if (!cur.ok) return cur;
  const search = b.search.every((l) => l.trim() === '') ? [] : b.search;
  if (cur.bytes === null) {
    if (search.length > 0) return fail('file_missing', `${name}: '${path}' does not exist`);
    if (ov.blocked(path))
      return fail('file_exists', `${name}: something that is not a file is there`);
    const w = ov.write(path, Buffer.from(joinLines(b.replace, true)));
    return w ?? { ok: true, crlf: false };
  }
  const text = decodeText(cur.bytes);
  if (!text) {
    return refusePath(path, 'not_text', `path refused (not_text): '${path}' is not UTF-8 text`);
  }
  const { lines, finalNewline } = splitLines(text.text);
  if (search.length === 0) {
    if (lines.length > 0) {
      return fail('file_exists', `${name}: an empty SEARCH creates a file, and '${path}' exists`);
    }
    const w = ov.write(path, encodeText(joinLines(b.replace, true), text.eol));
    return w ?? { ok: true, crlf: text.eol === '\r\n' };
  }
  if (search.join('\n') === b.replace.join('\n')) {
    return fail('no_op', `${name} changes nothing: its REPLACE is its SEARCH`);
  }
  let whitespace: string | undefined;
  let found = matches(lines, search, (l) => l);
  if (found.length === 0) {
    found = matches(lines, search, (l) => l.trimEnd());
    if (found.length > 0) whitespace = 'matched with trailing whitespace ignored';
  }
  if (found.length === 0) return fail('search_not_found', notFound(lines, search, name));
  if (found.length > 1) {
    return fail(
      'search_ambiguous',
      `${name}: its SEARCH is in the file ${found.length} times (lines ${found.map((p) => p + 1).join(', ')}): give more lines to tell them apart`,
    );
  }
  const at = found[0]!;
  const out = [...lines.slice(0, at), ...b.replace, ...lines.slice(at + search.length)];
  const w = ov.write(path, encodeText(joinLines(out, finalNewline), text.eol));
  return w ?? { ok: true, crlf: text.eol === '\r\n', ...(whitespace ? { whitespace } : {}) };
}

function matches(lines: string[], search: string[], norm: (l: string) => string): number[] {
  const want = search.map(norm);
  const out: number[] = [];
  for (let p = 0; p + want.length <= lines.length; p++) {
    let k = 0;
    while (k < want.length && norm(lines[p + k]!) === want[k]) k++;
    if (k === want.length) out.push(p);
  }
  return out;
}

/** Where the search comes closest: how many of its first lines match, and the line that differs. */
function notFound(lines: string[], search: string[], name: string): string {
  let best = { p: -1, k: 0 };
  for (let p = 0; p < lines.length; p++) {
    let k = 0;
    while (k < search.length && lines[p + k]?.trimEnd() === search[k]!.trimEnd()) k++;
    if (k > best.k) best = { p, k };
  }
  const first = quoteLine(search[0]!);
  if (best.p < 0) return `${name}: its SEARCH is not in the file (no line is ${first})`;
  const at = best.p + best.k;
  const has = lines[at] === undefined ? 'the file ends' : `the file has ${quoteLine(lines[at]!)}`;
  return `${name}: its SEARCH is not in the file; its first ${best.k} line(s) match at line ${best.p + 1}, then ${has} where the SEARCH has ${quoteLine(search[best.k]!)}`;
}

const parseFailure = (message: string): Refusal => ({ ok: false, reason: 'parse', message });
