/**
 * A workspace: the user's tree (a git repository, or a plain folder snapshotted into a private
 * repository), the candidates made from it in worktrees of their own, and the transactions that
 * write edits to either, journaled in the mission log with rollback to the exact bytes. Opening a
 * workspace closes the transactions a crash left open (`recover`), so the tree is always wholly
 * before or wholly after each edit. The user's tree is written only by `apply(root, ...)` or
 * `applyToTree(candidate)`, which a person's approval calls.
 *
 * State: `<stateDir>/workspaces/<id>/` (`repo.git`, `candidates/<name>.json`, `journal.jsonl`
 * when no mission log is given) and `<stateDir>/worktrees/<mission or id>/<name>/`.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { EventLog } from '../log/eventLog.js';
import {
  addWorktree,
  baseOfRepo,
  editOfWorktree,
  removeWorktree,
  type CandidateEdit,
  type RepoAt,
} from './candidates.js';
import { gitText, gitTopLevel } from './git.js';
import {
  openTransactions,
  readWorkspaceEvents,
  type WorkspaceEvent,
  type WorkspaceLog,
} from './journal.js';
import { PrivateRepo } from './privateRepo.js';
import { recoverTransactions, type Recovered } from './recoverTransactions.js';
import { restoreChanges } from './restoreChanges.js';
import {
  runTransaction,
  type ApplyMeta,
  type ApplyResult,
  type TransactionContext,
} from './transaction.js';
import type { Confinement, FileChange } from './types.js';
import {
  CandidateError,
  WorkspaceOptionError,
  WorkspaceRootError,
  WorkspaceTargetError,
  type RootProblem,
} from './workspaceErrors.js';

export interface WorkspaceOptions {
  stateDir: string;
  /** Where its events go (the mission's `EventLog`). @default a log of its own in its folder */
  log?: WorkspaceLog;
  /** @default the first 16 hex digits of sha256 of the root's real path */
  id?: string;
  /** Names the folder of its candidates' worktrees. @default the workspace's id */
  mission?: string;
  /** @default Date.now */
  now?: () => number;
}

/** A candidate: a worktree of its own; `dir` is where the workspace's root is in it. */
export interface Candidate {
  name: string;
  dir: string;
  worktree: string;
  /** The commit it was checked out from: its edit is what differs from it. */
  base: string;
  /** Its git dir, read when it was made (git is never pointed at it through its `.git` file). */
  gitDir?: string;
}

/** A candidate's name: a folder name, short. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A workspace id or mission id: a folder name (mission ids run long). */
const FOLDER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Where a workspace's parts are, found once by `open`. */
interface Places {
  /** The root's real path. */
  root: string;
  kind: 'git' | 'folder';
  id: string;
  /** Where the root is inside its repository's top ('' at the top, or for a folder). */
  prefix: string;
  /** The repository's top (git), or the root (folder). */
  top: string;
  /** `<stateDir>/workspaces/<id>`. */
  dir: string;
  /** `<stateDir>/worktrees/<mission>`. */
  worktrees: string;
  /** The state dir's real path: no edit writes there, no snapshot copies it. */
  stateDir: string;
  /** Paths relative to `top` that bases and snapshots leave out (the state dir, if inside). */
  excluded: string[];
  repo: PrivateRepo;
  log: WorkspaceLog;
  ownLog: EventLog | undefined;
  now: () => number;
}

export class Workspace {
  /** What `open` found cut short and how each was closed. */
  recovered: Recovered[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  readonly root: string;
  readonly kind: 'git' | 'folder';
  readonly id: string;
  readonly log: WorkspaceLog;
  private readonly prefix: string;
  private readonly top: string;
  private readonly dir: string;
  private readonly worktrees: string;
  private readonly repo: PrivateRepo;

  private constructor(private readonly at: Places) {
    ({ root: this.root, kind: this.kind, id: this.id, log: this.log } = at);
    ({ prefix: this.prefix, top: this.top, dir: this.dir, worktrees: this.worktrees } = at);
    this.repo = at.repo;
  }

  /** Opens the workspace at `root` and recovers what a crash left open. */
  static async open(root: string, opened: WorkspaceOptions): Promise<Workspace> {
    // absolute: git runs in other folders (the repository's top, a worktree)
    const options = { ...opened, stateDir: resolve(opened.stateDir) };
    const real = checkRoot(resolve(root));
    const top = await gitTopLevel(real);
    const kind = top === undefined ? 'folder' : 'git';
    const topReal = top === undefined ? real : realpathSync(top);
    const id = options.id ?? createHash('sha256').update(real).digest('hex').slice(0, 16);
    const mission = options.mission ?? id;
    for (const [option, v] of [
      ['id', id],
      ['mission', mission],
    ] as const)
      if (!FOLDER.test(v)) throw new WorkspaceOptionError(option, v, 'is not a plain folder name');
    const dir = join(options.stateDir, 'workspaces', id);
    mkdirSync(join(dir, 'candidates'), { recursive: true });
    const stateDir = realpathSync(options.stateDir);
    const excluded = stateDirInside(topReal, stateDir, kind);
    const repo = await PrivateRepo.open(join(dir, 'repo.git'));
    writeFileSync(join(dir, 'workspace.json'), `${JSON.stringify({ id, root: real, kind })}\n`);
    const now = options.now ?? Date.now;
    const ownLog = options.log
      ? undefined
      : new EventLog(join(dir, 'journal.jsonl'), id, now).open();
    const ws = new Workspace({
      root: real,
      kind,
      id,
      prefix: relative(topReal, real).split(sep).join('/'),
      top: topReal,
      dir,
      worktrees: join(options.stateDir, 'worktrees', mission),
      stateDir,
      excluded,
      repo,
      log: options.log ?? ownLog!,
      ownLog,
      now,
    });
    if (kind === 'folder') await repo.snapshot(real, excluded);
    await ws.recover();
    return ws;
  }

  /** Closes every transaction the journal holds open (a crash mid-apply): wholly before or after. */
  recover(): Promise<Recovered[]> {
    return this.serial(async () => {
      const open = openTransactions(this.events());
      const done = await recoverTransactions(this.context(), open);
      this.recovered.push(...done);
      return done;
    });
  }

  /** A new candidate `name`: a worktree of the root as it is now (uncommitted changes included). */
  createCandidate(name: string): Promise<Candidate> {
    return this.serial(async () => {
      if (!NAME.test(name)) throw new CandidateError(name, 'is not a plain folder name');
      if (this.candidate(name)) throw new CandidateError(name, 'exists');
      const worktree = join(this.worktrees, name);
      // Not ours (no candidate file names it: another workspace's, in the same mission's folder).
      if (existsSync(worktree)) throw new CandidateError(name, `'${worktree}' is in the way`);
      mkdirSync(this.worktrees, { recursive: true });
      const base =
        this.kind === 'git'
          ? await baseOfRepo(this.top, this.dir, this.at.excluded)
          : await this.repo.snapshot(this.root, this.at.excluded);
      const c: Candidate = {
        name,
        dir: this.prefix === '' ? worktree : join(worktree, this.prefix),
        worktree,
        base,
      };
      // The file first: a crash before the worktree is whole leaves a candidate to remove.
      writeFileSync(this.candidateFile(name), `${JSON.stringify(c)}\n`);
      c.gitDir = await addWorktree(this.repoAt(), worktree, base);
      writeFileSync(this.candidateFile(name), `${JSON.stringify(c)}\n`);
      return c;
    });
  }

  candidate(name: string): Candidate | undefined {
    if (!NAME.test(name)) return undefined;
    try {
      return JSON.parse(readFileSync(this.candidateFile(name), 'utf8')) as Candidate;
    } catch {
      return undefined;
    }
  }

  candidates(): Candidate[] {
    return readdirSync(join(this.dir, 'candidates'))
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => this.candidate(f.slice(0, -5)) ?? []);
  }

  removeCandidate(candidate: Candidate | string): Promise<void> {
    return this.serial(async () => {
      const c = this.known(candidate);
      await removeWorktree(this.repoAt(), c.worktree);
      rmSync(this.candidateFile(c.name), { force: true });
    });
  }

  /**
   * Where a command that edits the candidate in place (a coding CLI) may work: its folder, the
   * only one it may write; its git dir and the repository's objects, read-only (so `git diff`
   * works there and no hook can be planted); the state dir (every other worktree, the logs, the
   * keys) and the user's tree hidden. Give it to `runSandboxed` or as a call's `workdir`.
   */
  async confinement(candidate: Candidate | string): Promise<Confinement> {
    const c = this.known(candidate);
    if (c.gitDir === undefined)
      throw new CandidateError(c.name, 'was never made whole (a crash?): remove it');
    const common = await gitText(['rev-parse', '--path-format=absolute', '--git-common-dir'], {
      gitDir: c.gitDir,
    });
    return {
      cwd: c.dir,
      gitDir: c.gitDir,
      hide: [this.at.stateDir, this.top],
      readOnly: [common],
    };
  }

  /** The candidate's edit as a unified diff (`git diff --binary`, untracked files included). */
  async diffOf(candidate: Candidate | string): Promise<string> {
    return (await this.editOf(candidate)).diff;
  }

  /** The candidate's edit: its diff, hash, stats and changes relative to the root. */
  async editOf(candidate: Candidate | string): Promise<CandidateEdit> {
    const c = this.known(candidate);
    if (c.gitDir === undefined)
      throw new CandidateError(c.name, 'was never made whole (a crash?): remove it');
    return editOfWorktree(c.worktree, c.gitDir, c.base, this.prefix, this.dir);
  }

  /**
   * Applies `changes` to `target` (the root or a candidate's `dir`) as one transaction: all or
   * nothing, journaled first, the bytes before kept for `restore`.
   */
  async apply(
    target: string,
    changes: readonly FileChange[],
    meta: ApplyMeta,
  ): Promise<ApplyResult> {
    const at = this.targetOf(target);
    return this.serial(() => runTransaction(this.context(), at, changes, meta, this.newApplyId()));
  }

  /** Writes the candidate's edit to the user's tree (after a person approved it). */
  async applyToTree(candidate: Candidate | string): Promise<ApplyResult> {
    const c = this.known(candidate);
    const edit = await this.editOf(c);
    if (edit.changes.length === 0) throw new CandidateError(c.name, 'has no changes to apply');
    return this.apply(this.root, edit.changes, { hash: edit.hash, stats: edit.stats });
  }

  /**
   * Brings back the bytes before the apply `applyId`, in a transaction of its own. Refused as a
   * conflict when a file is no longer as that apply left it, unless `force`.
   */
  restore(applyId: string, options: { force?: boolean } = {}): Promise<ApplyResult> {
    return this.serial(async () => {
      const plan = await restoreChanges(this.repo, this.events(), applyId, options.force ?? false);
      const id = this.newApplyId();
      if ('conflict' in plan) return plan.conflict(this.context(), id);
      return runTransaction(this.context(), plan.target, plan.changes, plan.meta, id, applyId);
    });
  }

  /** The workspace's events in its log, oldest first. */
  events(): WorkspaceEvent[] {
    return readWorkspaceEvents(this.log.file, this.id);
  }

  /** Closes the workspace's own log (a mission's log is its owner's to close). */
  close(): void {
    this.at.ownLog?.close();
  }

  private context(): TransactionContext {
    return {
      workspace: this.id,
      forbidden: [this.at.stateDir],
      repo: this.repo,
      log: this.log,
      now: this.at.now,
    };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private repoAt(): RepoAt {
    return this.kind === 'git' ? { cwd: this.top } : { gitDir: this.repo.gitDir };
  }

  private candidateFile(name: string): string {
    return join(this.dir, 'candidates', `${name}.json`);
  }

  private known(candidate: Candidate | string): Candidate {
    const name = typeof candidate === 'string' ? candidate : candidate.name;
    const c = this.candidate(name);
    if (!c) throw new CandidateError(name, 'is not a candidate of this workspace');
    return c;
  }

  /** The target's real path: the root or a candidate's dir, nothing else. */
  private targetOf(target: string): string {
    let real: string;
    try {
      real = realpathSync(target);
    } catch {
      throw new WorkspaceTargetError(target, this.root);
    }
    if (real === this.root) return real;
    for (const c of this.candidates())
      if (existsSync(c.dir) && realpathSync(c.dir) === real) return real;
    throw new WorkspaceTargetError(target, this.root);
  }

  private newApplyId(): string {
    return `${this.at.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  }
}

/**
 * The state dir's path relative to `top` when it is inside it (the default `.maestro` in the
 * repository): left out of bases and snapshots, and, in a repository, ignored (a `.gitignore` of
 * `*` in it) so the user's own `git status` does not show our worktrees.
 */
function stateDirInside(top: string, stateDir: string, kind: 'git' | 'folder'): string[] {
  const rel = relative(top, stateDir);
  if (rel === '') throw new WorkspaceOptionError('stateDir', stateDir, 'is the workspace root');
  if (rel.startsWith('..') || isAbsolute(rel)) return [];
  const ignore = join(stateDir, '.gitignore');
  if (kind === 'git' && !existsSync(ignore)) writeFileSync(ignore, '*\n');
  return [rel.split(sep).join('/')];
}

/** The root's real path, or a `WorkspaceRootError` saying what is wrong with it. */
function checkRoot(root: string): string {
  const fail = (problem: RootProblem, cause?: unknown): never => {
    throw new WorkspaceRootError(root, problem, { cause });
  };
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch (err) {
    fail('does not exist', err);
  }
  if (!isDir) fail('is not a directory');
  try {
    accessSync(root, constants.W_OK);
  } catch (err) {
    fail('is not writable', err);
  }
  return realpathSync(root);
}
