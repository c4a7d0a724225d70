/**
 * The corpus of model-style edits (issue 14): each as a model writes it, broken or not, with the
 * outcome it must get. On success, every file's bytes after and the fallbacks named; on failure,
 * the reason, the file, the hunk, and a message that says where and what.
 */
import { describe, expect, it } from 'vitest';
import { memoryTree } from '../../workspace/fsTree.js';
import { planEdit } from '../../workspace/planEdit.js';
import { DEFAULT_DENY, type Edit, type PathRules } from '../../workspace/types.js';

const rules: PathRules = { deny: DEFAULT_DENY, allow: [], maxFileBytes: 1 << 20 };

const APP = `${[
  "import { readFileSync } from 'node:fs';",
  '',
  'export function load(path: string): string {',
  "  return readFileSync(path, 'utf8');",
  '}',
  '',
  'export function greet(name: string): string {',
  "  return 'hello, ' + name;",
  '}',
  '',
  'export function main(): void {',
  "  console.log(greet('world'));",
  '}',
].join('\n')}\n`;
const GREETED = APP.replace("'hello, ' + name", "'hi, ' + name");
const CRLF = APP.replaceAll('\n', '\r\n');
const UTIL = 'export const one = 1;\nexport const two = 2;\n';

const files = {
  'src/app.ts': APP,
  'src/util.ts': UTIL,
  'src/win.ts': CRLF,
  'README.md': '# app\n',
};

const diff = (path: string, body: string) => `--- a/${path}\n+++ b/${path}\n${body}`;
const greetHunk = (header: string) =>
  `${header}\n export function greet(name: string): string {\n-  return 'hello, ' + name;\n+  return 'hi, ' + name;\n }\n`;

interface Case {
  name: string;
  edit: Edit;
  /** On success: each changed path's content after (null: deleted), and the fallbacks taken. */
  after?: Record<string, string | null>;
  fallbacks?: string[];
  /** On failure. */
  reason?: string;
  path?: string;
  hunk?: number;
  message?: RegExp;
}

const ud = (patch: string): Edit => ({ format: 'unified_diff', patch });
const sr = (text: string): Edit => ({ format: 'search_replace', text });

const corpus: Case[] = [
  {
    name: 'an exact diff',
    edit: ud(diff('src/app.ts', greetHunk('@@ -7,3 +7,3 @@'))),
    after: { 'src/app.ts': GREETED },
    fallbacks: [],
  },
  {
    name: 'wrong line numbers',
    edit: ud(diff('src/app.ts', greetHunk('@@ -31,3 +31,3 @@'))),
    after: { 'src/app.ts': GREETED },
    fallbacks: ['offset'],
  },
  {
    name: 'wrong hunk counts',
    edit: ud(diff('src/app.ts', greetHunk('@@ -7,5 +7,9 @@'))),
    after: { 'src/app.ts': GREETED },
    fallbacks: ['recounted'],
  },
  {
    name: '@@ ... @@ with no numbers',
    edit: ud(diff('src/app.ts', greetHunk('@@ ... @@'))),
    after: { 'src/app.ts': GREETED },
    fallbacks: ['headerless'],
  },
  {
    name: 'a bare @@',
    edit: ud(diff('src/app.ts', greetHunk('@@'))),
    after: { 'src/app.ts': GREETED },
    fallbacks: ['headerless'],
  },
  {
    name: 'missing context (a line dropped away from the change): fuzz 1',
    edit: ud(
      diff(
        'src/app.ts',
        "@@ -5,4 +5,4 @@\n }\n export function greet(name: string): string {\n-  return 'hello, ' + name;\n+  return 'hi, ' + name;\n }\n",
      ),
    ),
    after: { 'src/app.ts': GREETED },
    fallbacks: ['fuzz1'],
  },
  {
    name: 'missing context next to the change: no place is sure',
    edit: ud(
      diff(
        'src/app.ts',
        "@@ -7,3 +7,3 @@\n export function greet(name: string): string {\n-  return 'hello, ' + name;\n+  return 'hi, ' + name;\n \n",
      ),
    ),
    reason: 'hunk_failed',
    path: 'src/app.ts',
    hunk: 1,
    message: /hunk 1 of 'src\/app.ts' does not apply, even with fuzz 2.*line 9 of the file has '}'/,
  },
  {
    name: 'a stale deletion (the line is not in the file any more)',
    edit: ud(
      diff(
        'src/app.ts',
        "@@ -7,3 +7,3 @@\n export function greet(name: string): string {\n-  return `hello, ${name}`;\n+  return 'hi, ' + name;\n }\n",
      ),
    ),
    reason: 'hunk_failed',
    path: 'src/app.ts',
    hunk: 1,
    message: /the line it deletes, ' {2}return `hello, \$\{name\}`;', is not in the file/,
  },
  {
    name: "context only (the model forgot the '+')",
    edit: ud(
      diff(
        'src/app.ts',
        "@@ -7,3 +7,4 @@\n export function greet(name: string): string {\n   return 'hello, ' + name;\n   // greeted\n }\n",
      ),
    ),
    reason: 'no_op',
    path: 'src/app.ts',
    hunk: 1,
    message: /changes nothing: it has no '\+' or '-' line/,
  },
  {
    name: 'a blank context line whose space was stripped',
    edit: ud(
      diff(
        'src/app.ts',
        "@@ -5,4 +5,4 @@\n }\n\n export function greet(name: string): string {\n-  return 'hello, ' + name;\n+  return 'hi, ' + name;\n",
      ),
    ),
    after: { 'src/app.ts': GREETED },
    fallbacks: ['whitespace'],
  },
  {
    name: 'a CRLF file, the diff in LF: CRLF kept',
    edit: ud(diff('src/win.ts', greetHunk('@@ -7,3 +7,3 @@'))),
    after: { 'src/win.ts': GREETED.replaceAll('\n', '\r\n') },
    fallbacks: ['crlf'],
  },
  {
    name: 'a CRLF file and a blank context line whose space was stripped',
    edit: ud(
      diff(
        'src/win.ts',
        '@@ -9,3 +9,3 @@\n }\n\n-export function main(): void {\n+export function main(): number {\n',
      ),
    ),
    after: { 'src/win.ts': CRLF.replace('main(): void', 'main(): number') },
    fallbacks: ['crlf', 'whitespace'],
  },
  {
    name: 'a new file',
    edit: ud(
      '--- /dev/null\n+++ b/src/new.ts\n@@ -0,0 +1,2 @@\n+export const n = 1;\n+export const m = 2;\n',
    ),
    after: { 'src/new.ts': 'export const n = 1;\nexport const m = 2;\n' },
    fallbacks: [],
  },
  {
    name: 'a new file that is already there',
    edit: ud('--- /dev/null\n+++ b/src/util.ts\n@@ -0,0 +1 @@\n+export const n = 1;\n'),
    reason: 'file_exists',
    path: 'src/util.ts',
    message: /'src\/util.ts' already exists/,
  },
  {
    name: 'a deleted file',
    edit: ud(
      '--- a/src/util.ts\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-export const one = 1;\n-export const two = 2;\n',
    ),
    after: { 'src/util.ts': null },
    fallbacks: [],
  },
  {
    name: 'a deleted file whose lines are not the file',
    edit: ud(
      '--- a/src/util.ts\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-export const one = 1;\n-export const three = 3;\n',
    ),
    reason: 'hunk_failed',
    path: 'src/util.ts',
    hunk: 1,
  },
  {
    name: 'a rename (git headers, no hunk)',
    edit: ud(
      'diff --git a/src/util.ts b/src/numbers.ts\nsimilarity index 100%\nrename from src/util.ts\nrename to src/numbers.ts\n',
    ),
    after: { 'src/util.ts': null, 'src/numbers.ts': UTIL },
    fallbacks: [],
  },
  {
    name: 'a rename with a change (different --- and +++ paths)',
    edit: ud(
      '--- a/src/util.ts\n+++ b/src/numbers.ts\n@@ -1,2 +1,2 @@\n export const one = 1;\n-export const two = 2;\n+export const two = 2.0;\n',
    ),
    after: { 'src/util.ts': null, 'src/numbers.ts': UTIL.replace('= 2;', '= 2.0;') },
    fallbacks: [],
  },
  {
    name: 'a path outside the workspace (..)',
    edit: ud(diff('../outside.ts', greetHunk('@@ -7,3 +7,3 @@'))),
    reason: 'path_refused',
    path: '../outside.ts',
    message: /path refused \(dotdot\)/,
  },
  {
    name: 'an absolute path',
    edit: ud(`--- /etc/passwd\n+++ /etc/passwd\n${greetHunk('@@ -7,3 +7,3 @@')}`),
    reason: 'path_refused',
    path: '/etc/passwd',
    message: /path refused \(absolute\)/,
  },
  {
    name: 'a blocked path (.env)',
    edit: ud('--- /dev/null\n+++ b/.env\n@@ -0,0 +1 @@\n+API_KEY=x\n'),
    reason: 'path_refused',
    path: '.env',
    message: /path refused \(deny\): '.env' matches '\*\*\/.env\*'/,
  },
  {
    name: 'a blocked path (.git/)',
    edit: ud('--- /dev/null\n+++ b/.git/hooks/pre-commit\n@@ -0,0 +1 @@\n+rm -rf ~\n'),
    reason: 'path_refused',
    path: '.git/hooks/pre-commit',
    message: /matches '.git\/\*\*'/,
  },
  {
    name: 'overlapping hunks',
    edit: ud(
      diff(
        'src/app.ts',
        `${greetHunk('@@ -7,3 +7,3 @@')}@@ -8,2 +8,2 @@\n-  return 'hello, ' + name;\n+  return 'hey, ' + name;\n }\n`,
      ),
    ),
    reason: 'hunk_overlap',
    path: 'src/app.ts',
    hunk: 2,
    message: /hunks 1 and 2 of 'src\/app.ts' overlap/,
  },
  {
    name: 'hunks out of order',
    edit: ud(
      diff(
        'src/app.ts',
        `@@ -11,3 +11,3 @@\n export function main(): void {\n-  console.log(greet('world'));\n+  console.log(greet('you'));\n }\n${greetHunk('@@ -7,3 +7,3 @@')}`,
      ),
    ),
    after: { 'src/app.ts': GREETED.replace("greet('world')", "greet('you')") },
    fallbacks: [],
  },
  {
    name: 'an edit across 3 files whose third fails: no changes',
    edit: ud(
      [
        diff('src/app.ts', greetHunk('@@ -7,3 +7,3 @@')),
        diff('README.md', '@@ -1 +1 @@\n-# app\n+# the app\n'),
        diff(
          'src/util.ts',
          '@@ -1,2 +1,2 @@\n-export const one = 1.0;\n+export const one = 1;\n export const two = 2;\n',
        ),
      ].join(''),
    ),
    reason: 'hunk_failed',
    path: 'src/util.ts',
    hunk: 1,
  },
  {
    name: 'a search block not found',
    edit: sr(
      "src/app.ts\n<<<<<<< SEARCH\n  return 'hello ' + name;\n=======\n  return 'hi, ' + name;\n>>>>>>> REPLACE\n",
    ),
    reason: 'search_not_found',
    path: 'src/app.ts',
    hunk: 1,
    message: /block 1 for 'src\/app.ts' \(line 2\): its SEARCH is not in the file/,
  },
  {
    name: 'a search block found twice',
    edit: sr('src/app.ts\n<<<<<<< SEARCH\n}\n\n=======\n}\n>>>>>>> REPLACE\n'),
    reason: 'search_ambiguous',
    path: 'src/app.ts',
    hunk: 1,
    message: /in the file 2 times \(lines 5, 9\): give more lines/,
  },
  {
    name: 'search/replace blocks on two files, one a CRLF file',
    edit: sr(
      "src/app.ts\n```ts\n<<<<<<< SEARCH\n  return 'hello, ' + name;\n=======\n  return 'hi, ' + name;\n>>>>>>> REPLACE\n```\n\nsrc/win.ts\n```ts\n<<<<<<< SEARCH\n  return 'hello, ' + name;\n=======\n  return 'hi, ' + name;\n>>>>>>> REPLACE\n```\n",
    ),
    after: { 'src/app.ts': GREETED, 'src/win.ts': GREETED.replaceAll('\n', '\r\n') },
    fallbacks: ['crlf'],
  },
  {
    name: 'an empty search on a missing file creates it',
    edit: sr('src/new.ts\n<<<<<<< SEARCH\n=======\nexport const n = 1;\n>>>>>>> REPLACE\n'),
    after: { 'src/new.ts': 'export const n = 1;\n' },
    fallbacks: [],
  },
];

describe('planEdit: the corpus of model-style edits', () => {
  for (const c of corpus) {
    it(`should plan ${c.name} → ${c.reason ?? 'ok'}`, () => {
      const tree = memoryTree(files);
      const r = planEdit(c.edit, tree, rules);
      if (c.reason === undefined) {
        if (!r.ok) throw new Error(`expected a plan, got ${r.reason}: ${r.message}`);
        const got = Object.fromEntries(
          r.changes.map((ch) => [ch.path, ch.after?.toString() ?? null]),
        );
        expect(got).toEqual(c.after);
        for (const ch of r.changes)
          expect(ch.before?.toString() ?? null).toBe(files[ch.path as keyof typeof files] ?? null);
        expect(r.fallbacks.map((f) => f.how)).toEqual(c.fallbacks);
        return;
      }
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.reason).toBe(c.reason);
      expect(r.path).toBe(c.path);
      expect(r.hunk).toBe(c.hunk);
      if (c.message) expect(r.message).toMatch(c.message);
      expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
    });
  }
});
