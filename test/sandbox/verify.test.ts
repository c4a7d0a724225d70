/**
 * verify: a real `node --test` suite run in the sandbox, its counts read from the TAP it prints,
 * `ok` from its exit; a JSON report larger than the tails still counted; a command that is not
 * argv refused with the command's name.
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandNotArgvError, verify } from '../../sandbox/index.js';

const NODE = process.execPath;
let worktree: string;

beforeAll(() => {
  worktree = realpathSync(mkdtempSync(join(tmpdir(), 'maestro-verify-')));
  const t = "import test from 'node:test';\nimport assert from 'node:assert';\n";
  writeFileSync(
    join(worktree, 'a.test.mjs'),
    `${t}test('adds', () => assert.equal(1 + 1, 2));\ntest('subtracts', () => assert.equal(2 - 1, 1));\n`,
  );
  writeFileSync(
    join(worktree, 'b.test.mjs'),
    `${t}test('multiplies', () => assert.equal(2 * 2, 5));\n`,
  );
  writeFileSync(
    join(worktree, 'c.test.mjs'),
    `${t}test('divides', { skip: 'not yet' }, () => {});\n`,
  );
});
afterAll(() => rmSync(worktree, { recursive: true, force: true }));

describe('verify', () => {
  it('should count the tests of a real node --test run in the sandbox', async () => {
    const r = await verify({ name: 'test', argv: [NODE, '--test'], timeoutMs: 20_000 }, worktree);
    expect(r).toMatchObject({
      name: 'test',
      ok: false,
      exitCode: 1,
      sandbox: 'bwrap',
      counts: { runner: 'node:test', passed: 2, failed: 1, skipped: 1, total: 4 },
    });
    expect(r.stdoutTail).toContain('# fail 1');
  });

  it('should say ok for a passing run', async () => {
    const r = await verify({ name: 'test', argv: [NODE, '--test', 'a.test.mjs'] }, worktree);
    expect(r).toMatchObject({ ok: true, exitCode: 0, counts: { passed: 2, failed: 0, total: 2 } });
  });

  it('should count from a JSON report longer than the tails it keeps', async () => {
    const report =
      "console.log('> demo@1.0.0 test'); console.log(JSON.stringify({ numTotalTests: 3, numPassedTests: 3, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, testResults: Array(500).fill({ name: 'x'.repeat(40) }) }))";
    const r = await verify({ name: 'test', argv: [NODE, '-e', report] }, worktree);
    expect(r.counts).toEqual({ runner: 'vitest', passed: 3, failed: 0, skipped: 0, total: 3 });
    expect(Buffer.byteLength(r.stdoutTail)).toBeLessThanOrEqual(4096);
    expect(r).toMatchObject({ ok: true, truncated: true });
    expect(r.outputBytes).toBeGreaterThan(20_000);
  });

  it('should refuse a shell string, naming the command', async () => {
    const run = verify({ name: 'lint', argv: 'npx biome check' as unknown as string[] }, worktree);
    await expect(run).rejects.toThrow(CommandNotArgvError);
    await expect(run).rejects.toThrow(
      `verify.lint.argv: expected argv (a list), not a shell string: 'npx biome check'; write ["npx", "biome", "check"]`,
    );
  });

  it('should not be ok when killed, whatever the exit', async () => {
    const r = await verify({ name: 'test', argv: ['sleep', '30'], timeoutMs: 300 }, worktree);
    expect(r).toMatchObject({ ok: false, killed: 'timeout' });
    expect(r.counts).toBeUndefined();
  });
});
