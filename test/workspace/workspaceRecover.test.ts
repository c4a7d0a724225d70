/**
 * Recovery of a transaction a crash cut short, made exactly: a real apply whose closing line is
 * cut from the log (the process died before writing it), with the tree wholly after, half written,
 * or changed by hand since. Opening the workspace closes it, and the log says how.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import type { FileChange } from '../../workspace/types.js';
import { Workspace } from '../../workspace/workspace.js';
import { readTree, tempDir, writeTree } from './workspaceRepo.js';

const meta = { hash: 'r'.repeat(64), stats: { files: 3, added: 3, removed: 2 } };
const b = (s: string) => Buffer.from(s);
const changes: FileChange[] = [
  { path: 'a.txt', before: b('a\n'), after: b('A\n') },
  { path: 'b.txt', before: b('b\n'), after: null },
  { path: 'dir/c.txt', before: null, after: b('C\n') },
];

/** A workspace whose one apply lost its closing line, as if killed right before writing it. */
async function cutShort() {
  const root = tempDir();
  writeTree(root, { 'a.txt': 'a\n', 'b.txt': 'b\n' });
  const before = readTree(root);
  const stateDir = tempDir('maestro-state-');
  const file = join(stateDir, 'missions', 'm.jsonl');
  const log = new EventLog(file, 'm').open();
  const ws = await Workspace.open(root, { stateDir, log });
  const applied = await ws.apply(root, changes, meta);
  ws.close();
  log.close();
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'workspace.applied' });
  writeFileSync(file, `${lines.slice(0, -1).join('\n')}\n`);
  const after = readTree(root);
  const reopen = async () => {
    const again = new EventLog(file, 'm').open();
    const w = await Workspace.open(root, { stateDir, log: again });
    w.close();
    again.close();
    return { w, last: w.events().at(-1) };
  };
  return { root, before, after, applyId: applied.applyId, reopen };
}

describe('Workspace recovery at open', () => {
  it('should record an apply found wholly after as applied, recovered', async () => {
    const { root, after, applyId, reopen } = await cutShort();
    const { w, last } = await reopen();
    expect(w.recovered).toEqual([{ applyId, target: root, outcome: 'after', unexpected: [] }]);
    expect(last).toMatchObject({ type: 'workspace.applied', applyId, recovered: true, ...meta });
    expect(readTree(root)).toEqual(after);
    // Closed: a second open finds nothing to do.
    expect((await reopen()).w.recovered).toEqual([]);
  });

  it('should roll a half-written apply back to the exact bytes before', async () => {
    const { root, before, applyId, reopen } = await cutShort();
    writeTree(root, { 'b.txt': 'b\n' }); // as if the delete had not happened yet
    writeFileSync(join(root, 'dir', `.maestro-${applyId}-2.tmp`), 'a temp file left by the crash');
    const { w, last } = await reopen();
    expect(w.recovered[0]).toMatchObject({ outcome: 'before', unexpected: [] });
    expect(last).toMatchObject({
      type: 'workspace.rolled_back',
      applyId,
      recovered: true,
      ...meta,
    });
    expect(readTree(root)).toEqual(before);
  });

  it('should name the files it found neither before nor after, and still put the before back', async () => {
    const { root, before, reopen } = await cutShort();
    writeTree(root, { 'a.txt': 'edited by hand after the crash\n' });
    const { last } = await reopen();
    expect(last).toMatchObject({ type: 'workspace.rolled_back', unexpected: ['a.txt'] });
    expect(readTree(root)).toEqual(before);
  });

  it('should close a transaction whose candidate is gone as failed, target_missing', async () => {
    const root = tempDir();
    writeTree(root, { 'a.txt': 'a\n' });
    const stateDir = tempDir('maestro-state-');
    const ws = await Workspace.open(root, { stateDir });
    const c = await ws.createCandidate('gone');
    await ws.apply(c.dir, [{ path: 'a.txt', before: b('a\n'), after: b('A\n') }], meta);
    ws.close();
    const file = ws.log.file;
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    writeFileSync(file, `${lines.slice(0, -1).join('\n')}\n`);
    rmSync(c.worktree, { recursive: true });
    const again = await Workspace.open(root, { stateDir });
    again.close();
    expect(again.recovered).toMatchObject([{ outcome: 'target_missing', target: c.dir }]);
    expect(again.events().at(-1)).toMatchObject({
      type: 'workspace.apply_failed',
      reason: 'target_missing',
      target: c.dir,
    });
    expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('a\n');
  });
});
