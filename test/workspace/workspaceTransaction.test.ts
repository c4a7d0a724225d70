/**
 * The workspace transaction on real files and a real private git repository: all or nothing,
 * rollback to the exact bytes, the journal in the mission log.
 */
import { chmodSync, existsSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { parseLogLine } from '../../log/missionLogEvent.js';
import type { FileChange } from '../../workspace/types.js';
import { Workspace } from '../../workspace/workspace.js';
import { ApplyIdError, WorkspaceTargetError } from '../../workspace/workspaceErrors.js';
import { readTree, tempDir, writeTree } from './workspaceRepo.js';

const BINARY = Buffer.from([0, 1, 2, 255, 254, 13, 10, 0, 128, 10]);
const CRLF = Buffer.from('one\r\ntwo\r\nthree\r\n');
const meta = { hash: 'h'.repeat(64), stats: { files: 5, added: 7, removed: 4 } };
const opened: Workspace[] = [];

afterEach(() => {
  for (const ws of opened.splice(0)) ws.close();
});

async function folder(files: Record<string, string | Buffer>) {
  const root = tempDir();
  writeTree(root, files);
  const stateDir = tempDir('maestro-state-');
  const log = new EventLog(join(stateDir, 'missions', 'm.jsonl'), 'm').open();
  const ws = await Workspace.open(root, { stateDir, log });
  opened.push(ws);
  return { root, stateDir, log, ws };
}

const change = (path: string, before: string | Buffer | null, after: string | Buffer | null) =>
  ({
    path,
    before: typeof before === 'string' ? Buffer.from(before) : before,
    after: typeof after === 'string' ? Buffer.from(after) : after,
  }) as FileChange;

describe('Workspace.apply and restore', () => {
  it('should apply binary, CRLF, a new file, a deleted file and a rename, and restore the exact bytes', async () => {
    const { root, ws, log } = await folder({
      'bin.dat': BINARY,
      'crlf.txt': CRLF,
      'gone.txt': 'to be deleted\n',
      'old/name.txt': 'moved\n',
      'keep.txt': 'untouched\n',
    });
    chmodSync(join(root, 'gone.txt'), 0o755);
    const before = readTree(root);
    const changes: FileChange[] = [
      change('bin.dat', BINARY, Buffer.concat([BINARY, Buffer.from([0, 7])])),
      change('crlf.txt', CRLF, 'one\r\nTWO\r\nthree\r\n'),
      change('gone.txt', 'to be deleted\n', null),
      change('new/deep/file.txt', null, 'brand new\n'),
      { ...change('new/name.txt', null, 'moved\n'), renamedFrom: 'old/name.txt' },
      change('old/name.txt', 'moved\n', null),
    ];
    const applied = await ws.apply(root, changes, meta);
    expect(applied).toMatchObject({ ok: true });
    expect(readFileSync(join(root, 'crlf.txt'), 'utf8')).toBe('one\r\nTWO\r\nthree\r\n');
    expect(existsSync(join(root, 'gone.txt'))).toBe(false);
    expect(existsSync(join(root, 'old'))).toBe(false);
    expect(readFileSync(join(root, 'new/name.txt'), 'utf8')).toBe('moved\n');

    const restored = await ws.restore(applied.applyId);
    expect(restored).toMatchObject({ ok: true });
    expect(readTree(root)).toEqual(before);
    expect(statSync(join(root, 'gone.txt')).mode & 0o777).toBe(0o755);
    expect(existsSync(join(root, 'new'))).toBe(false);

    const events = EventLog.read(log.file).filter((e) => e.type.startsWith('workspace.'));
    expect(events.map((e) => e.type)).toEqual([
      'workspace.apply_started',
      'workspace.applied',
      'workspace.apply_started',
      'workspace.restored',
    ]);
    for (const e of events) expect(e).toMatchObject({ hash: meta.hash, stats: meta.stats });
    expect(events[3]).toMatchObject({ restores: applied.applyId });
    // Every line parses back with its schema: the union knows the workspace events.
    for (const l of readFileSync(log.file, 'utf8').trim().split('\n'))
      expect(typeof parseLogLine(l)).toBe('object');
  });

  it('should write nothing when the third of three files conflicts', async () => {
    const { root, ws } = await folder({
      'a.txt': 'a\n',
      'b.txt': 'b\n',
      'c.txt': 'c, edited by hand\n',
    });
    const before = readTree(root);
    const result = await ws.apply(
      root,
      [change('a.txt', 'a\n', 'A\n'), change('b.txt', 'b\n', 'B\n'), change('c.txt', 'c\n', 'C\n')],
      meta,
    );
    expect(result).toMatchObject({ ok: false, reason: 'conflict', path: 'c.txt' });
    expect(readTree(root)).toEqual(before);
    expect(ws.events().map((e) => e.type)).toEqual(['workspace.apply_failed']);
  });

  it('should put back what it wrote when a write fails midway, and say so', async () => {
    const { root, ws } = await folder({ 'a.txt': 'a\n', 'b.txt': 'b\n', blocker: 'a file\n' });
    const before = readTree(root);
    // `blocker/x` cannot be made: a file is where its folder must be.
    const result = await ws.apply(
      root,
      [change('a.txt', 'a\n', 'A\n'), change('b.txt', 'b\n', null), change('blocker/x', null, 'x')],
      meta,
    );
    expect(result).toMatchObject({
      ok: false,
      reason: 'write_failed',
      path: 'blocker/x',
      rolledBack: true,
    });
    expect(readTree(root)).toEqual(before);
    expect(ws.events().map((e) => e.type)).toEqual([
      'workspace.apply_started',
      'workspace.apply_failed',
    ]);
  });

  it('should refuse a symlink that leaves the root, .git, .. and absolute paths, writing nothing', async () => {
    const outside = tempDir();
    writeTree(outside, { 'secret.txt': 'outside\n' });
    const { root, ws } = await folder({ 'in.txt': 'in\n' });
    symlinkSync(outside, join(root, 'escape'));
    symlinkSync(join(root, 'in.txt'), join(root, 'inside-link'));
    for (const path of [
      'escape/secret.txt',
      '.git/hooks/pre-commit',
      'a/../in.txt',
      '/etc/passwd',
    ]) {
      const r = await ws.apply(
        root,
        [change('in.txt', 'in\n', 'IN\n'), change(path, null, 'x')],
        meta,
      );
      expect(r, path).toMatchObject({ ok: false, reason: 'path_refused', path });
    }
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('outside\n');
    expect(readFileSync(join(root, 'in.txt'), 'utf8')).toBe('in\n');
    // A symlink that stays inside is followed: the file it names changes.
    const r = await ws.apply(root, [change('inside-link', 'in\n', 'IN\n')], meta);
    expect(r).toMatchObject({ ok: true });
    expect(readFileSync(join(root, 'in.txt'), 'utf8')).toBe('IN\n');
  });

  it('should refuse a restore over changes made since, unless forced', async () => {
    const { root, ws } = await folder({ 'a.txt': 'a\n' });
    const applied = await ws.apply(root, [change('a.txt', 'a\n', 'A\n')], meta);
    writeTree(root, { 'a.txt': 'edited after\n' });
    expect(await ws.restore(applied.applyId)).toMatchObject({
      ok: false,
      reason: 'conflict',
      path: 'a.txt',
    });
    expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('edited after\n');
    expect(await ws.restore(applied.applyId, { force: true })).toMatchObject({ ok: true });
    expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('a\n');
    await expect(ws.restore('nope')).rejects.toThrow(ApplyIdError);
  });

  it('should refuse a target that is neither the root nor a candidate', async () => {
    const { ws } = await folder({ 'a.txt': 'a\n' });
    const elsewhere = tempDir();
    await expect(ws.apply(elsewhere, [change('a.txt', null, 'a')], meta)).rejects.toThrow(
      WorkspaceTargetError,
    );
  });

  it('should keep its own journal when no mission log is given', async () => {
    const root = tempDir();
    writeTree(root, { 'a.txt': 'a\n' });
    const stateDir = tempDir('maestro-state-');
    const ws = await Workspace.open(root, { stateDir });
    opened.push(ws);
    const r = await ws.apply(root, [change('a.txt', 'a\n', 'b\n')], meta);
    expect(r.ok).toBe(true);
    expect(ws.log.file).toBe(join(stateDir, 'workspaces', ws.id, 'journal.jsonl'));
    expect(ws.events().map((e) => e.type)).toEqual([
      'workspace.apply_started',
      'workspace.applied',
    ]);
  });
});
