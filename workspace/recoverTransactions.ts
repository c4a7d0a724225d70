/**
 * Closing the transactions a crash cut short. For each `apply_started` with no closing event, every
 * file on disk is named by its blob id and compared with the journal's before and after: all after
 * → the apply finished but could not say so (`applied` or `restored`, `recovered: true`);
 * anything else → every file goes back to its bytes before, read from the private repository
 * (`rolled_back`). Either way the tree ends wholly before or wholly after, and the log says which.
 * A crash during recovery leaves the transaction open, and the next recovery does it again.
 */
import { existsSync, realpathSync, rmdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { blobIdOf } from './blobId.js';
import { journal, type ApplyStarted } from './journal.js';
import type { TransactionContext } from './transaction.js';
import {
  foldersUpTo,
  readCurrent,
  removeFile,
  removeTemps,
  resolveInside,
  syncFolders,
  tempPathFor,
  writeAtomic,
} from './treeFiles.js';
import { RollbackError } from './workspaceErrors.js';

/** How a cut-short transaction was closed. */
export interface Recovered {
  applyId: string;
  target: string;
  outcome: 'after' | 'before' | 'target_missing';
  /** Files whose bytes were neither before nor after. */
  unexpected: string[];
}

interface FileState {
  path: string;
  abs: string | undefined;
  before: string | null;
  state: 'before' | 'after' | 'neither';
  index: number;
  mode?: number;
}

export async function recoverTransactions(
  ctx: TransactionContext,
  open: readonly ApplyStarted[],
): Promise<Recovered[]> {
  const out: Recovered[] = [];
  for (const t of open) out.push(await recoverOne(ctx, t));
  return out;
}

async function recoverOne(ctx: TransactionContext, t: ApplyStarted): Promise<Recovered> {
  const common = {
    workspace: t.workspace,
    applyId: t.applyId,
    target: t.target,
    hash: t.hash,
    stats: t.stats,
  };
  if (!existsSync(t.target)) {
    journal(ctx.log, {
      type: 'workspace.apply_failed',
      ...common,
      reason: 'target_missing',
      message: `'${t.target}' is gone: the apply cut short there cannot be checked`,
    });
    return { applyId: t.applyId, target: t.target, outcome: 'target_missing', unexpected: [] };
  }
  const target = realpathSync(t.target);
  const files = t.files.map((f, index): FileState => {
    const r = resolveInside(target, f.path);
    const abs = 'abs' in r ? r.abs : undefined;
    const current = abs === undefined ? 'folder' : readCurrent(abs);
    const id = current === 'folder' ? 'folder' : blobIdOf(current);
    const state = id === f.after ? 'after' : id === f.before ? 'before' : 'neither';
    return { path: f.path, abs, before: f.before, state, index, mode: f.mode };
  });
  const dirs = files.flatMap((f) => (f.abs === undefined ? [] : [dirname(f.abs)]));
  removeTemps(dirs, t.applyId);

  if (files.every((f) => f.state === 'after')) {
    if (t.restores !== undefined)
      journal(ctx.log, {
        type: 'workspace.restored',
        ...common,
        restores: t.restores,
        recovered: true,
      });
    else journal(ctx.log, { type: 'workspace.applied', ...common, recovered: true });
    return { applyId: t.applyId, target: t.target, outcome: 'after', unexpected: [] };
  }

  const blobs = await ctx.repo.readBlobs(files.flatMap((f) => (f.before ? [f.before] : [])));
  for (const f of files) {
    // A file the apply would have created may have left new folders: they go too.
    if (f.state === 'before' && f.before === null && f.abs !== undefined) removeFile(f.abs, target);
    if (f.state === 'before') continue;
    if (f.abs === undefined) throw new RollbackError(t.applyId, f.path);
    try {
      if (f.before === null) removeFile(f.abs, target);
      else {
        const bytes = blobs.get(f.before);
        if (!bytes) throw new Error(`blob ${f.before} is not in the backup ${t.backup}`);
        writeAtomic(f.abs, bytes, tempPathFor(f.abs, t.applyId, f.index), f.mode);
      }
    } catch (err) {
      throw new RollbackError(t.applyId, f.path, { cause: err });
    }
  }
  // Again, deepest first, now that every file is back: a folder a created file needed is empty
  // only once all of its files are gone, whatever order they were taken in.
  const created = files.filter((f) => f.before === null && f.abs !== undefined);
  for (const dir of [...new Set(created.flatMap((f) => foldersUpTo(f.abs!, target)))].sort(
    (a, b) => b.length - a.length,
  ))
    if (dir !== target) removeEmptyFolder(dir);
  syncFolders(files.flatMap((f) => (f.abs === undefined ? [] : foldersUpTo(f.abs, target))));
  const unexpected = files.filter((f) => f.state === 'neither').map((f) => f.path);
  journal(ctx.log, {
    type: 'workspace.rolled_back',
    ...common,
    recovered: true,
    ...(unexpected.length > 0 && { unexpected }),
  });
  return { applyId: t.applyId, target: t.target, outcome: 'before', unexpected };
}

function removeEmptyFolder(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty (a file of the user's), or gone already
  }
}
