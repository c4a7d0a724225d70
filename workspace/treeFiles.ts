/**
 * The file operations of a transaction, all synchronous so an apply runs in one turn of the event
 * loop: a path resolved inside its target (symlinks followed with realpath and refused when they
 * leave it, `..`, absolute paths and `.git` refused), the bytes on disk compared, and a file
 * replaced atomically (a temp file beside it, fsynced, renamed over it: a reader or a crash sees
 * the old bytes or the new, never half). Permission bits of a replaced file are kept.
 */
import {
  closeSync,
  fsyncSync,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';

/** A path refused, and why (`path_refused`). */
export interface PathRefusal {
  path: string;
  message: string;
}

/** A change's path resolved: relative to the target's real path, and absolute. */
export interface ResolvedPath {
  rel: string;
  abs: string;
}

function refuse(path: string, why: string): PathRefusal {
  return { path, message: `'${path}' ${why}` };
}

/** The real path of `abs`, its missing tail kept as written: `/r/link/new.txt` → `/real/new.txt`. */
function realOf(abs: string): string {
  const missing: string[] = [];
  let at = abs;
  for (;;) {
    try {
      return join(realpathSync(at), ...missing);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: a file where a folder will be (a file this edit may delete first).
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(at) === at) throw err;
      // A dangling symlink is not a missing file: it would be written through.
      if (isSymlink(at)) throw Object.assign(new Error('a dangling symlink'), { code: 'ELOOP' });
      missing.unshift(basename(at));
      at = dirname(at);
    }
  }
}

function isSymlink(abs: string): boolean {
  try {
    return lstatSync(abs).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Where `path` is inside `targetReal` (the target's realpath), or why it is refused. */
export function resolveInside(targetReal: string, path: string): ResolvedPath | PathRefusal {
  if (path === '' || path.includes('\0')) return refuse(path, 'is not a path');
  if (path.startsWith('/')) return refuse(path, 'is absolute');
  const parts = path.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..'))
    return refuse(path, "has an empty, '.' or '..' segment");
  if (parts.some((p) => p.toLowerCase() === '.git')) return refuse(path, 'is inside .git');
  let real: string;
  try {
    real = realOf(join(targetReal, ...parts));
  } catch (err) {
    return refuse(path, `cannot be resolved (${(err as Error).message})`);
  }
  const rel = relative(targetReal, real);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || rel.startsWith(sep))
    return refuse(path, `resolves to '${real}', outside '${targetReal}'`);
  const relParts = rel.split(sep);
  if (relParts.some((p) => p.toLowerCase() === '.git'))
    return refuse(path, `resolves to '${rel}', inside .git`);
  return { rel: relParts.join('/'), abs: real };
}

/** The bytes at `abs`, null when there is no file; a folder in the way is `'folder'`. */
export function readCurrent(abs: string): Buffer | null | 'folder' {
  try {
    return readFileSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'EISDIR') return 'folder';
    throw err;
  }
}

/** The permission bits of the file at `abs`, if there is one. */
export function modeOf(abs: string): number | undefined {
  try {
    return statSync(abs).mode & 0o7777;
  } catch {
    return undefined;
  }
}

/** Whether what is on disk is `expected` (null: no file). */
export function sameBytes(current: Buffer | null | 'folder', expected: Buffer | null): boolean {
  if (current === 'folder') return false;
  if (current === null || expected === null) return current === expected;
  return current.equals(expected);
}

/** The temp file a transaction writes beside `abs` before renaming it over: short, and findable. */
export function tempPathFor(abs: string, applyId: string, index: number): string {
  return join(dirname(abs), `.maestro-${applyId}-${index}.tmp`);
}

/** Replaces (or creates) the file at `abs` with `bytes`, atomically; folders made as needed. */
export function writeAtomic(abs: string, bytes: Buffer, tmp: string, mode?: number): void {
  mkdirSync(dirname(abs), { recursive: true });
  const fd = openSync(tmp, 'w', mode ?? 0o666);
  try {
    if (mode !== undefined) fchmodSync(fd, mode);
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, abs);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Deletes the file at `abs` (gone already is fine), then the folders it leaves empty, up to `stop`. */
export function removeFile(abs: string, stop: string): void {
  try {
    unlinkSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
  }
  for (let dir = dirname(abs); dir !== stop && dir.startsWith(stop + sep); dir = dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty (or not ours to remove): git would leave it too
    }
  }
}

/** Makes renames and unlinks in these folders durable (an fsync of each folder). */
export function syncFolders(dirs: Iterable<string>): void {
  for (const dir of new Set(dirs)) {
    let fd: number;
    try {
      fd = openSync(dir, 'r');
    } catch {
      continue; // removed as emptied
    }
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** `abs`'s folder and each above it up to `stop`: where a new file's entries are. */
export function foldersUpTo(abs: string, stop: string): string[] {
  const out: string[] = [];
  for (let dir = dirname(abs); dir === stop || dir.startsWith(stop + sep); dir = dirname(dir)) {
    out.push(dir);
    if (dir === stop) break;
  }
  return out;
}

/** Removes the temp files a transaction cut short left in `dirs`. */
export function removeTemps(dirs: Iterable<string>, applyId: string): void {
  const prefix = `.maestro-${applyId}-`;
  for (const dir of new Set(dirs)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names)
      if (n.startsWith(prefix) && n.endsWith('.tmp')) rmSync(join(dir, n), { force: true });
  }
}
