import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireStateLock, StateDirLockedError } from '../../log/stateLock.js';
import { tempDir } from '../helpers/missions.js';

describe('state directory lock', () => {
  it('should refuse a second owner while the first lives, saying who holds it', () => {
    const dir = tempDir();
    const lock = acquireStateLock(dir);
    expect(JSON.parse(readFileSync(lock.file, 'utf8'))).toMatchObject({
      pid: process.pid,
      host: hostname(),
    });
    let err: unknown;
    try {
      acquireStateLock(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDirLockedError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^state directory '${dir}' is in use by maestro pid ${process.pid} on ${hostname()} \\(since .+\\); stop it first, or use another --state-dir$`,
      ),
    );
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
    acquireStateLock(dir).release();
  });

  it('should take over the lock of a dead process (a crashed daemon), and a torn lock file', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'daemon.lock'),
      JSON.stringify({ pid: 999_999, host: hostname(), startedAt: 'then' }),
    );
    const lock = acquireStateLock(dir, (pid) => pid !== 999_999);
    expect(JSON.parse(readFileSync(lock.file, 'utf8')).pid).toBe(process.pid);
    lock.release();
    writeFileSync(join(dir, 'daemon.lock'), '{"pid": 12');
    acquireStateLock(dir).release();
  });
});
