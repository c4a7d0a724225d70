/**
 * What can go wrong with a workspace, one class per failure, each naming where and what. A root,
 * candidate or target the caller got wrong is a `UserError`; a journal that cannot be written or
 * a rollback that did not finish is ours or the disk's (`SystemError`). An edit that does not
 * apply (a conflict, a refused path) is not thrown: `apply` returns it as a typed result.
 */
import { SystemError, UserError } from '../kernel/errors.js';

export type RootProblem = 'does not exist' | 'is not a directory' | 'is not writable';

/** The workspace's root cannot be used: `workspace: '/x' does not exist`. */
export class WorkspaceRootError extends UserError {
  override name = 'WorkspaceRootError';
  constructor(
    readonly root: string,
    readonly problem: RootProblem,
    options?: { cause?: unknown },
  ) {
    super(`workspace: '${root}' ${problem}`, options);
  }
}

/** An option of `Workspace.open` that cannot name a folder: `workspace option mission: ...`. */
export class WorkspaceOptionError extends UserError {
  override name = 'WorkspaceOptionError';
  constructor(
    readonly option: string,
    readonly value: string,
    readonly problem: string,
  ) {
    super(`workspace option ${option}: '${value}' ${problem}`);
  }
}

/** A candidate name that is not a plain folder name, or one that is unknown or taken. */
export class CandidateError extends UserError {
  override name = 'CandidateError';
  constructor(
    readonly candidate: string,
    readonly problem: string,
  ) {
    super(`workspace candidate '${candidate}': ${problem}`);
  }
}

/** `apply` was given a folder that is neither the root nor one of the workspace's candidates. */
export class WorkspaceTargetError extends UserError {
  override name = 'WorkspaceTargetError';
  constructor(
    readonly target: string,
    readonly root: string,
  ) {
    super(`workspace target '${target}' is neither the root '${root}' nor one of its candidates`);
  }
}

/** `restore` was given an apply the journal does not hold, or one that cannot be undone. */
export class ApplyIdError extends UserError {
  override name = 'ApplyIdError';
  constructor(
    readonly applyId: string,
    readonly problem: string,
  ) {
    super(`workspace apply '${applyId}': ${problem}`);
  }
}

/** The journal line could not be made durable: nothing was written to the tree. */
export class JournalError extends SystemError {
  override name = 'JournalError';
  constructor(
    readonly file: string,
    readonly applyId: string,
    options?: { cause?: unknown },
  ) {
    super(
      `workspace journal '${file}': apply '${applyId}' not journaled, nothing written`,
      options,
    );
  }
}

/**
 * Putting the bytes before back failed midway (the disk refused): the transaction stays open in
 * the journal, so the next `recover()` (every `Workspace.open`) tries again.
 */
export class RollbackError extends SystemError {
  override name = 'RollbackError';
  constructor(
    readonly applyId: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(
      `workspace apply '${applyId}': rollback failed at '${path}'; recover() retries it`,
      options,
    );
  }
}
