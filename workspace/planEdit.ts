/**
 * `planEdit`: an edit as a model wrote it, checked and computed into the bytes of every file it
 * changes, all files or none. Pure: it reads through the tree it is given and writes nothing;
 * the transaction (`Workspace.apply`) writes the plan. A bad edit is a typed `EditFailure` (the
 * reason, the file, the 1-based hunk or block, a message that says where and what), never a
 * throw; a throw is a bug of ours.
 */
import { createHash } from 'node:crypto';
import type { EditTree } from './fsTree.js';
import { lineStats } from './lineCheck.js';
import { EditOverlay } from './overlay.js';
import type { PathRule } from './paths.js';
import { planSearchReplace } from './searchReplace.js';
import type { Edit, EditFailure, EditPlan, EditStats, FileChange, PathRules } from './types.js';
import { planUnifiedDiff } from './unifiedDiff.js';
import { planWholeFile } from './wholeFile.js';

/** A failure; a refused path names the rule it broke. */
export type PlanFailure = EditFailure & { rule?: PathRule };
export type PlanResult = EditPlan | PlanFailure;

export function planEdit(edit: Edit, tree: EditTree, rules: PathRules): PlanResult {
  const hash = editHash(edit);
  const ov = new EditOverlay(tree, rules);
  const r =
    edit.format === 'unified_diff'
      ? planUnifiedDiff(edit.patch, ov)
      : edit.format === 'search_replace'
        ? planSearchReplace(edit.text, ov)
        : planWholeFile(edit.files, ov);
  if (!r.ok) return { ...r, hash };
  const changes = ov.changes();
  if (changes.length === 0) {
    return { ok: false, reason: 'no_op', message: 'the edit changes no file', hash };
  }
  return { ok: true, changes, fallbacks: r.fallbacks, stats: editStats(changes), hash };
}

/** sha256 of the edit's text as given (whole files: their paths and contents, in order). */
export function editHash(edit: Edit): string {
  const text =
    edit.format === 'unified_diff'
      ? edit.patch
      : edit.format === 'search_replace'
        ? edit.text
        : JSON.stringify(edit.files.map((f) => [f.path, f.content]));
  return createHash('sha256').update(text).digest('hex');
}

/** Files touched (a rename counts once) and lines added and removed, as a line diff counts them. */
export function editStats(changes: FileChange[]): EditStats {
  const byPath = new Map(changes.map((c) => [c.path, c]));
  const renamed = new Set(changes.flatMap((c) => (c.renamedFrom ? [c.renamedFrom] : [])));
  const stats: EditStats = { files: 0, added: 0, removed: 0 };
  for (const c of changes) {
    if (renamed.has(c.path) && c.after === null) continue;
    const before = c.renamedFrom ? (byPath.get(c.renamedFrom)?.before ?? null) : c.before;
    const s = lineStats(before, c.after);
    stats.files++;
    stats.added += s.added;
    stats.removed += s.removed;
  }
  return stats;
}
