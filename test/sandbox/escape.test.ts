/**
 * Escape attempts against the real bubblewrap sandbox, each asserted to fail inside it: writing
 * outside the worktree, reading a key from Maestro's environment, reaching a server on the host's
 * 127.0.0.1 or its Unix socket, leaving a process behind after the timeout, flooding the output.
 * Every attempt is made three ways (bash, `node -e`, `python3 -c`), and each payload also prints
 * a marker proving it ran, so a payload that silently did nothing cannot pass.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSandboxed, type SandboxRun } from '../../sandbox/index.js';

const SECRET = 'sk-test-secret';
const PYTHON = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));
const NODE = process.execPath;

let root: string;
let stateDir: string;
let worktree: string;
let otherWorktree: string;
let fakeHome: string;
let base: Omit<SandboxRun, 'argv'>;
let savedKey: string | undefined;
const id = `${process.pid}${Date.now() % 100000}`;
const homeTarget = join(homedir(), `maestro-escape-${id}`);

beforeAll(() => {
  savedKey = process.env.OPENAI_API_KEY;
  process.env.OPENAI_API_KEY = SECRET;
  root = realpathSync(mkdtempSync(join(tmpdir(), 'maestro-escape-')));
  stateDir = join(root, 'state');
  // as in a mission: the candidate worktrees live in the state dir, which holds the keys file
  worktree = join(stateDir, 'worktrees', 'candidate-1');
  otherWorktree = join(stateDir, 'worktrees', 'candidate-2');
  fakeHome = join(root, 'home');
  for (const d of [worktree, otherWorktree, fakeHome]) mkdirSync(d, { recursive: true });
  writeFileSync(join(stateDir, 'keys.json'), `{"key":"${SECRET}-state"}`);
  writeFileSync(join(otherWorktree, 'answer.txt'), `${SECRET}-other-worktree`);
  writeFileSync(join(fakeHome, '.netrc'), `password ${SECRET}-home`);
  execFileSync('git', ['init', '-q', worktree]);
  base = {
    cwd: worktree,
    hide: [stateDir],
    hostEnv: { ...process.env, HOME: fakeHome },
    timeoutMs: 10_000,
  };
});

afterAll(() => {
  if (savedKey === undefined) delete process.env.OPENAI_API_KEY;
  else process.env.OPENAI_API_KEY = savedKey;
  rmSync(root, { recursive: true, force: true });
  rmSync(homeTarget, { force: true });
});

type Lang = 'bash' | 'node' | 'python3';
const langs: Lang[] = ['bash', 'node', 'python3'];

/** argv running `code` in `lang` with `args` (bash's $1.., node's argv[1].., python's argv[1]..). */
function payload(lang: Lang, code: string, args: string[] = []): string[] {
  if (lang === 'bash') return ['/bin/bash', '-c', code, 'bash', ...args];
  if (lang === 'node') return [NODE, '-e', code, ...args];
  return [PYTHON!, '-c', code, ...args];
}

function skipWithoutPython(lang: Lang): boolean {
  // python3 outside the home: the one under ~/.pyenv is hidden in the sandbox like the rest of it
  return lang === 'python3' && !PYTHON;
}

const WRITE = {
  bash: 'for p in "$@"; do if echo x > "$p"; then echo "$p: written"; else echo "$p: refused"; fi; done',
  node: "for (const p of process.argv.slice(1)) { try { require('fs').writeFileSync(p, 'x'); console.log(p + ': written'); } catch (e) { console.log(p + ': refused ' + e.code); } }",
  python3:
    "import sys\nfor p in sys.argv[1:]:\n  try:\n    open(p, 'w').write('x'); print(p + ': written')\n  except OSError as e:\n    print(p + ': refused', e.errno)",
};

describe('escape attempts inside the sandbox', () => {
  describe.each(langs)('%s', (lang) => {
    it.skipIf(skipWithoutPython(lang))(
      'should refuse writes to /etc, the home, the state dir, another worktree and .git',
      async () => {
        const outside = [
          `/etc/maestro-escape-${id}`,
          homeTarget,
          join(fakeHome, 'planted'),
          join(stateDir, 'planted'),
          join(otherWorktree, 'planted'),
          join(worktree, '.git', 'hooks', 'post-checkout'),
          join(worktree, '.git', 'config'),
        ];
        const inside = join(worktree, `inside-${lang}.txt`);
        const r = await runSandboxed({
          ...base,
          argv: payload(lang, WRITE[lang], [...outside, inside]),
        });
        expect(r.stdoutTail).toContain(`${inside}: written`);
        for (const p of outside) expect(r.stdoutTail).toContain(`${p}: refused`);
        for (const p of outside.slice(0, 5)) expect(existsSync(p), p).toBe(false);
        expect(existsSync(join(worktree, '.git', 'hooks', 'post-checkout'))).toBe(false);
        expect(existsSync(inside)).toBe(true);
      },
    );

    it.skipIf(skipWithoutPython(lang))(
      'should not show the API key in env, /proc/1/environ, /proc/1/cmdline or hidden files',
      async () => {
        const files = [
          '/proc/1/environ',
          '/proc/1/cmdline',
          '/proc/self/environ',
          join(stateDir, 'keys.json'),
          join(otherWorktree, 'answer.txt'),
          join(fakeHome, '.netrc'),
        ];
        const code = {
          bash: 'echo "env: $(env | tr "\\n" " ")"; for f in "$@"; do echo "$f: $(tr "\\0" " " < "$f")"; done',
          node: "console.log('env: ' + JSON.stringify(process.env)); for (const f of process.argv.slice(1)) { try { console.log(f + ': ' + require('fs').readFileSync(f, 'latin1')); } catch (e) { console.log(f + ': ' + e.code); } }",
          python3:
            "import os, sys\nprint('env:', dict(os.environ))\nfor f in sys.argv[1:]:\n  try: print(f + ':', open(f, 'rb').read())\n  except OSError as e: print(f + ':', e.errno)",
        }[lang];
        const r = await runSandboxed({ ...base, argv: payload(lang, code, files) });
        expect(r.stdoutTail).toMatch(/env: .*PATH/);
        expect(r.stdoutTail).toContain('/proc/1/cmdline:');
        expect(`${r.stdoutTail}${r.stderrTail}`).not.toContain(SECRET);
        expect(r.stdoutTail).not.toContain('OPENAI_API_KEY');
      },
    );

    it.skipIf(skipWithoutPython(lang))(
      "should not reach a TCP server on the host's 127.0.0.1, and reach it with network: true",
      async () => {
        const { server, port, connections } = await tcpServer();
        try {
          const code = {
            bash: 'if exec 3<>/dev/tcp/127.0.0.1/$1; then read -r line <&3; echo "connected $line"; else echo refused; fi',
            node: "const s = require('net').connect(+process.argv[1], '127.0.0.1'); s.on('data', (d) => { console.log('connected ' + d); s.destroy(); }); s.on('error', (e) => console.log('refused ' + e.code));",
            python3:
              "import socket, sys\ntry:\n  s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=3); print('connected', s.recv(64).decode())\nexcept OSError as e:\n  print('refused', e.errno)",
          }[lang];
          const argv = payload(lang, code, [String(port)]);
          const confined = await runSandboxed({ ...base, argv });
          expect(confined.stdoutTail).toContain('refused');
          expect(connections()).toBe(0);
          const shared = await runSandboxed({ ...base, argv, network: true });
          expect(shared.stdoutTail).toContain('connected hello-from-host');
          expect(connections()).toBe(1);
        } finally {
          server.close();
        }
      },
    );

    it.skipIf(skipWithoutPython(lang))(
      'should leave no process behind after the timeout (sleep &, setsid, double fork)',
      async () => {
        const marker = `61.${id}${langs.indexOf(lang)}`;
        const code = {
          bash: 'sleep $1 & setsid sleep $1 & ( sleep $1 & ) ; echo started; wait',
          node: "const { spawn } = require('child_process'); const x = process.argv[1]; spawn('sleep', [x], { detached: true, stdio: 'ignore' }).unref(); spawn('sleep', [x], { stdio: 'ignore' }); console.log('started'); setInterval(() => {}, 1000);",
          python3:
            "import os, subprocess, sys, time\nx = sys.argv[1]\nsubprocess.Popen(['sleep', x], start_new_session=True)\nif os.fork() == 0:\n  if os.fork() == 0: os.execvp('sleep', ['sleep', x])\n  os._exit(0)\nprint('started', flush=True)\ntime.sleep(60)",
        }[lang];
        const r = await runSandboxed({
          ...base,
          argv: payload(lang, code, [marker]),
          timeoutMs: 1500,
        });
        expect(r.stdoutTail).toContain('started');
        expect(r.killed).toBe('timeout');
        expect(r.durationMs).toBeGreaterThanOrEqual(1500);
        expect(r.durationMs).toBeLessThan(3000);
        expect(survivors(`sleep ${marker}`)).toEqual([]);
      },
    );

    it.skipIf(skipWithoutPython(lang))(
      'should kill a command writing past the output cap',
      async () => {
        const code = {
          bash: 'echo started; while :; do printf "%01000d\\n" 0; done',
          node: "console.log('started'); const line = '0'.repeat(1000) + '\\n'; const w = () => { while (process.stdout.write(line)); process.stdout.once('drain', w); }; w();",
          python3:
            "import sys\nprint('started', flush=True)\nwhile True: sys.stdout.write('0' * 1000 + '\\n')",
        }[lang];
        const r = await runSandboxed({
          ...base,
          argv: payload(lang, code),
          maxOutputBytes: 64 * 1024,
        });
        expect(r.killed).toBe('output_cap');
        expect(r.truncated).toBe(true);
        expect(r.outputBytes).toBe(64 * 1024);
        expect(r.durationMs).toBeLessThan(5000);
      },
    );
  });

  it("should let git read a worktree's repository but not plant a hook, core.fsmonitor or a new .git", async () => {
    // the user's repository sits in the (hidden) home; only its git dir comes back, read-only
    const repo = join(fakeHome, 'repo');
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {
        cwd: repo,
      });
    mkdirSync(repo);
    git('init', '-q');
    writeFileSync(join(repo, 'f.txt'), 'one\n');
    git('add', 'f.txt');
    git('commit', '-q', '-m', 'one');
    const candidate = join(stateDir, 'worktrees', 'candidate-git');
    git('worktree', 'add', '-q', candidate);
    const dotGit = readFileSync(join(candidate, '.git'), 'utf8');
    const hook = join(repo, '.git', 'hooks', 'post-checkout');
    const script = [
      'echo two >> f.txt',
      'git diff --stat',
      'git config core.fsmonitor "touch /tmp/pwned" || echo config-refused',
      `echo '#!/bin/sh' > ${hook} || echo hook-refused`,
      'echo "gitdir: /tmp/evil" > .git || echo dotgit-refused',
    ].join('; ');
    const r = await runSandboxed({
      ...base,
      cwd: candidate,
      gitDir: join(repo, '.git'),
      argv: ['/bin/sh', '-c', script],
    });
    expect(r.stdoutTail).toContain('f.txt | 1 +');
    expect(r.stdoutTail).toContain('config-refused\nhook-refused\ndotgit-refused\n');
    expect(existsSync(hook)).toBe(false);
    expect(readFileSync(join(candidate, '.git'), 'utf8')).toBe(dotGit);
    expect(spawnSync('git', ['config', 'core.fsmonitor'], { cwd: candidate }).status).toBe(1);
    expect(git('diff', '--stat').toString()).toBe('');
    expect(execFileSync('git', ['diff', '--stat'], { cwd: candidate }).toString()).toContain(
      'f.txt | 1 +',
    );
  });

  it('should not connect to a Unix socket the host serves in the state dir', async () => {
    const path = join(stateDir, 'daemon.sock');
    let accepted = 0;
    const server = createServer((s) => {
      accepted++;
      s.end('hello-from-host\n');
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const code =
        "const s = require('net').connect(process.argv[1]); s.on('data', (d) => { console.log('connected ' + d); s.destroy(); }); s.on('error', (e) => console.log('refused ' + e.code));";
      const r = await runSandboxed({ ...base, argv: payload('node', code, [path]) });
      expect(r.stdoutTail).toContain('refused');
      expect(accepted).toBe(0);
    } finally {
      server.close();
    }
  });

  it('should hand the command no fd but 0-2 (any other is /dev/null)', async () => {
    const r = await runSandboxed({ ...base, argv: ['/bin/ls', '-l', '/proc/self/fd'] });
    const fds = r.stdoutTail
      .split('\n')
      .map((l) => /(\d+) -> (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .filter((m) => Number(m[1]) > 2 && m[2] !== '/dev/null' && !/^\/proc\/\d+\/fd$/.test(m[2]!));
    expect(r.stdoutTail).toContain('0 -> /dev/null');
    expect(fds.map((m) => m[0])).toEqual([]);
  });
});

async function tcpServer(): Promise<{ server: Server; port: number; connections: () => number }> {
  let n = 0;
  const server = createServer((s) => {
    n++;
    s.end('hello-from-host\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('tcp server: no port');
  return { server, port: address.port, connections: () => n };
}

/** Host processes whose command line contains `pattern` (pgrep exits 1 when there are none). */
function survivors(pattern: string): string[] {
  const r = spawnSync('pgrep', ['-a', '-f', pattern], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim() && !l.includes('pgrep'));
}
