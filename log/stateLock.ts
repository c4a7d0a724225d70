/**
 * One owner per state directory: `<stateDir>/daemon.lock`, created exclusively, holding the
 * owner's pid and host. A lock whose process is gone (a crashed daemon) is taken over, so a crash
 * never leaves the directory stuck; a live owner makes the second one refuse, saying who holds it.
 */
import {
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../kernel/errors.js';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export class StateDirLockedError extends UserError {
  override name = 'StateDirLockedError';
  constructor(
    readonly stateDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `state directory '${stateDir}' is in use by maestro pid ${owner.pid} on ${owner.host} (since ${owner.startedAt}); stop it first, or use another --state-dir`,
    );
  }
}

export interface StateLock {
  readonly file: string;
  release(): void;
}

/** Whether `pid` is a live process here (signal 0 checks without signalling). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireStateLock(
  stateDir: string,
  isAlive: (pid: number) => boolean = alive,
): StateLock {
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, 'daemon.lock');
  const me: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      return {
        file,
        release() {
          try {
            const owner = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
            if (owner.pid === me.pid && owner.host === me.host) unlinkSync(file);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner: LockOwner | undefined;
    try {
      owner = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    } catch {
      owner = undefined; // torn or empty: its writer died mid-write
    }
    if (owner && (owner.host !== me.host || isAlive(owner.pid)))
      throw new StateDirLockedError(stateDir, owner);
    // Stale: move it aside (atomic; of two takers only one rename finds it), then try again.
    try {
      renameSync(file, `${file}.stale-${process.pid}`);
      unlinkSync(`${file}.stale-${process.pid}`);
    } catch {
      // Another process took it over first; the next attempt sees its lock.
    }
  }
  throw new Error(`cannot take the lock ${file}: it keeps changing hands`);
}
