/**
 * Whole files: each path's new content, or null to delete it. A path given twice is refused (which
 * one was meant?). An existing file with CRLF line endings, given LF content (as models write),
 * keeps its CRLF, named as a fallback; content that has CRs of its own is written as given.
 */
import type { EditOverlay, Refusal } from './overlay.js';
import { decodeText, encodeText } from './text.js';
import type { EditFallback } from './types.js';
import type { Planned } from './unifiedDiff.js';

export function planWholeFile(
  files: { path: string; content: string | null }[],
  ov: EditOverlay,
): Planned {
  if (files.length === 0) return parseFailure('no file given');
  const fallbacks: EditFallback[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const opened = ov.open(f.path);
    if (!opened.ok) return opened;
    const path = opened.path;
    if (seen.has(path)) return parseFailure(`'${path}' is given twice`);
    seen.add(path);
    const cur = ov.read(path);
    if (!cur.ok) return cur;
    let after: Buffer | null = null;
    if (f.content === null) {
      if (cur.bytes === null) {
        return {
          ok: false,
          reason: 'file_missing',
          path,
          message: `'${path}' does not exist: the edit deletes it`,
        };
      }
    } else {
      if (cur.bytes === null && ov.blocked(path)) {
        return {
          ok: false,
          reason: 'file_exists',
          path,
          message: `'${path}' is there and not a file`,
        };
      }
      const old = cur.bytes && decodeText(cur.bytes);
      const crlf = old?.eol === '\r\n' && f.content.includes('\n') && !f.content.includes('\r');
      if (crlf) {
        fallbacks.push({
          path,
          how: 'crlf',
          detail: 'the file has CRLF line endings: written with them',
        });
      }
      after = crlf ? encodeText(f.content, '\r\n') : Buffer.from(f.content);
    }
    const w = ov.write(path, after);
    if (w) return w;
  }
  return { ok: true, fallbacks };
}

const parseFailure = (message: string): Refusal => ({ ok: false, reason: 'parse', message });
