/**
 * `maestro patch` and `maestro verify` on a real git repository, as README shows them: check
 * says how an edit applies (or where it does not), apply writes it with a backup and prints the
 * id, restore brings the bytes back; verify runs a command in bubblewrap and exits with its code.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { captureIo } from '../helpers/captureIo.js';
import { tempDir } from '../helpers/missions.js';

function repo(): string {
  const dir = tempDir('maestro-patch-');
  writeFileSync(join(dir, 'a.txt'), 'line one\nline two\nline three\n');
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: dir });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'init');
  return dir;
}

const diff = `--- a/a.txt
+++ b/a.txt
@@ -2,1 +2,1 @@
 line one
-line two
+line 2
 line three
`;

describe('maestro patch', () => {
  it('should check, apply with a backup, refuse it a second time, and restore the bytes before', async () => {
    const dir = repo();
    const edit = join(tempDir(), 'fix.diff');
    writeFileSync(edit, diff);
    const stateDir = tempDir();
    const args = ['--workspace', dir, '--state-dir', stateDir];
    const check = captureIo();
    expect(await main(['patch', 'check', ...args, edit], check)).toBe(0);
    expect(check.stdout[0]).toMatch(/^applies: 1 file\(s\), \+1 -1; edit [0-9a-f]{12}$/);
    // The header says 2,1 +2,1 for a 3-line hunk starting at line 1: recounted and moved.
    expect(check.stdout.filter((l) => l.startsWith('  fallback '))).toEqual([
      expect.stringMatching(/^ {2}fallback recounted: a\.txt hunk 1/),
      expect.stringMatching(/^ {2}fallback offset: a\.txt hunk 1/),
    ]);
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toContain('line two');

    const apply = captureIo();
    expect(await main(['patch', 'apply', ...args, edit, '--json'], apply)).toBe(0);
    const applied = JSON.parse(apply.stdout.join('\n'));
    expect(applied).toMatchObject({ ok: true, stats: { files: 1, added: 1, removed: 1 } });
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('line one\nline 2\nline three\n');

    const again = captureIo();
    expect(await main(['patch', 'apply', ...args, edit], again)).toBe(1);
    expect(again.stdout[0]).toContain('refused (hunk_failed) in a.txt, hunk 1');

    const restore = captureIo();
    expect(await main(['patch', 'restore', ...args, applied.applyId], restore)).toBe(0);
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('line one\nline two\nline three\n');
  });

  it('should refuse a blocked path and a missing workspace, writing nothing', async () => {
    const dir = repo();
    const edit = join(tempDir(), 'env.diff');
    writeFileSync(edit, '--- /dev/null\n+++ b/.env\n@@ -0,0 +1 @@\n+KEY=1\n');
    const io = captureIo();
    expect(
      await main(['patch', 'apply', '--workspace', dir, '--state-dir', tempDir(), edit], io),
    ).toBe(1);
    expect(io.stdout[0]).toContain(
      "refused (path_refused) in .env: path refused (deny): '.env' matches '**/.env*'",
    );
    const missing = captureIo();
    expect(await main(['patch', 'check', '--workspace', join(dir, 'nope'), edit], missing)).toBe(2);
    expect(missing.stderr[0]).toContain('--workspace:');
    expect(missing.stderr[0]).toContain('does not exist');
  });
});

describe('maestro verify', () => {
  it('should run the command in the sandbox, print its tests, and exit with its code', async () => {
    const dir = repo();
    writeFileSync(
      join(dir, 'a.test.js'),
      "const t = require('node:test'); const a = require('node:assert');\nt('one', () => a.equal(1, 1));\nt('two', () => a.equal(1, 2));\n",
    );
    process.env.MAESTRO_TEST_SECRET = 'sk-not-for-tests';
    const io = captureIo();
    expect(await main(['verify', '--workspace', dir, '--', 'node', '--test'], io)).toBe(1);
    expect(io.stderr.at(-1)).toMatch(
      /^verify: node --test: exit 1 in [\d.]+ s \(sandbox: bwrap\); tests \(node:test\): 1 passed, 1 failed$/,
    );
    const env = captureIo();
    expect(
      await main(
        ['verify', '--workspace', dir, '--', 'sh', '-c', 'env; touch /etc/maestro-x'],
        env,
      ),
    ).toBe(1);
    expect(env.stdout.join('\n')).not.toContain('sk-not-for-tests');
    expect(env.stderr.join('\n')).toContain('Read-only file system');
    const none = captureIo();
    expect(await main(['verify', '--workspace', dir, '--', 'no-such-command'], none)).toBe(127);
    const usage = captureIo();
    expect(await main(['verify', '--workspace', dir], usage)).toBe(2);
    expect(usage.stderr[0]).toContain('expected the command after --');
  });
});
