/**
 * Search/replace blocks (Aider's format) and whole-file writes: parsing what models write around
 * them, blocks in order on one file, CRLF, and the failures.
 */
import { describe, expect, it } from 'vitest';
import { memoryTree } from '../../workspace/fsTree.js';
import { planEdit } from '../../workspace/planEdit.js';
import { parseBlocks } from '../../workspace/searchReplace.js';
import { DEFAULT_DENY, type EditResult, type PathRules } from '../../workspace/types.js';

const rules: PathRules = { deny: DEFAULT_DENY, allow: [], maxFileBytes: 1 << 20 };
const tree = memoryTree({
  'a.py': 'def f():\n    return 1\n\ndef g():\n    return 2\n',
  'w.txt': 'one\r\ntwo\r\n',
  'n.txt': 'last',
});
const sr = (text: string) => planEdit({ format: 'search_replace', text }, tree, rules);
const block = (s: string, r: string) => `<<<<<<< SEARCH\n${s}=======\n${r}>>>>>>> REPLACE\n`;
const afterOf = (r: EditResult, path: string) => {
  if (!r.ok) throw new Error(`${r.reason}: ${r.message}`);
  return r.changes.find((c) => c.path === path)?.after?.toString();
};

describe('search/replace blocks', () => {
  it('should apply blocks in order, a block without a path line going to the path before', () => {
    const r = sr(
      `a.py\n${block('    return 1\n', '    return 10\n')}${block('    return 10\n', '    return 11\n')}`,
    );
    expect(afterOf(r, 'a.py')).toBe('def f():\n    return 11\n\ndef g():\n    return 2\n');
  });

  it('should read the path from decorations models put on it', () => {
    for (const line of ['**a.py**', '`a.py`:', '# a.py', 'a.py:']) {
      const r = sr(`${line}\n\`\`\`python\n${block('    return 2\n', '    return 3\n')}\`\`\`\n`);
      expect(afterOf(r, 'a.py')).toContain('return 3');
    }
  });

  it('should match ignoring trailing whitespace, as a named fallback', () => {
    const r = sr(`a.py\n${block('def g():   \n', 'def h():\n')}`);
    expect(afterOf(r, 'a.py')).toContain('def h():\n');
    expect(r.ok && r.fallbacks).toEqual([
      {
        path: 'a.py',
        hunk: 1,
        how: 'whitespace',
        detail: 'matched with trailing whitespace ignored',
      },
    ]);
  });

  it('should keep CRLF, and keep a file without a final newline so', () => {
    expect(afterOf(sr(`w.txt\n${block('two\n', 'TWO\n')}`), 'w.txt')).toBe('one\r\nTWO\r\n');
    expect(afterOf(sr(`n.txt\n${block('last\n', 'LAST\n')}`), 'n.txt')).toBe('LAST');
  });

  it('should fail a replace equal to its search, an empty search on a file that exists, a missing file', () => {
    expect(sr(`a.py\n${block('def f():\n', 'def f():\n')}`)).toMatchObject({
      reason: 'no_op',
      hunk: 1,
    });
    expect(sr(`a.py\n${block('', 'x\n')}`)).toMatchObject({ reason: 'file_exists', path: 'a.py' });
    expect(sr(`zz.py\n${block('x\n', 'y\n')}`)).toMatchObject({
      reason: 'file_missing',
      path: 'zz.py',
    });
  });

  it('should name the closest place when a search is not found', () => {
    const r = sr(`a.py\n${block('def g():\n    return 3\n', 'def g():\n    return 4\n')}`);
    expect(!r.ok && r.message).toBe(
      "block 1 for 'a.py' (line 2): its SEARCH is not in the file; its first 1 line(s) match at line 4, then the file has '    return 2' where the SEARCH has '    return 3'",
    );
  });

  it('should refuse what is not blocks, with the line', () => {
    expect(parseBlocks('a.py\n<<<<<<< SEARCH\nx\n>>>>>>> REPLACE\n')).toMatchObject({
      ok: false,
      reason: 'parse',
      message: "line 2: the block has no '=======' after its search",
    });
    expect(parseBlocks('<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n')).toMatchObject({
      message: 'line 1: a block without a path line before it',
    });
    expect(parseBlocks('nothing here')).toMatchObject({ reason: 'parse' });
  });

  it('should refuse a blocked path in a block', () => {
    expect(sr(`.env\n${block('', 'KEY=1\n')}`)).toMatchObject({
      reason: 'path_refused',
      rule: 'deny',
      path: '.env',
    });
  });
});

describe('whole-file writes', () => {
  const wf = (files: { path: string; content: string | null }[]) =>
    planEdit({ format: 'whole_file', files }, tree, rules);

  it('should write, create and delete, with stats', () => {
    const r = wf([
      { path: 'a.py', content: 'def f():\n    return 1\n' },
      { path: 'new.txt', content: 'hello\n' },
      { path: 'n.txt', content: null },
    ]);
    expect(r.ok && r.changes.map((c) => [c.path, c.after?.toString() ?? null])).toEqual([
      ['a.py', 'def f():\n    return 1\n'],
      ['new.txt', 'hello\n'],
      ['n.txt', null],
    ]);
    expect(r.ok && r.stats).toEqual({ files: 3, added: 1, removed: 4 });
  });

  it('should keep a CRLF file CRLF when given LF content', () => {
    const r = wf([{ path: 'w.txt', content: 'one\nthree\n' }]);
    expect(afterOf(r, 'w.txt')).toBe('one\r\nthree\r\n');
    expect(r.ok && r.fallbacks.map((f) => f.how)).toEqual(['crlf']);
  });

  it('should fail deleting a missing file, a path given twice, and an edit that changes nothing', () => {
    expect(wf([{ path: 'zz', content: null }])).toMatchObject({
      reason: 'file_missing',
      path: 'zz',
    });
    expect(
      wf([
        { path: 'a.py', content: 'x' },
        { path: './a.py', content: 'y' },
      ]),
    ).toMatchObject({ reason: 'parse', message: "'a.py' is given twice" });
    expect(wf([{ path: 'n.txt', content: 'last' }])).toMatchObject({ reason: 'no_op' });
  });
});
