/**
 * One edit applied to one tree, all or nothing. In order: every path resolved inside the target
 * and every file's bytes compared with the edit's `before` (a difference is a `conflict`, nothing
 * written); the bytes before kept in the private repository; `workspace.apply_started` journaled
 * and synced; then each file replaced atomically (deletes first), its bytes checked once more just
 * before; the folders synced; `workspace.applied` journaled. A failure midway puts back every file
 * already written and journals `workspace.apply_failed` with `rolledBack: true`. A crash leaves an
 * open transaction that `recoverTransactions` closes on the next open.
 */
import type { LogEventOf } from '../log/missionLogEvent.js';
import { blobIdOf } from './blobId.js';
import { journal, type WorkspaceLog } from './journal.js';
import type { BackupFile, PrivateRepo } from './privateRepo.js';
import {
  foldersUpTo,
  modeOf,
  readCurrent,
  removeFile,
  resolveInside,
  sameBytes,
  syncFolders,
  tempPathFor,
  writeAtomic,
} from './treeFiles.js';
import type { EditStats, FileChange } from './types.js';
import { RollbackError } from './workspaceErrors.js';

export interface ApplyMeta {
  /** The edit's hash (`EditPlan.hash`). */
  hash: string;
  stats: EditStats;
}

export type ApplyFailureReason = 'conflict' | 'path_refused' | 'write_failed' | 'target_missing';

export type ApplyResult =
  | { ok: true; applyId: string }
  | {
      ok: false;
      applyId: string;
      reason: ApplyFailureReason;
      path?: string;
      message: string;
      /** Files had been written and are back to their bytes before. */
      rolledBack?: boolean;
    };

/** A change as the transaction takes it: permission bits for a file it creates (a restore's). */
export interface TreeChange extends FileChange {
  mode?: number;
}

export interface TransactionContext {
  workspace: string;
  /** Real paths no edit may write inside when they are inside its target (the state dir). */
  forbidden: readonly string[];
  repo: PrivateRepo;
  log: WorkspaceLog;
  now: () => number;
}

interface Resolved {
  change: TreeChange;
  rel: string;
  abs: string;
  mode: number | undefined;
  index: number;
}

/** The fields every event of a transaction carries. */
export type TransactionFields = Omit<LogEventOf<'workspace.applied'>, 'type' | 'recovered'>;

/** Applies `changes` to `target` (a real, absolute path) as transaction `applyId`. */
export async function runTransaction(
  ctx: TransactionContext,
  target: string,
  changes: readonly TreeChange[],
  meta: ApplyMeta,
  applyId: string,
  restores?: string,
): Promise<ApplyResult> {
  const common: TransactionFields = {
    workspace: ctx.workspace,
    applyId,
    target,
    hash: meta.hash,
    stats: meta.stats,
  };
  const fail = (reason: ApplyFailureReason, message: string, path?: string, rolledBack?: boolean) =>
    failTransaction(ctx, common, { reason, message, path, rolledBack });

  // The state dir is off limits where it is inside the tree (a candidate's worktree is inside it).
  const forbidden = ctx.forbidden.filter((f) => f.startsWith(`${target}/`));
  const resolved: Resolved[] = [];
  const seen = new Set<string>();
  for (const [index, change] of changes.entries()) {
    const r = resolveInside(target, change.path);
    if ('message' in r) return fail('path_refused', r.message, r.path);
    if (forbidden.some((f) => r.abs === f || r.abs.startsWith(`${f}/`)))
      return fail('path_refused', `'${change.path}' is inside Maestro's state dir`, change.path);
    if (seen.has(r.rel))
      return fail('path_refused', `'${change.path}' is changed twice (as '${r.rel}')`, change.path);
    seen.add(r.rel);
    resolved.push({ change, rel: r.rel, abs: r.abs, mode: modeOf(r.abs), index });
  }
  for (const r of resolved) {
    const conflict = conflictOf(r);
    if (conflict) return fail('conflict', conflict, r.change.path);
  }

  const kept: BackupFile[] = resolved.flatMap((r) =>
    r.change.before === null ? [] : [{ path: r.rel, bytes: r.change.before, mode: r.mode }],
  );
  const backup = await ctx.repo.saveBackup(applyId, kept, ctx.now());
  journal(ctx.log, {
    type: 'workspace.apply_started',
    ...common,
    files: resolved.map((r) => ({
      path: r.rel,
      before: blobIdOf(r.change.before),
      after: blobIdOf(r.change.after),
      ...(r.change.renamedFrom !== undefined && { renamedFrom: r.change.renamedFrom }),
      ...(r.mode !== undefined && { mode: r.mode }),
    })),
    backup,
    ...(restores !== undefined && { restores }),
  });

  // Deletes first: a file that goes may be where a folder of a new file must be.
  const order = [
    ...resolved.filter((r) => r.change.after === null),
    ...resolved.filter((r) => r.change.after !== null),
  ];
  const done: Resolved[] = [];
  for (const r of order) {
    // Checked again: the tree may have changed while the backup was written.
    const conflict = conflictOf(r);
    if (conflict) {
      rollBack(target, applyId, done);
      return fail('conflict', conflict, r.change.path, done.length > 0);
    }
    try {
      done.push(r);
      writeChange(target, applyId, r, r.change.after);
    } catch (err) {
      rollBack(target, applyId, done);
      return fail('write_failed', `'${r.rel}': ${(err as Error).message}`, r.change.path, true);
    }
  }
  // A new file's folders may be new too: each entry up to the target is synced.
  syncFolders(resolved.flatMap((r) => foldersUpTo(r.abs, target)));
  if (restores !== undefined) journal(ctx.log, { type: 'workspace.restored', ...common, restores });
  else journal(ctx.log, { type: 'workspace.applied', ...common });
  return { ok: true, applyId };
}

/** Journals `workspace.apply_failed` and returns the failed result it says. */
export function failTransaction(
  ctx: TransactionContext,
  common: TransactionFields,
  failure: { reason: ApplyFailureReason; message: string; path?: string; rolledBack?: boolean },
): ApplyResult {
  const { reason, message, path, rolledBack } = failure;
  const said = {
    reason,
    message,
    ...(path !== undefined && { path }),
    ...(rolledBack && { rolledBack }),
  };
  journal(ctx.log, { type: 'workspace.apply_failed', ...common, ...said });
  return { ok: false, applyId: common.applyId, ...said };
}

/** Why the file on disk is not the change's `before`, or undefined when it is. */
function conflictOf(r: Resolved): string | undefined {
  const current = readCurrent(r.abs);
  if (sameBytes(current, r.change.before)) return undefined;
  if (current === 'folder') return `'${r.rel}' is a folder`;
  if (r.change.before === null) return `'${r.rel}' exists (the edit creates it)`;
  if (current === null) return `'${r.rel}' does not exist (the edit changes it)`;
  return `'${r.rel}' changed since the edit was planned`;
}

function writeChange(target: string, applyId: string, r: Resolved, bytes: Buffer | null): void {
  if (bytes === null) removeFile(r.abs, target);
  else writeAtomic(r.abs, bytes, tempPathFor(r.abs, applyId, r.index), r.mode ?? r.change.mode);
}

/** Puts the files written back to their bytes before, last first. */
function rollBack(target: string, applyId: string, done: readonly Resolved[]): void {
  for (const r of [...done].reverse()) {
    try {
      writeChange(target, applyId, r, r.change.before);
    } catch (err) {
      throw new RollbackError(applyId, r.rel, { cause: err });
    }
  }
  syncFolders(done.flatMap((r) => foldersUpTo(r.abs, target)));
}
