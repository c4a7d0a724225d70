/**
 * The transaction half of `bench/applyEdit.ts` (issue 14's "Apply": time to check, apply and roll
 * back): the synthetic repository written to disk, as a real git repository or a plain folder, a
 * `Workspace` opened on it with a state dir of its own, then runs of plan on the disk tree
 * (`fsTree`), `ws.apply` (journal, backup in the private repository, every file written atomically
 * and fsynced) and `ws.restore` (the bytes before, in a transaction of its own). After each restore
 * the edited files must be byte for byte as they were, modes kept, their folder holding nothing
 * new; after the runs a git repository's `git status` must be clean. Any difference throws.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsTree } from '../workspace/fsTree.js';
import { planEdit } from '../workspace/planEdit.js';
import type { PathRules } from '../workspace/types.js';
import { Workspace } from '../workspace/workspace.js';

const IDENT = ['-c', 'user.name=bench', '-c', 'user.email=bench@example'];
const QUIET = ['-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null'];

function gitSync(cwd: string, args: string[]): string {
  return execFileSync('git', [...IDENT, ...QUIET, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Writes `files` (relative `/` paths) under `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
}

/** Makes `dir` a git repository with everything in it in one commit. */
export function gitRepo(dir: string): void {
  gitSync(dir, ['init', '--quiet']);
  gitSync(dir, ['add', '--all']);
  gitSync(dir, ['commit', '--quiet', '--no-verify', '-m', 'bench: the synthetic repository']);
}

/** The file system `dir` is on (`findmnt`, else `stat -f`), for the report: fsync is most of it. */
export function fsTypeOf(dir: string): string {
  for (const [cmd, args] of [
    ['findmnt', ['-n', '-o', 'FSTYPE', '-T', dir]],
    ['stat', ['-f', '-c', '%T', dir]],
  ] as const) {
    try {
      const out = execFileSync(cmd, args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      if (out.trim() !== '') return out.trim();
    } catch {
      // Not on this system: the next one.
    }
  }
  return 'unknown file system';
}

export interface TxRun {
  check: number;
  apply: number;
  restore: number;
}

export interface TxResult {
  kind: 'git' | 'folder';
  /** The first open (the private repository made; a folder snapshotted), in ms. */
  openFirst: number;
  /** Opened again on the same state dir (what each later command pays), in ms. */
  openAgain: number;
  runs: TxRun[];
  /** Bytes of the edit's files after (the first run's plan), for the report. */
  editedBytes: number;
}

export interface TxOptions {
  root: string;
  stateDir: string;
  kind: 'git' | 'folder';
  patch: string;
  rules: PathRules;
  /** The repository's files as written: the bytes every restore must bring back. */
  files: Record<string, string>;
  /** The paths the edit changes. */
  edited: readonly string[];
  addedLines: number;
  runs: number;
}

const ms = (t0: number) => performance.now() - t0;

/** Opens a workspace on `root` and times `runs` rounds of check, apply and roll back. */
export async function measureTransaction(o: TxOptions): Promise<TxResult> {
  const fail = (what: string): never => {
    throw new Error(`bench (${o.kind}): ${what}`);
  };
  const modes = new Map(o.edited.map((p) => [p, statSync(join(o.root, p)).mode]));
  const folders = [...new Set(o.edited.map((p) => dirname(p)))];
  const listing = (f: string) => readdirSync(join(o.root, f)).sort().join('\n');
  const listed = new Map(folders.map((f) => [f, listing(f)]));
  const wanted = [...o.edited].sort().join('\n');

  let t0 = performance.now();
  const first = await Workspace.open(o.root, { stateDir: o.stateDir });
  const openFirst = ms(t0);
  first.close();
  if (first.kind !== o.kind) fail(`the workspace is a ${first.kind}, not a ${o.kind}`);
  t0 = performance.now();
  const ws = await Workspace.open(o.root, { stateDir: o.stateDir });
  const openAgain = ms(t0);

  const runs: TxRun[] = [];
  let editedBytes = 0;
  try {
    for (let r = 0; r < o.runs; r++) {
      t0 = performance.now();
      const plan = planEdit({ format: 'unified_diff', patch: o.patch }, fsTree(o.root), o.rules);
      const check = ms(t0);
      if (!plan.ok) return fail(`run ${r + 1}: the diff did not plan: ${plan.message}`);
      const paths = plan.changes.map((c) => c.path).sort();
      if (paths.join('\n') !== wanted || plan.stats.added !== o.addedLines)
        fail(`run ${r + 1}: the plan is not the edit: ${JSON.stringify(plan.stats)}`);
      editedBytes = plan.changes.reduce((n, c) => n + (c.after?.length ?? 0), 0);

      t0 = performance.now();
      const applied = await ws.apply(o.root, plan.changes, { hash: plan.hash, stats: plan.stats });
      const apply = ms(t0);
      if (!applied.ok) return fail(`run ${r + 1}: apply failed: ${applied.message}`);
      for (const c of plan.changes)
        if (!c.after?.equals(readFileSync(join(o.root, c.path))))
          fail(`run ${r + 1}: '${c.path}' is not the plan's bytes after the apply`);

      t0 = performance.now();
      const restored = await ws.restore(applied.applyId);
      const restore = ms(t0);
      if (!restored.ok) return fail(`run ${r + 1}: restore failed: ${restored.message}`);
      for (const p of o.edited) {
        if (!readFileSync(join(o.root, p)).equals(Buffer.from(o.files[p]!)))
          fail(`run ${r + 1}: '${p}' is not byte-identical to before after the restore`);
        if (statSync(join(o.root, p)).mode !== modes.get(p))
          fail(`run ${r + 1}: '${p}' changed mode after the restore`);
      }
      for (const f of folders)
        if (listing(f) !== listed.get(f)) fail(`run ${r + 1}: '${f}' holds other files now`);
      runs.push({ check, apply, restore });
    }
  } finally {
    ws.close();
  }
  if (o.kind === 'git') {
    const status = gitSync(o.root, ['status', '--porcelain', '--untracked-files=all']);
    if (status !== '') fail(`git status is not clean after the runs:\n${status}`);
  }
  return { kind: o.kind, openFirst, openAgain, runs, editedBytes };
}
