/**
 * Candidates in real git worktrees: made from the user's tree with its uncommitted changes
 * without touching the user's index or refs, edited apart from it, read back as a diff, and
 * written to the user's tree only by `applyToTree`. A plain folder gets the same through a
 * snapshot in the private repository.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../kernel/errors.js';
import { Workspace } from '../../workspace/workspace.js';
import { CandidateError, WorkspaceRootError } from '../../workspace/workspaceErrors.js';
import { gitIn, gitRepo, readTree, tempDir, writeTree } from './workspaceRepo.js';

const opened: Workspace[] = [];
afterEach(() => {
  for (const ws of opened.splice(0)) ws.close();
});

async function open(root: string, stateDir = tempDir('maestro-state-')) {
  const ws = await Workspace.open(root, { stateDir, mission: 'm1' });
  opened.push(ws);
  return { ws, stateDir };
}

const meta = { hash: 'e'.repeat(64), stats: { files: 1, added: 1, removed: 1 } };

/** What a user's repository shows of itself: index bytes, status, refs, stashes, worktrees aside. */
function userState(root: string) {
  return {
    index: readFileSync(join(root, '.git', 'index')),
    status: gitIn(root, 'status', '--porcelain'),
    refs: gitIn(root, 'for-each-ref'),
    stash: gitIn(root, 'stash', 'list'),
  };
}

describe('Workspace candidates (git)', () => {
  it('should check out HEAD plus uncommitted and untracked changes, touching nothing of the user', async () => {
    const root = gitRepo({ 'a.txt': 'a\n', 'sub/b.txt': 'b\n', '.gitignore': '*.log\n' });
    writeTree(root, { 'a.txt': 'a, uncommitted\n', 'sub/b.txt': 'b, staged\n' });
    gitIn(root, 'add', 'sub/b.txt');
    writeTree(root, { 'new.txt': 'untracked\n', 'debug.log': 'ignored\n' });
    const before = userState(root);
    const tree = readTree(root);

    const { ws, stateDir } = await open(root);
    expect(ws.kind).toBe('git');
    const c = await ws.createCandidate('c1');
    expect(c.dir).toBe(join(stateDir, 'worktrees', 'm1', 'c1'));
    expect(readFileSync(join(c.dir, 'a.txt'), 'utf8')).toBe('a, uncommitted\n');
    expect(readFileSync(join(c.dir, 'sub/b.txt'), 'utf8')).toBe('b, staged\n');
    expect(readFileSync(join(c.dir, 'new.txt'), 'utf8')).toBe('untracked\n');
    expect(existsSync(join(c.dir, 'debug.log'))).toBe(false);

    // Our transaction in the candidate, and a coding CLI's edit in place: the user's tree stays.
    const r = await ws.apply(
      c.dir,
      [{ path: 'a.txt', before: Buffer.from('a, uncommitted\n'), after: Buffer.from('A\n') }],
      meta,
    );
    expect(r.ok).toBe(true);
    writeTree(c.dir, { 'cli-made.txt': 'from a coding CLI\n' });
    expect(readTree(root)).toEqual(tree);
    expect(userState(root)).toEqual(before);

    const diff = await ws.diffOf(c);
    expect(diff).toContain('+++ b/a.txt');
    expect(diff).toContain('+A');
    expect(diff).toContain('new file mode 100644');
    expect(diff).toContain('+++ b/cli-made.txt');
    const edit = await ws.editOf(c);
    expect(edit.stats).toEqual({ files: 2, added: 2, removed: 1 });
    expect(
      edit.changes.map((ch) => [ch.path, ch.before?.toString(), ch.after?.toString()]),
    ).toEqual([
      ['a.txt', 'a, uncommitted\n', 'A\n'],
      ['cli-made.txt', undefined, 'from a coding CLI\n'],
    ]);

    const applied = await ws.applyToTree(c);
    expect(applied.ok).toBe(true);
    expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('A\n');
    expect(readFileSync(join(root, 'cli-made.txt'), 'utf8')).toBe('from a coding CLI\n');
    expect(readFileSync(join(root, '.git', 'index'))).toEqual(before.index);

    await ws.removeCandidate(c);
    expect(existsSync(c.worktree)).toBe(false);
    expect(gitIn(root, 'worktree', 'list')).not.toContain('c1');
    expect(ws.candidates()).toEqual([]);
  });

  it('should take a folder inside a repository, with paths relative to it', async () => {
    const root = gitRepo({ 'top.txt': 't\n', 'pkg/lib/x.ts': 'x\n' });
    const { ws } = await open(join(root, 'pkg'));
    const c = await ws.createCandidate('c1');
    expect(c.dir).toBe(join(c.worktree, 'pkg'));
    writeTree(c.dir, { 'lib/x.ts': 'y\n' });
    writeTree(c.worktree, { 'top.txt': 'outside the workspace\n' });
    const edit = await ws.editOf(c);
    expect(edit.changes.map((ch) => ch.path)).toEqual(['lib/x.ts']);
    expect(edit.diff).toContain('+++ b/lib/x.ts');
  });

  it('should leave a state dir inside the repository out of candidates, status and edits', async () => {
    const root = gitRepo({ 'a.txt': 'a\n' });
    const status = gitIn(root, 'status', '--porcelain');
    const { ws } = await open(root, join(root, '.maestro'));
    const c = await ws.createCandidate('c1');
    expect(existsSync(join(c.dir, '.maestro'))).toBe(false);
    expect(gitIn(root, 'status', '--porcelain')).toBe(status);
    const journal = join('.maestro', 'workspaces', ws.id, 'journal.jsonl');
    const r = await ws.apply(
      root,
      [{ path: journal, before: null, after: Buffer.from('{}') }],
      meta,
    );
    expect(r).toMatchObject({ ok: false, reason: 'path_refused', path: journal });
  });

  it('should make a candidate of a repository with no commit yet', async () => {
    const root = tempDir();
    gitIn(root, 'init', '-q');
    writeTree(root, { 'first.txt': 'not committed\n' });
    const { ws } = await open(root);
    const c = await ws.createCandidate('c1');
    expect(readFileSync(join(c.dir, 'first.txt'), 'utf8')).toBe('not committed\n');
    expect(gitIn(root, 'status', '--porcelain')).toBe('?? first.txt\n');
  });

  it('should run no hook, fsmonitor or filter a repository or a candidate planted', async () => {
    const root = gitRepo({ 'a.txt': 'a\n' });
    const marks = tempDir();
    const script = (name: string) => {
      const p = join(marks, `${name}.sh`);
      writeFileSync(p, `#!/bin/sh\ntouch '${join(marks, name)}.ran'\ncat\n`, { mode: 0o755 });
      return p;
    };
    writeTree(marks, { 'hooks/post-checkout': `#!/bin/sh\ntouch '${join(marks, 'hook')}.ran'\n` });
    chmodSync(join(marks, 'hooks/post-checkout'), 0o755);
    gitIn(root, 'config', 'core.hooksPath', join(marks, 'hooks'));
    gitIn(root, 'config', 'core.fsmonitor', script('fsmonitor'));
    const { ws } = await open(root);
    const c = await ws.createCandidate('c1');
    // The candidate's command points its .git at a repository of its own, with a filter.
    const evil = tempDir();
    gitIn(evil, 'init', '-q');
    gitIn(evil, 'config', 'filter.evil.clean', script('filter'));
    writeFileSync(join(c.worktree, '.git'), `gitdir: ${join(evil, '.git')}\n`);
    writeTree(c.dir, { '.gitattributes': '* filter=evil\n', 'a.txt': 'changed\n' });
    expect(await ws.diffOf(c)).toContain('+changed');
    expect(readdirSync(marks).filter((f) => f.endsWith('.ran'))).toEqual([]);
  });

  it('should refuse a name that is not a folder name, or taken', async () => {
    const { ws } = await open(gitRepo({ 'a.txt': 'a\n' }));
    await expect(ws.createCandidate('../up')).rejects.toThrow(CandidateError);
    await ws.createCandidate('c1');
    await expect(ws.createCandidate('c1')).rejects.toThrow("workspace candidate 'c1': exists");
  });
});

describe('Workspace candidates (plain folder)', () => {
  it('should snapshot the folder privately and copy it byte for byte into a candidate', async () => {
    const root = tempDir();
    const files = {
      'bin.dat': Buffer.from([0, 255, 13, 10, 0]),
      'crlf.txt': 'x\r\ny\r\n',
      'lf.txt': 'x\ny\n',
      '.gitattributes': '* text eol=crlf\n',
      'deep/a b/c.txt': 'spaces\n',
    };
    writeTree(root, files);
    const { ws, stateDir } = await open(root);
    expect(ws.kind).toBe('folder');
    expect(existsSync(join(root, '.git'))).toBe(false);
    expect(existsSync(join(stateDir, 'workspaces', ws.id, 'repo.git', 'HEAD'))).toBe(true);
    const c = await ws.createCandidate('copy');
    const copied = readTree(c.dir);
    expect(copied).toEqual(readTree(root));

    writeFileSync(join(c.dir, 'lf.txt'), 'x\nz\n');
    expect(await ws.diffOf(c)).toContain('+z');
    expect(readFileSync(join(root, 'lf.txt'), 'utf8')).toBe('x\ny\n');
  });

  it('should leave a state dir inside the folder out of its snapshots', async () => {
    const root = tempDir();
    writeTree(root, { 'a.txt': 'a\n' });
    const { ws } = await open(root, join(root, 'state'));
    const c = await ws.createCandidate('c1');
    expect([...readTree(c.dir).keys()].sort()).toEqual(['a.txt']);
  });

  it('should name a root that does not exist or is not a folder, as a user error', async () => {
    const missing = join(tempDir(), 'nope');
    const err = await Workspace.open(missing, { stateDir: tempDir() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkspaceRootError);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`workspace: '${missing}' does not exist`);
    const file = join(tempDir(), 'f');
    writeFileSync(file, '');
    await expect(Workspace.open(file, { stateDir: tempDir() })).rejects.toThrow(
      `workspace: '${file}' is not a directory`,
    );
  });
});
