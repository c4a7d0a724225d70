/**
 * Candidates: each in a worktree of its own (`git worktree add --detach`), checked out from a
 * base commit the user's tree is never touched to make. For a repository the base is HEAD plus
 * the user's uncommitted changes and untracked files (a copy of the user's index, `git add --all`
 * into the copy, `write-tree`, `commit-tree`: the user's index and refs stay as they were); for a
 * plain folder it is a snapshot in the private repository. A candidate's edit, however it was
 * made (our transaction or a coding CLI editing in place), is read back the same way: the
 * worktree's index copied, `git add --all` into the copy, then diffed against the base.
 */
import { copyFileSync, existsSync, lstatSync, readFileSync, rmSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import { catBlobs, git, GitError, gitText, type GitOptions } from './git.js';
import type { EditStats, FileChange } from './types.js';
import { CandidateError } from './workspaceErrors.js';

/** Where git runs for a workspace's repository: the user's (cwd) or the private one (gitDir). */
export type RepoAt = Pick<GitOptions, 'gitDir' | 'cwd'>;

/** What a candidate's worktree holds against its base. */
export interface CandidateEdit {
  /** `git diff --binary` of the base and the worktree, untracked files included. */
  diff: string;
  /** sha256 (hex) of `diff`. */
  hash: string;
  stats: EditStats;
  /** Each changed file, relative to the workspace root: before from the base, after on disk. */
  changes: FileChange[];
}

/** A scratch file for a temporary index. */
export function scratchPath(dir: string, what: string): string {
  return join(dir, `${what}-${randomBytes(6).toString('hex')}`);
}

/** The index git would use at `at` (absolute). */
async function indexPath(at: GitOptions): Promise<string> {
  const p = await gitText(['rev-parse', '--git-path', 'index'], at);
  return isAbsolute(p) ? p : join(at.cwd ?? process.cwd(), p);
}

/** Runs `body` with an index of its own: a copy of the one at `at` (none: empty). */
async function withIndexCopy<T>(
  at: GitOptions,
  scratch: string,
  body: (opts: GitOptions) => Promise<T>,
): Promise<T> {
  const tmp = scratchPath(scratch, 'index');
  const index = await indexPath(at);
  if (existsSync(index)) copyFileSync(index, tmp);
  try {
    return await body({ ...at, env: { ...at.env, GIT_INDEX_FILE: tmp } });
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * HEAD plus the uncommitted changes of the work tree at `top`, as a commit (HEAD if none);
 * `exclude` (paths relative to `top`: the state dir when it is inside) is left out.
 */
export async function baseOfRepo(
  top: string,
  scratch: string,
  exclude: readonly string[],
): Promise<string> {
  return withIndexCopy({ cwd: top }, scratch, async (opts) => {
    await git(['add', '--all', '--', '.', ...excludeSpecs(exclude)], opts);
    const tree = await gitText(['write-tree'], opts);
    const { stdout, code } = await git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], {
      ...opts,
      okCodes: [0, 1],
    });
    const head = code === 0 ? stdout.toString('utf8').trim() : undefined;
    if (head !== undefined && (await gitText(['rev-parse', `${head}^{tree}`], opts)) === tree)
      return head;
    const parent = head !== undefined ? ['-p', head] : [];
    const message = 'maestro: the work tree with its uncommitted changes';
    return gitText(['commit-tree', ...parent, '-m', message, tree], opts);
  });
}

/** Pathspecs that leave `paths` out of an `add` (the state dir inside the tree). */
export function excludeSpecs(paths: readonly string[]): string[] {
  return paths.map((p) => `:(exclude)${p}`);
}

/** Adds the worktree and returns its git dir (read before anything has run in it). */
export async function addWorktree(repo: RepoAt, dir: string, base: string): Promise<string> {
  await git(['worktree', 'add', '--detach', '--quiet', dir, base], repo);
  return gitText(['rev-parse', '--absolute-git-dir'], { cwd: dir });
}

/** Removes the worktree at `dir`; a folder git never finished registering (a crash) goes too. */
export async function removeWorktree(repo: RepoAt, dir: string): Promise<void> {
  if (existsSync(dir)) {
    try {
      await git(['worktree', 'remove', '--force', '--force', dir], repo);
    } catch (err) {
      if (!(err instanceof GitError)) throw err;
      rmSync(dir, { recursive: true, force: true });
    }
  }
  await git(['worktree', 'prune'], repo);
}

/**
 * The edit in the worktree `top` against `base`, limited to `prefix` (the workspace root's place
 * in its repository, '' for its top) and with paths relative to it.
 */
export async function editOfWorktree(
  top: string,
  gitDir: string,
  base: string,
  prefix: string,
  scratch: string,
): Promise<CandidateEdit> {
  // The git dir as recorded when the worktree was made, never the `.git` file in it: a command
  // run in the candidate could point that at a repository of its own whose config runs a filter.
  return withIndexCopy({ gitDir, workTree: top, cwd: top }, scratch, async (opts) => {
    await git(['add', '--all', '--', '.'], opts);
    const scope = prefix === '' ? [] : [`--relative=${prefix}`];
    const diffArgs = ['diff', '--cached', '--no-color', '--no-ext-diff', '--no-textconv', ...scope];
    const diff = (
      await git([...diffArgs, '--binary', '--full-index', base, '--', '.'], opts)
    ).stdout.toString('utf8');
    const numstat = (await gitText([...diffArgs, '--no-renames', '--numstat', base], opts))
      .split('\n')
      .filter(Boolean);
    let added = 0;
    let removed = 0;
    for (const l of numstat) {
      const [a, r] = l.split('\t');
      added += Number(a) || 0; // `-` for a binary file
      removed += Number(r) || 0;
    }
    const listed = (
      await git([...diffArgs, '--no-renames', '--name-status', '-z', base], opts)
    ).stdout
      .toString('utf8')
      .split('\0');
    const entries: { status: string; path: string }[] = [];
    for (let i = 0; i + 1 < listed.length; i += 2)
      entries.push({ status: listed[i]!, path: listed[i + 1]! });
    const befores = await catBlobs(
      entries.map((e) => `${base}:${prefix === '' ? e.path : `${prefix}/${e.path}`}`),
      opts,
    );
    const root = prefix === '' ? top : join(top, prefix);
    const changes = entries.map((e, i): FileChange => {
      const abs = join(root, e.path);
      let after: Buffer | null = null;
      if (e.status !== 'D') {
        if (!lstatSync(abs).isFile())
          throw new CandidateError(top, `'${e.path}' is not a regular file (a symlink?)`);
        after = readFileSync(abs);
      }
      return { path: e.path, before: e.status === 'A' ? null : (befores[i] ?? null), after };
    });
    const hash = createHash('sha256').update(diff).digest('hex');
    return { diff, hash, stats: { files: entries.length, added, removed }, changes };
  });
}
