/**
 * What an edit is and what it becomes: the edit as a model wrote it, checked and computed into
 * the files it changes (`planEdit`, pure), then applied to a tree as one transaction
 * (`Workspace.apply`, journaled, with rollback to the bytes before).
 */

/** An edit in one of the formats models write. */
export type Edit =
  /** A unified diff (`--- a/x` / `+++ b/x` / `@@ ... @@`), of one or more files. */
  | { format: 'unified_diff'; patch: string }
  /** Aider's blocks: a path line, then `<<<<<<< SEARCH` / `=======` / `>>>>>>> REPLACE`. */
  | { format: 'search_replace'; text: string }
  /** Whole files: each path's new content (`content: null` deletes the file). */
  | { format: 'whole_file'; files: { path: string; content: string | null }[] };

/** One file an edit changes: its bytes before (null: it did not exist) and after (null: deleted). */
export interface FileChange {
  /** Relative to the workspace root, `/`-separated, checked by the path rules. */
  path: string;
  before: Buffer | null;
  after: Buffer | null;
  /** For a rename: the path it came from (that path's change deletes it). */
  renamedFrom?: string;
}

/** A fallback the diff applier took, named in the result. */
export interface EditFallback {
  path: string;
  /** 1-based hunk number in the file's diff. */
  hunk?: number;
  how: 'recounted' | 'headerless' | 'offset' | 'fuzz1' | 'fuzz2' | 'crlf' | 'whitespace';
  detail?: string;
}

export interface EditStats {
  files: number;
  added: number;
  removed: number;
}

/** An edit that applies: every file's new bytes, computed and checked, nothing written yet. */
export interface EditPlan {
  ok: true;
  changes: FileChange[];
  fallbacks: EditFallback[];
  stats: EditStats;
  /** sha256 (hex) of the edit's text as given: the same edit, the same hash. */
  hash: string;
}

export type EditFailureReason =
  /** The edit's text is not one of the formats. */
  | 'parse'
  /** A hunk whose deleted or context lines are not in the file, even with fuzz. */
  | 'hunk_failed'
  /** Hunks that overlap, or that would write a line twice. */
  | 'hunk_overlap'
  | 'search_not_found'
  /** The search block is in the file more than once. */
  | 'search_ambiguous'
  /** The edit changes nothing (a diff with no + or - lines, a replace equal to its search). */
  | 'no_op'
  /** Absolute, `..`, a symlink out of the root, or a blocked path (`.git/**`, `.env*`, ...). */
  | 'path_refused'
  | 'file_missing'
  | 'file_exists'
  /** A file over the size cap, before or after. */
  | 'too_large';

/** An edit that does not apply: which file, which hunk, and why. Nothing was written. */
export interface EditFailure {
  ok: false;
  reason: EditFailureReason;
  path?: string;
  hunk?: number;
  message: string;
  hash: string;
}

export type EditResult = EditPlan | EditFailure;

/** Which paths an edit may touch, and how big a file may be. */
export interface PathRules {
  /** Globs (picomatch) an edit may never touch: DEFAULT_DENY unless the config gives its own. */
  deny: string[];
  /** Globs that lift a deny (`allow: ['.env.example']`). */
  allow: string[];
  /** Bytes a file may have, before or after. */
  maxFileBytes: number;
}

export { DEFAULT_DENY, DEFAULT_MAX_FILE_BYTES } from '../config/workspace.js';

/** What a confined command in a candidate may see and write (`Workspace.confinement`). */
export interface Confinement {
  /** The candidate's folder: the only one it may write. */
  cwd: string;
  /** The worktree's git dir, read-only. */
  gitDir: string;
  /** The state dir and the user's tree. */
  hide: string[];
  /** The repository's common git dir (its objects), read-only. */
  readOnly: string[];
}
