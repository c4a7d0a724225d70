/**
 * A workspace transaction (since 0.2): an edit applied to a tree (the user's or a candidate's
 * worktree), journaled before a file changes so a crash can be told apart from a success.
 * `workspace.apply_started` opens a transaction and names every file's bytes before and after by
 * git blob id (the bytes before are in the workspace's private repository, commit `backup`);
 * exactly one of `applied`, `restored`, `apply_failed` or `rolled_back` closes it. A `restore`
 * is a transaction of its own (`restores` names the one it undoes). Every event carries the
 * edit's hash and stats.
 */
import { z } from 'zod';

const editStats = z.object({ files: z.number(), added: z.number(), removed: z.number() });

const transaction = {
  /** The workspace's id (its folder under `<stateDir>/workspaces/`). */
  workspace: z.string(),
  applyId: z.string(),
  /** The tree written: the workspace's root or a candidate's worktree (absolute). */
  target: z.string(),
  /** sha256 of the edit's text, as the planner computed it. */
  hash: z.string(),
  stats: editStats,
};

export const workspaceFile = z.object({
  /** Relative to the target, `/`-separated, symlinks resolved. */
  path: z.string(),
  /** Git blob id of the bytes before; null: the file did not exist. */
  before: z.string().nullable(),
  /** Git blob id of the bytes after; null: the edit deletes it. */
  after: z.string().nullable(),
  renamedFrom: z.string().optional(),
  /** Permission bits before (a deleted file comes back with them). */
  mode: z.number().optional(),
});

export const workspaceApplyStarted = z.object({
  type: z.literal('workspace.apply_started'),
  ...transaction,
  files: z.array(workspaceFile),
  /** The commit in the private repository that holds every file's bytes before. */
  backup: z.string(),
  /** The transaction this one undoes (a `restore`). */
  restores: z.string().optional(),
});

export const workspaceApplied = z.object({
  type: z.literal('workspace.applied'),
  ...transaction,
  /** Found wholly after by recovery: the process died before it could say so. */
  recovered: z.boolean().optional(),
});

export const workspaceApplyFailed = z.object({
  type: z.literal('workspace.apply_failed'),
  ...transaction,
  /** `conflict`, `path_refused`, `write_failed` or `target_missing`. */
  reason: z.string(),
  path: z.string().optional(),
  message: z.string(),
  /** Files had been written and were put back to the bytes before. */
  rolledBack: z.boolean().optional(),
});

export const workspaceRestored = z.object({
  type: z.literal('workspace.restored'),
  ...transaction,
  /** The transaction whose bytes before are back. */
  restores: z.string(),
  recovered: z.boolean().optional(),
});

/** Recovery found a transaction cut short and put every file back to its bytes before. */
export const workspaceRolledBack = z.object({
  type: z.literal('workspace.rolled_back'),
  ...transaction,
  recovered: z.boolean(),
  /** Files whose bytes were neither the before nor the after (overwritten with the before). */
  unexpected: z.array(z.string()).optional(),
});

export const workspaceEvents = [
  workspaceApplyStarted,
  workspaceApplied,
  workspaceApplyFailed,
  workspaceRestored,
  workspaceRolledBack,
] as const;
