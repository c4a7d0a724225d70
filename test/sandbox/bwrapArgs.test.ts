/**
 * The mounts a run asks bwrap for, and in which order (a hidden parent before the worktree bound
 * over it, `.git` read-only after it), and bwrap's arguments: the environment only in the bytes
 * for fd 3, never in an argv.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bwrapArgs } from '../../sandbox/bwrapArgs.js';
import { SandboxOptionError } from '../../sandbox/index.js';
import { planMounts } from '../../sandbox/mounts.js';

let root: string;
let state: string;
let worktree: string;

beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'maestro-mounts-')));
  state = join(root, 'state');
  worktree = join(state, 'wt', 'c1');
  mkdirSync(join(worktree, '.git'), { recursive: true });
  mkdirSync(join(worktree, 'secrets'));
  mkdirSync(join(state, 'wt', 'c2'));
  writeFileSync(join(state, 'daemon.sock'), '');
  symlinkSync(state, join(root, 'state-link'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('planMounts', () => {
  it('should hide before binding the worktree, and bind .git read-only after it', () => {
    const mounts = planMounts({
      cwd: worktree,
      hide: [
        join(root, 'state-link'),
        join(state, 'wt', 'c2'),
        join(worktree, 'secrets'),
        '/nonexistent',
      ],
      readOnly: [],
      network: false,
    });
    expect(mounts).toEqual([
      { kind: 'tmpfs', path: state },
      { kind: 'rw', path: worktree },
      { kind: 'tmpfs', path: join(worktree, 'secrets') },
      { kind: 'ro', path: join(worktree, '.git') },
    ]);
  });

  it('should cover a hidden file with /dev/null, and expose readOnly paths over the hidden ones', () => {
    const mounts = planMounts({
      cwd: worktree,
      hide: [join(state, 'daemon.sock')],
      readOnly: [join(state, 'wt', 'c2')],
      gitDir: join(worktree, '.git'),
      network: false,
    });
    expect(mounts).toEqual([
      { kind: 'null', path: join(state, 'daemon.sock') },
      { kind: 'rw', path: worktree },
      { kind: 'ro', path: join(state, 'wt', 'c2') },
      { kind: 'ro', path: join(worktree, '.git') },
    ]);
  });

  it('should name the option of a relative or missing path', () => {
    const req = { cwd: worktree, readOnly: [], network: false };
    expect(() => planMounts({ ...req, hide: ['/run', 'state'] })).toThrow(
      new SandboxOptionError('hide[1]', 'state', "expected an absolute path, got 'state'"),
    );
    expect(() => planMounts({ ...req, hide: [], gitDir: '/nonexistent/.git' })).toThrow(
      "sandbox.gitDir: '/nonexistent/.git' does not exist",
    );
  });
});

describe('bwrapArgs', () => {
  const plan = {
    cwd: '/w',
    mounts: [
      { kind: 'tmpfs', path: '/run' },
      { kind: 'rw', path: '/w' },
    ] as const,
    network: false,
    env: { PATH: '/usr/bin', OPENAI_API_KEY: 'sk-allowlisted-for-a-cli' },
    tmpfsBytes: 1000,
    command: ['/usr/bin/prlimit', '--', 'npm', 'test'],
  };

  it('should pass the options through fd 3 and keep only the command in argv', () => {
    const inv = bwrapArgs(plan);
    expect(inv.argv).toEqual(['--args', '3', '--', '/usr/bin/prlimit', '--', 'npm', 'test']);
    expect(inv.argv.join(' ')).not.toContain('sk-allowlisted');
    expect(inv.fd3.toString()).toBe(inv.options.map((o) => `${o}\0`).join(''));
    // biome-ignore format: one flag and its values a line
    expect(inv.options).toEqual([
      '--ro-bind', '/', '/',
      '--dev', '/dev',
      '--proc', '/proc',
      '--size', '1000', '--tmpfs', '/tmp',
      '--size', '1048576', '--tmpfs', '/run',
      '--bind', '/w', '/w',
      '--unshare-all', '--unshare-pid',
      '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
      '--clearenv',
      '--setenv', 'PATH', '/usr/bin',
      '--setenv', 'OPENAI_API_KEY', 'sk-allowlisted-for-a-cli',
      '--chdir', '/w',
      '--remount-ro', '/run',
    ]);
  });

  it('should share the network only when asked', () => {
    expect(bwrapArgs(plan).options).not.toContain('--share-net');
    expect(bwrapArgs({ ...plan, network: true }).options).toContain('--share-net');
  });
});
