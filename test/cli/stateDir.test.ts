import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/missions.js';

const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', ['-l', m]);
});

/** A read-only file system at a fresh directory: a tmpfs mounted `ro` (root can write through chmod, not through this). */
function readOnlyDir(): string {
  const dir = tempDir('maestro-ro-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(
      `this test needs to mount a read-only tmpfs (as root): ${String((err as { stderr?: Buffer }).stderr ?? err)}`,
    );
  }
  mounts.push(dir);
  return dir;
}

function maestro(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, ['cli/dev.js', ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('a state directory maestro cannot write', () => {
  it('should make maestro run and maestro daemon exit 2 naming a read-only directory, with no stack trace', () => {
    const state = join(readOnlyDir(), 'state');
    const run = maestro(['run', 'examples/hello.yaml', '--state-dir', state]);
    expect(run.stderr).toBe(
      `maestro: cannot write the state directory '${state}' (EROFS: read-only file system): maestro needs to write the mission's event log there; choose another with --state-dir\n`,
    );
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    const daemon = maestro(['daemon', '--state-dir', state, '--listen', '127.0.0.1:0']);
    expect(daemon.stderr).toContain(
      `maestro: cannot write the state directory '${state}' (EROFS: read-only file system): maestro needs to create its lock, mission logs and keys there; choose another with --state-dir`,
    );
    expect(daemon.stderr).not.toMatch(/\n\s+at /);
    expect(daemon.status).toBe(2);
  });

  it('should say so when a file stands where the directory should be', () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    const run = maestro(['run', 'examples/hello.yaml', '--state-dir', join(file, 'state')]);
    expect(run.stderr).toMatch(
      /^maestro: cannot write the state directory '.*not-a-dir\/state' \((ENOTDIR|EEXIST): a file is in the way\)/,
    );
    expect(run.status).toBe(2);
  });

  it('should still run in a state directory that exists and is writable', () => {
    const state = tempDir();
    mkdirSync(join(state, 'missions'), { recursive: true });
    const run = maestro(['run', 'examples/hello.yaml', '--quiet', '--state-dir', state]);
    expect(run.status).toBe(0);
  });
});
