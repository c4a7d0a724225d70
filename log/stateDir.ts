/**
 * The first write to a state directory, checked before anything else is: `maestro daemon` and
 * `maestro run` create their lock, logs and keys there, so a directory they cannot create or
 * write (read-only file system, no permission, a file in the way, a full disk) is the user's
 * to fix, said once with the directory and what was needed, not a stack trace from the first
 * `open` that happened to fail.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../kernel/errors.js';

/** Error codes a user can fix by choosing or repairing the directory. */
const USER_FIXABLE = new Set([
  'EROFS',
  'EACCES',
  'EPERM',
  'ENOTDIR',
  'EEXIST',
  'ENOSPC',
  'EDQUOT',
  'ENOENT',
  'ELOOP',
  'ENAMETOOLONG',
]);

/** What each code means, in words. */
const WORDS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a file is in the way',
  EEXIST: 'a file is in the way',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such directory',
};

export class StateDirError extends UserError {
  override name = 'StateDirError';
  constructor(
    readonly stateDir: string,
    readonly code: string,
    readonly needed: string,
    options?: ErrorOptions,
  ) {
    super(
      `cannot write the state directory '${stateDir}' (${code}: ${WORDS[code] ?? 'error'}): maestro needs to ${needed} there; choose another with --state-dir`,
      options,
    );
  }
}

/**
 * Creates the directory (and its `missions/` folder) and proves it writable with a probe file.
 * Throws `StateDirError` for what a user can fix; anything else as it is.
 */
export function ensureStateDir(stateDir: string, needed: string): void {
  const abs = resolve(stateDir);
  try {
    mkdirRecursive(join(abs, 'missions'));
    const probe = join(abs, `.write-probe-${process.pid}`);
    writeFileSync(probe, 'ok');
    rmSync(probe, { force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== undefined && USER_FIXABLE.has(code))
      throw new StateDirError(abs, code, needed, { cause: err });
    throw err;
  }
}

/**
 * `mkdirSync(dir, {recursive: true})`, but failing with the real cause: Node's recursive mkdir
 * says ENOENT on a read-only file system, so the first missing ancestor is made on its own to
 * learn why.
 */
function mkdirRecursive(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    let first = dir;
    while (!existsSync(dirname(first)) && dirname(first) !== first) first = dirname(first);
    mkdirSync(first); // throws the real error (EROFS, EACCES…), or succeeds and the retry goes on
    mkdirSync(dir, { recursive: true });
  }
}
