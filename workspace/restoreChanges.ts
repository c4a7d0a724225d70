/**
 * What `restore(applyId)` writes: the inverse of an apply that succeeded, every file back to its
 * bytes before (read from the private repository by the blob ids the journal holds). Each file
 * must still be as the apply left it (its blob id is the journal's after), else the restore is a
 * conflict and writes nothing; `force` takes the tree as it is.
 */
import { realpathSync } from 'node:fs';
import { blobIdOf } from './blobId.js';
import { transactionOf, type WorkspaceEvent } from './journal.js';
import type { PrivateRepo } from './privateRepo.js';
import {
  failTransaction,
  type ApplyMeta,
  type ApplyResult,
  type TransactionContext,
  type TreeChange,
} from './transaction.js';
import { readCurrent, resolveInside } from './treeFiles.js';
import { ApplyIdError } from './workspaceErrors.js';

export type RestorePlan =
  | { target: string; changes: TreeChange[]; meta: ApplyMeta }
  /** The tree is not as the apply left it: journal the failed restore as `id`. */
  | { conflict: (ctx: TransactionContext, id: string) => ApplyResult };

export async function restoreChanges(
  repo: PrivateRepo,
  events: readonly WorkspaceEvent[],
  applyId: string,
  force: boolean,
): Promise<RestorePlan> {
  const { started, closed } = transactionOf(events, applyId);
  if (!started) throw new ApplyIdError(applyId, 'is not in the journal (or changed nothing)');
  if (!closed) throw new ApplyIdError(applyId, 'is still open: recover() closes it first');
  if (closed.type !== 'workspace.applied' && closed.type !== 'workspace.restored')
    throw new ApplyIdError(applyId, `was not applied (${closed.type})`);
  let target: string;
  try {
    target = realpathSync(started.target);
  } catch {
    throw new ApplyIdError(applyId, `its target '${started.target}' is gone`);
  }
  const meta = { hash: started.hash, stats: started.stats };
  const blobs = await repo.readBlobs(started.files.flatMap((f) => (f.before ? [f.before] : [])));
  const changes: TreeChange[] = [];
  for (const f of started.files) {
    const at = resolveInside(target, f.path);
    if (!('abs' in at)) throw new ApplyIdError(applyId, at.message);
    const current = readCurrent(at.abs);
    if (current === 'folder' || (!force && blobIdOf(current) !== f.after)) {
      const message = `'${f.path}' changed since apply '${applyId}' (restore with force to take it anyway)`;
      return {
        conflict: (ctx, id) =>
          failTransaction(
            ctx,
            { workspace: ctx.workspace, applyId: id, target, ...meta },
            { reason: 'conflict', message, path: f.path },
          ),
      };
    }
    const after = f.before === null ? null : blobs.get(f.before);
    if (after === undefined)
      throw new ApplyIdError(
        applyId,
        `the bytes before of '${f.path}' are not in backup ${started.backup}`,
      );
    changes.push({
      path: f.path,
      before: current,
      after,
      ...(f.mode !== undefined && { mode: f.mode }),
    });
  }
  return { target, changes, meta };
}
