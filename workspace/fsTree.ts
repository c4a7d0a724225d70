/**
 * The trees an edit is planned against: what `planEdit` may read. `memoryTree` is a map of paths
 * to bytes (tests, benches, a candidate's files already in memory); `fsTree` reads a real
 * directory and resolves its symlinks itself, component by component, so a dangling link or a
 * link to a file not yet written is followed too, never taken for a path inside the root.
 */
import { lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { PathResolver } from './paths.js';

/** What the planner reads: bytes by relative `/`-separated path, and how symlinks resolve. */
export interface EditTree extends PathResolver {
  /** The file's bytes, or undefined when no regular file is there. */
  read(path: string): Buffer | undefined;
  /** Whether anything is at the path (a directory too). Absent: `read(path) !== undefined`. */
  exists?(path: string): boolean;
}

/** A tree held in memory: no symlinks, nothing outside it. */
export function memoryTree(files: Record<string, string | Buffer>): EditTree {
  const map = new Map(
    Object.entries(files).map(([p, c]) => [p, typeof c === 'string' ? Buffer.from(c) : c]),
  );
  return {
    read: (p) => map.get(p),
    exists: (p) => map.has(p) || [...map.keys()].some((k) => k.startsWith(`${p}/`)),
  };
}

/** Links followed on one path before it is taken for a loop (Linux's own limit). */
const MAX_LINKS = 40;

/** A tree over a directory on disk. */
export function fsTree(root: string): EditTree {
  const realRoot = realpathSync(root);
  const abs = (p: string) => join(realRoot, ...p.split('/'));
  return {
    read(p) {
      const real = resolveInside(realRoot, p);
      if (real === null) return undefined;
      try {
        return lstatSync(abs(real)).isFile() ? readFileSync(abs(real)) : undefined;
      } catch {
        return undefined;
      }
    },
    exists(p) {
      try {
        lstatSync(abs(p));
        return true;
      } catch {
        return false;
      }
    },
    realpath: (p) => resolveInside(realRoot, p),
  };
}

/** `rel` resolved under `realRoot`, every symlink on the way followed; null when it leaves. */
export function resolveInside(realRoot: string, rel: string): string | null {
  let cur = realRoot;
  const queue = rel.split('/');
  let links = 0;
  while (queue.length > 0) {
    const part = queue.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      cur = dirname(cur);
      continue;
    }
    const next = join(cur, part);
    let isLink = false;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch {
      // Not there (yet): the rest is taken as written.
    }
    if (!isLink) {
      cur = next;
      continue;
    }
    if (++links > MAX_LINKS) return null;
    const target = readlinkSync(next);
    if (isAbsolute(target)) cur = '/';
    queue.unshift(...target.split('/'));
  }
  if (cur === realRoot) return null;
  const out = relative(realRoot, cur);
  if (out === '..' || out.startsWith(`..${sep}`) || isAbsolute(out)) return null;
  return out.split(sep).join('/');
}
