/**
 * runSandboxed against the real bubblewrap: what a run returns (exit, signal, not found, killed
 * and why, tails), the limits (wall clock, output cap, address space, pids), the refusals
 * (a command that is not argv, a worktree that is not one), a sandbox that cannot start, and the
 * explicit unconfined mode.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CommandNotArgvError,
  probeSandbox,
  runSandboxed,
  SandboxOptionError,
  SandboxUnavailableError,
} from '../../sandbox/index.js';
import { createPidsCgroup } from '../../sandbox/pidsCgroup.js';

const NODE = process.execPath;
const PYTHON = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));
const GIB = 1024 ** 3;
let cwd: string;

beforeAll(() => {
  cwd = realpathSync(mkdtempSync(join(tmpdir(), 'maestro-sandbox-')));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('runSandboxed', () => {
  it('should run argv in the worktree, which it may write', async () => {
    const r = await runSandboxed({ argv: ['/bin/sh', '-c', 'pwd; echo made > out.txt'], cwd });
    expect(r).toMatchObject({ exitCode: 0, signal: null, sandbox: 'bwrap', truncated: false });
    expect(r.stdoutTail).toBe(`${cwd}\n`);
    expect(r.outputBytes).toBe(cwd.length + 1);
    expect(readFileSync(join(cwd, 'out.txt'), 'utf8')).toBe('made\n');
  });

  it('should give a command reading stdin an empty one, never a hang', async () => {
    const r = await runSandboxed({ argv: ['cat'], cwd, timeoutMs: 5000 });
    expect(r).toMatchObject({ exitCode: 0, stdoutTail: '' });
  });

  it('should point a hidden HOME at the private /tmp', async () => {
    const r = await runSandboxed({
      argv: ['/bin/sh', '-c', 'echo $HOME; touch "$HOME/cache" && echo ok'],
      cwd,
    });
    expect(r.stdoutTail).toBe('/tmp\nok\n');
  });

  it('should refuse a command that is not argv, naming what it got', async () => {
    const cases: [unknown, string][] = [
      [
        'npm test',
        `argv: expected argv (a list), not a shell string: 'npm test'; write ["npm", "test"]`,
      ],
      [[], 'argv: expected argv with at least the command, got []'],
      [['node', 1], 'argv: expected argv of strings, got number at [1]'],
      [[''], 'argv: expected a command at [0], got an empty string'],
      [['echo', 'a\0b'], 'argv: expected argv without NUL bytes, found one at [1]'],
    ];
    for (const [argv, message] of cases) {
      const run = runSandboxed({ argv: argv as string[], cwd });
      await expect(run).rejects.toThrow(CommandNotArgvError);
      await expect(run).rejects.toThrow(message);
    }
  });

  it('should refuse a worktree that is missing, relative or /', async () => {
    const cases: [string, string][] = [
      ['/nonexistent/maestro', "sandbox.cwd: '/nonexistent/maestro' does not exist"],
      ['relative/dir', "sandbox.cwd: expected an absolute path, got 'relative/dir'"],
      ['/', "sandbox.cwd: '/' cannot be the worktree: it would be writable"],
    ];
    for (const [dir, message] of cases) {
      const run = runSandboxed({ argv: ['true'], cwd: dir });
      await expect(run).rejects.toThrow(SandboxOptionError);
      await expect(run).rejects.toThrow(message);
    }
  });

  it('should name a limit that is not a positive integer', async () => {
    await expect(runSandboxed({ argv: ['true'], cwd, timeoutMs: 0 })).rejects.toThrow(
      'sandbox.timeoutMs: expected a positive integer up to 2147483647, got 0',
    );
    await expect(runSandboxed({ argv: ['true'], cwd, maxOutputBytes: 1.5 })).rejects.toThrow(
      'sandbox.maxOutputBytes: expected a positive integer, got 1.5',
    );
  });

  it('should report a command not found inside as exit 127, notFound', async () => {
    const r = await runSandboxed({ argv: ['maestro-no-such-command'], cwd, timeoutMs: 5000 });
    expect(r).toMatchObject({ exitCode: 127, notFound: true });
    expect(r.stderrTail).toContain('maestro-no-such-command: No such file or directory');
  });

  it('should read a signal death back from exit 128+N', async () => {
    const r = await runSandboxed({ argv: ['/bin/sh', '-c', 'kill -TERM $$'], cwd });
    expect(r).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    expect(r.killed).toBeUndefined();
  });

  it('should kill at the wall clock and say so, near the limit', async () => {
    const r = await runSandboxed({ argv: ['sleep', '30'], cwd, timeoutMs: 400 });
    expect(r).toMatchObject({ killed: 'timeout', exitCode: null, signal: 'SIGKILL' });
    expect(r.durationMs).toBeGreaterThanOrEqual(400);
    expect(r.durationMs).toBeLessThan(1400);
  });

  it('should return when the command exits, its background children gone with it', async () => {
    const marker = `63.${process.pid}`;
    const r = await runSandboxed({ argv: ['/bin/sh', '-c', `sleep ${marker} & echo done`], cwd });
    expect(r).toMatchObject({ exitCode: 0, stdoutTail: 'done\n' });
    expect(r.durationMs).toBeLessThan(2000);
    expect(spawnSync('pgrep', ['-f', `sleep ${marker}`]).status).toBe(1);
  });

  it('should kill when aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const r = await runSandboxed({ argv: ['sleep', '30'], cwd, signal: controller.signal });
    expect(r.killed).toBe('aborted');
    expect(r.durationMs).toBeLessThan(1500);
  });

  it('should keep the last bytes of each stream and say they are cut', async () => {
    const r = await runSandboxed({
      argv: ['/bin/sh', '-c', 'seq 1 3000; echo oops >&2'],
      cwd,
      tailBytes: 100,
    });
    expect(r.stdoutTail.endsWith('2999\n3000\n')).toBe(true);
    expect(Buffer.byteLength(r.stdoutTail)).toBeLessThanOrEqual(100);
    expect(r).toMatchObject({ stderrTail: 'oops\n', truncated: true });
    expect(r).not.toHaveProperty('killed');
  });

  it('should stop node past its address space, and let node run under the default 4 GiB', async () => {
    const big = await runSandboxed({
      argv: [NODE, '-e', 'Buffer.alloc(3 * 1024 ** 3); console.log("allocated")'],
      cwd,
      memoryBytes: 2 * GIB,
    });
    expect(big).toMatchObject({ killed: 'memory', exitCode: 1 });
    expect(big.stdoutTail).toBe('');
    const small = await runSandboxed({ argv: [NODE, '-e', 'console.log(1 + 1)'], cwd });
    expect(small).toMatchObject({ exitCode: 0, stdoutTail: '2\n' });
  });

  it.skipIf(!PYTHON)('should stop python past its address space', async () => {
    const r = await runSandboxed({
      argv: [PYTHON!, '-c', 'bytearray(3 * 1024 ** 3)'],
      cwd,
      memoryBytes: 2 * GIB,
    });
    expect(r).toMatchObject({ killed: 'memory', exitCode: 1 });
    expect(r.stderrTail).toContain('MemoryError');
  });

  it.skipIf(!pidsCgroupWorks())(
    'should hold a fork bomb to pidsLimit and remove its cgroup',
    async () => {
      const r = await runSandboxed({
        argv: ['/bin/sh', '-c', 'for i in $(seq 40); do sleep 1 & done; wait'],
        cwd,
        pidsLimit: 16,
      });
      expect(r.stderrTail).toMatch(/fork/i);
      expect(r.durationMs).toBeLessThan(5000);
      expect(leftCgroups()).toEqual([]);
    },
  );
});

describe('when the sandbox cannot start', () => {
  it('should throw SandboxUnavailableError saying how to install bubblewrap', async () => {
    const run = runSandboxed({ argv: ['true'], cwd, bwrapPath: '/nonexistent/bwrap' });
    await expect(run).rejects.toThrow(SandboxUnavailableError);
    await expect(run).rejects.toThrow(
      "sandbox unavailable: bwrap at '/nonexistent/bwrap': not found (ENOENT); install bubblewrap (apt-get install bubblewrap) and check that `bwrap --ro-bind / / --unshare-all true` runs. Never run unsandboxed silently: set sandbox 'none' only on a trusted machine (a warning on every run)",
    );
  });

  it('should say what failed when bwrap does not work', async () => {
    await expect(probeSandbox({ bwrapPath: '/bin/false' })).rejects.toThrow(
      "sandbox unavailable: bwrap at '/bin/false': confined 'true' exited 1: no output;",
    );
    await expect(probeSandbox()).resolves.toBeUndefined();
  });
});

describe("sandbox: 'none'", () => {
  it('should run unconfined only when asked, warning on every run', async () => {
    const warnings: string[] = [];
    const run = {
      argv: ['/bin/sh', '-c', 'echo $MAESTRO_SEEN; cat /proc/1/cmdline >/dev/null && echo host'],
      cwd,
    };
    for (let i = 0; i < 2; i++) {
      const r = await runSandboxed({
        ...run,
        sandbox: 'none',
        warn: (m) => warnings.push(m),
        hostEnv: { PATH: process.env.PATH, MAESTRO_SEEN: 'no' },
        env: ['PATH'],
      });
      expect(r).toMatchObject({ exitCode: 0, sandbox: 'none', stdoutTail: '\nhost\n' });
    }
    expect(warnings).toEqual([
      `sandbox 'none': '/bin/sh' runs unconfined in '${cwd}': it can read every file and key this user can, write outside the worktree and reach the network`,
      `sandbox 'none': '/bin/sh' runs unconfined in '${cwd}': it can read every file and key this user can, write outside the worktree and reach the network`,
    ]);
  });

  it('should still kill its process group at the timeout', async () => {
    const marker = `62.${process.pid}`;
    const r = await runSandboxed({
      argv: ['/bin/sh', '-c', `sleep ${marker} & echo started; wait`],
      cwd,
      sandbox: 'none',
      warn: () => {},
      timeoutMs: 300,
    });
    expect(r).toMatchObject({ killed: 'timeout', stdoutTail: 'started\n' });
    expect(spawnSync('pgrep', ['-f', `sleep ${marker}`]).status).toBe(1);
  });
});

function pidsCgroupWorks(): boolean {
  try {
    void createPidsCgroup(4).release();
    return true;
  } catch {
    return false;
  }
}

function leftCgroups(): string[] {
  try {
    return readdirSync('/sys/fs/cgroup/pids').filter((d) =>
      d.startsWith(`maestro-sandbox-${process.pid}-`),
    );
  } catch {
    return [];
  }
}
