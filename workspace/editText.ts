/**
 * An edit as a person or a model hands it over: text, in the format named or the one the text is
 * in (search/replace blocks when it holds a `<<<<<<< SEARCH` line, a unified diff otherwise); and
 * a plan as JSON without the files' bytes. What `maestro patch` and the MCP patch tools share.
 */
import { UserError } from '../kernel/errors.js';
import type { PlanResult } from './planEdit.js';
import type { Edit } from './types.js';

export const EDIT_TEXT_FORMATS = ['unified_diff', 'search_replace'] as const;

/** `text` as an edit; `format` names one of `EDIT_TEXT_FORMATS`, or is read from the text. */
export function editFromText(text: string, format?: string): Edit {
  const f = format ?? (/^<{7} SEARCH\s*$/m.test(text) ? 'search_replace' : 'unified_diff');
  if (f === 'search_replace') return { format: 'search_replace', text };
  if (f === 'unified_diff') return { format: 'unified_diff', patch: text };
  throw new UserError(`--format: expected unified_diff or search_replace, got '${f}'`);
}

/** A plan as JSON: the changes by path and kind (not their bytes), the fallbacks, the stats. */
export function planJson(r: PlanResult): unknown {
  if (!r.ok) return r;
  return {
    ok: true,
    hash: r.hash,
    stats: r.stats,
    fallbacks: r.fallbacks,
    changes: r.changes.map((c) => ({
      path: c.path,
      ...(c.renamedFrom && { renamedFrom: c.renamedFrom }),
      kind: c.before === null ? 'new' : c.after === null ? 'deleted' : 'changed',
    })),
  };
}
