/**
 * Which host paths a confined command sees, and how, in the order bwrap must mount them: the
 * hidden paths covered first, then the worktree bound read-write over them (it may sit inside the
 * state dir or the home), then what must stay read-only inside it (`.git`, the git dir: a planted
 * hook or `core.fsmonitor` would run on the host's next git command). Paths are resolved to their
 * real paths first: bwrap mounts on what a symlink points to, and `/var/run` is `/run`.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';
import { SandboxOptionError } from './errors.js';

export type Mount =
  /** An empty private tmpfs over a folder, remounted read-only once the mounts in it are made. */
  | { kind: 'tmpfs'; path: string }
  /** /dev/null over a file (or socket): unreadable, unconnectable. */
  | { kind: 'null'; path: string }
  | { kind: 'ro'; path: string }
  | { kind: 'rw'; path: string };

export interface MountRequest {
  /** The worktree, already resolved (`realWorktree`). */
  cwd: string;
  hide: readonly string[];
  readOnly: readonly string[];
  gitDir?: string;
  network: boolean;
}

/** The worktree as a real, absolute folder that is not `/`; otherwise a `SandboxOptionError`. */
export function realWorktree(cwd: string): string {
  if (typeof cwd !== 'string' || !isAbsolute(cwd))
    throw new SandboxOptionError('cwd', cwd, `expected an absolute path, got '${String(cwd)}'`);
  let real: string;
  try {
    real = realpathSync(cwd);
  } catch {
    throw new SandboxOptionError('cwd', cwd, `'${cwd}' does not exist`);
  }
  if (!statSync(real).isDirectory())
    throw new SandboxOptionError('cwd', cwd, `'${cwd}' is not a folder`);
  if (real === '/')
    throw new SandboxOptionError('cwd', cwd, "'/' cannot be the worktree: it would be writable");
  return real;
}

export function planMounts(req: MountRequest): Mount[] {
  const { cwd } = req;
  const all = existing(req.hide, 'hide').filter((p) => p !== cwd);
  // those inside the worktree are covered again after it is bound over the others
  const within = outermost(all.filter((p) => inside(p, cwd)));
  const outside = outermost(all.filter((p) => !inside(p, cwd)));
  const hidden = [...outside, ...within];
  const hideMount = (path: string): Mount =>
    statSync(path).isDirectory() ? { kind: 'tmpfs', path } : { kind: 'null', path };
  const mounts: Mount[] = [
    ...outside.map(hideMount),
    { kind: 'rw', path: cwd },
    ...within.map(hideMount),
    ...existing(req.readOnly, 'readOnly').map((path): Mount => ({ kind: 'ro', path })),
  ];
  const git = req.gitDir ? existing([req.gitDir], 'gitDir') : [];
  if (req.gitDir && git.length === 0)
    throw new SandboxOptionError('gitDir', req.gitDir, `'${req.gitDir}' does not exist`);
  // a worktree's `.git` file names its git dir: rewritten, it could point the host's git at hooks
  const dotGit = join(cwd, '.git');
  if (existsSync(dotGit)) git.push(realpathSync(dotGit));
  for (const path of new Set(git)) mounts.push({ kind: 'ro', path });
  if (req.network) {
    // /etc/resolv.conf often points into /run (systemd-resolved), hidden by default
    const resolv = existing(['/etc/resolv.conf'], 'network');
    for (const path of resolv)
      if (path !== '/etc/resolv.conf' && hidden.some((h) => inside(path, h) || path === h))
        mounts.push({ kind: 'ro', path });
  }
  return mounts;
}

/** Whether `path` is strictly below `dir`. */
export function inside(path: string, dir: string): boolean {
  return path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** Each path absolute (else a `SandboxOptionError` naming the option), resolved, and existing. */
function existing(paths: readonly string[], option: string): string[] {
  const out: string[] = [];
  paths.forEach((p, i) => {
    if (typeof p !== 'string' || !isAbsolute(p))
      throw new SandboxOptionError(
        `${option}[${i}]`,
        p,
        `expected an absolute path, got '${String(p)}'`,
      );
    try {
      out.push(realpathSync(p));
    } catch {
      // a path that does not exist has nothing to hide or expose
    }
  });
  return [...new Set(out)];
}

/** The paths not below another one of them (hiding /home hides /home/u). */
function outermost(paths: string[]): string[] {
  return paths.filter((p) => p !== '/' && !paths.some((q) => q !== p && inside(p, q)));
}
