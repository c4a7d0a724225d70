/**
 * Path rules: the syntax of a path an edit may name, the deny globs and the allow globs that lift
 * them, and symlinks on a real directory (a link out of the root, a dangling one, a link into
 * `.git`), through `fsTree` and `planEdit`.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsTree } from '../../workspace/fsTree.js';
import { checkPath } from '../../workspace/paths.js';
import { planEdit } from '../../workspace/planEdit.js';
import { DEFAULT_DENY, type PathRules } from '../../workspace/types.js';

const rules: PathRules = { deny: DEFAULT_DENY, allow: [], maxFileBytes: 1 << 20 };

describe('path rules', () => {
  const table: [string, string | { rule: string }][] = [
    ['src/a.ts', 'src/a.ts'],
    ['./src//a.ts', 'src/a.ts'],
    ['', { rule: 'empty' }],
    ['src/a\0.ts', { rule: 'nul' }],
    ['/etc/passwd', { rule: 'absolute' }],
    ['C:/x', { rule: 'absolute' }],
    ['~/.ssh/id_rsa', { rule: 'absolute' }],
    ['src\\a.ts', { rule: 'backslash' }],
    ['../x', { rule: 'dotdot' }],
    ['src/../../x', { rule: 'dotdot' }],
    ['src/', { rule: 'directory' }],
    ['.git/config', { rule: 'deny' }],
    ['.git', { rule: 'deny' }],
    ['.env', { rule: 'deny' }],
    ['app/.env.local', { rule: 'deny' }],
    ['certs/server.pem', { rule: 'deny' }],
    ['config/apikey.json', { rule: 'deny' }],
    ['node_modules/x/index.js', { rule: 'deny' }],
    ['.github/workflows/ci.yml', '.github/workflows/ci.yml'],
  ];
  for (const [path, want] of table) {
    it(`should ${typeof want === 'string' ? 'take' : `refuse (${want.rule})`} '${path.replace('\0', '\\0')}'`, () => {
      const r = checkPath(path, rules);
      if (typeof want === 'string') expect(r).toEqual({ ok: true, path: want });
      else expect(r).toMatchObject({ ok: false, reason: 'path_refused', rule: want.rule });
    });
  }

  it('should let an allow glob lift a deny, and a config deny its own', () => {
    const allow = { ...rules, allow: ['.env.example'] };
    expect(checkPath('.env.example', allow)).toEqual({ ok: true, path: '.env.example' });
    expect(checkPath('.env', allow)).toMatchObject({ ok: false, rule: 'deny' });
    expect(checkPath('dist/x.js', { ...rules, deny: ['dist/**'] })).toMatchObject({
      ok: false,
      message: "path refused (deny): 'dist/x.js' matches 'dist/**'",
    });
  });
});

describe('path rules on a real directory with symlinks', () => {
  let base: string;
  let root: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'maestro-paths-'));
    root = join(base, 'root');
    mkdirSync(join(root, 'src'), { recursive: true });
    mkdirSync(join(root, '.git'));
    mkdirSync(join(base, 'outside'));
    writeFileSync(join(base, 'outside', 'secret.txt'), 'secret\n');
    writeFileSync(join(root, 'src', 'real.ts'), 'export const x = 1;\n');
    symlinkSync(join(base, 'outside'), join(root, 'out'));
    symlinkSync('../../outside/secret.txt', join(root, 'src', 'rel-out.txt'));
    symlinkSync('../outside/not-yet.txt', join(root, 'dangling.txt'));
    symlinkSync('real.ts', join(root, 'src', 'alias.ts'));
    symlinkSync('.git', join(root, 'dotgit'));
    symlinkSync('loop-b', join(root, 'loop-a'));
    symlinkSync('loop-a', join(root, 'loop-b'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('should refuse links that leave the root, dangling or not, and loops', () => {
    const tree = fsTree(root);
    for (const p of [
      'out/secret.txt',
      'out/new.txt',
      'src/rel-out.txt',
      'dangling.txt',
      'loop-a',
    ]) {
      expect(checkPath(p, rules, tree)).toMatchObject({
        ok: false,
        rule: 'symlink_escape',
        path: p,
      });
    }
  });

  it('should resolve a link inside the root, and refuse one into a denied path', () => {
    const tree = fsTree(root);
    expect(checkPath('src/alias.ts', rules, tree)).toEqual({
      ok: true,
      path: 'src/real.ts',
      resolvedFrom: 'src/alias.ts',
    });
    expect(checkPath('dotgit/config', rules, tree)).toMatchObject({
      ok: false,
      rule: 'deny',
      message:
        "path refused (deny): 'dotgit/config' resolves to '.git/config', which matches '.git/**'",
    });
  });

  it('should refuse, in planEdit, a diff through a link out of the root, and edit a link inside at its target', () => {
    const tree = fsTree(root);
    const outside = planEdit(
      {
        format: 'unified_diff',
        patch: '--- a/out/secret.txt\n+++ b/out/secret.txt\n@@ -1 +1 @@\n-secret\n+leaked\n',
      },
      tree,
      rules,
    );
    expect(outside).toMatchObject({
      ok: false,
      reason: 'path_refused',
      rule: 'symlink_escape',
      path: 'out/secret.txt',
    });
    const inside = planEdit(
      { format: 'whole_file', files: [{ path: 'src/alias.ts', content: 'export const x = 2;\n' }] },
      tree,
      rules,
    );
    expect(
      inside.ok && inside.changes.map((c) => [c.path, c.before?.toString(), c.after?.toString()]),
    ).toEqual([['src/real.ts', 'export const x = 1;\n', 'export const x = 2;\n']]);
  });
});
