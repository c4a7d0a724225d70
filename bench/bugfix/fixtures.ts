/**
 * The fixture set of the coding workflow's selection bench (README.md): small one-bug JavaScript
 * modules in the spirit of QuixBugs, each with visible tests (what a model is shown), hidden tests
 * (what tells a real fix from one fitted to the visible tests), and the candidate patches models
 * write for it, each with the kind it is and whether a selection should pick it.
 *
 * `loadFixtures` reads every fixture folder, validates its `candidates.json` with zod and turns
 * each candidate's `edit` text into `planEdit`'s input (`Edit`). A fixture folder that is not
 * right is a `ConfigError` naming the file and the field (`candidates[2].kind: ...`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { formatPath } from '../../config/loader.js';
import { ConfigError, type ConfigIssue } from '../../kernel/errors.js';
import type { Edit } from '../../workspace/types.js';

/** Where the fixtures are: one folder each, `fixtures/<name>/`. */
export const FIXTURES_DIR = fileURLToPath(new URL('./fixtures/', import.meta.url));

export const BUG_CLASSES = [
  'off_by_one',
  'wrong_operator',
  'missing_base_case',
  'wrong_variable',
  'wrong_comparison',
  'wrong_initial_value',
  'missing_return',
  'swapped_arguments',
  'wrong_loop_bound',
  'missing_edge_case',
  'wrong_recursion_step',
  'integer_division',
] as const;
export type BugClass = (typeof BUG_CLASSES)[number];

export const CANDIDATE_KINDS = [
  /** The fix: applies, passes the visible and the hidden tests. */
  'correct',
  /** The same fix written otherwise (another format, other whitespace, a comment). */
  'correct_variant',
  /** Applies and passes the visible tests, fails hidden ones (fitted to what it was shown). */
  'overfitting',
  /** An edit that cannot apply (no file header, a stale or cut-off line, a wrong path, ...). */
  'malformed',
  /** The fix as a unified diff whose `@@` line numbers are off: applies once placed by its lines. */
  'wrong_lines',
  /** Changes nothing (context only, a replace equal to its search, the file as it is). */
  'no_op',
] as const;
export type CandidateKind = (typeof CANDIDATE_KINDS)[number];

export const EDIT_FORMATS = ['unified_diff', 'search_replace', 'whole_file'] as const;

/** What a selection should do with a candidate: pick one that fixes the bug, reject the rest. */
export type Expected = 'pick' | 'reject';

export interface FixtureCandidate {
  id: string;
  kind: CandidateKind;
  format: Edit['format'];
  /** The edit as `planEdit` takes it, planned against the fixture's `repo/`. */
  edit: Edit;
  expected: Expected;
}

export interface Fixture {
  /** The folder's name, and the module's: `repo/src/<name>.js`. */
  name: string;
  bug: BugClass;
  /** The fixture's folder. */
  dir: string;
  /** The buggy repository: `src/<name>.js`, `package.json`, `test/visible.test.js`. */
  repoDir: string;
  /** `hidden.test.js`, to copy into `repo/test/` for a hidden run. */
  hiddenDir: string;
  /** The buggy module, relative to `repoDir`. */
  module: string;
  candidates: FixtureCandidate[];
}

/**
 * `wrong_lines` candidates carry the correct fix (only their line numbers are wrong): once
 * placed, their bytes are the correct candidate's, so picking one resolves the bug.
 */
export function expectedOf(kind: CandidateKind): Expected {
  return kind === 'correct' || kind === 'correct_variant' || kind === 'wrong_lines'
    ? 'pick'
    : 'reject';
}

const candidateSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]+$/, 'an id is letters, digits, _ and -'),
  kind: z.enum(CANDIDATE_KINDS),
  format: z.enum(EDIT_FORMATS),
  edit: z.string().min(1, 'the edit is empty'),
});

const candidatesFileSchema = z.strictObject({
  bug: z.enum(BUG_CLASSES),
  candidates: z.array(candidateSchema).min(1, 'a fixture has at least one candidate'),
});

/** A whole_file edit's text: one file's path and its new content (null deletes it). */
const wholeFileSchema = z.strictObject({
  path: z.string().min(1),
  content: z.string().nullable(),
});

type CandidateEntry = z.infer<typeof candidateSchema>;

/** Every fixture under `root`, in name order. */
export function loadFixtures(root: string = FIXTURES_DIR): Fixture[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => loadFixture(join(root, name)));
}

/** The fixture in `dir` (its folder name is its name). */
export function loadFixture(dir: string): Fixture {
  const name = dir.split(/[\\/]/).filter(Boolean).pop()!;
  const module = `src/${name}.js`;
  const repoDir = join(dir, 'repo');
  const hiddenDir = join(dir, 'hidden');
  for (const file of [
    join(repoDir, ...module.split('/')),
    join(repoDir, 'package.json'),
    join(repoDir, 'test', 'visible.test.js'),
    join(hiddenDir, 'hidden.test.js'),
  ]) {
    if (!existsSync(file)) {
      throw new ConfigError(file, [{ path: '', message: `missing: fixture '${name}' needs it` }]);
    }
  }
  const file = join(dir, 'candidates.json');
  const { bug, candidates } = parseCandidatesFile(file);
  return { name, bug, dir, repoDir, hiddenDir, module, candidates };
}

/** A `candidates.json`, validated, its edits in `planEdit`'s shape. */
export function parseCandidatesFile(file: string): {
  bug: BugClass;
  candidates: FixtureCandidate[];
} {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'not JSON';
    throw new ConfigError(file, [{ path: '', message: `${why}: ${(err as Error).message}` }], {
      cause: err,
    });
  }
  const parsed = candidatesFileSchema.safeParse(raw);
  if (!parsed.success) {
    // zod puts every unknown key of an object in one issue; one each, at the key, reads better.
    const issues = parsed.error.issues.flatMap((i) =>
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => ({ path: formatPath([...i.path, k]), message: 'unknown key' }))
        : [{ path: formatPath(i.path), message: i.message }],
    );
    throw new ConfigError(file, issues, { cause: parsed.error });
  }
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  const candidates: FixtureCandidate[] = [];
  parsed.data.candidates.forEach((c, i) => {
    if (seen.has(c.id)) issues.push({ path: `candidates[${i}].id`, message: `'${c.id}' twice` });
    seen.add(c.id);
    const edit = toEdit(c, `candidates[${i}].edit`, issues);
    if (edit) candidates.push({ ...c, edit, expected: expectedOf(c.kind) });
  });
  if (issues.length > 0) throw new ConfigError(file, issues);
  return { bug: parsed.data.bug, candidates };
}

/**
 * The candidate's text as `planEdit`'s input: a unified diff is `patch`, Aider's blocks are
 * `text`, a whole file is the JSON text of `{ path, content }` made a one-file `files` list.
 */
function toEdit(c: CandidateEntry, at: string, issues: ConfigIssue[]): Edit | undefined {
  if (c.format === 'unified_diff') return { format: 'unified_diff', patch: c.edit };
  if (c.format === 'search_replace') return { format: 'search_replace', text: c.edit };
  let json: unknown;
  try {
    json = JSON.parse(c.edit);
  } catch (err) {
    issues.push({
      path: at,
      message: `a whole_file edit is the JSON text of { path, content }: ${(err as Error).message}`,
    });
    return undefined;
  }
  const f = wholeFileSchema.safeParse(json);
  if (!f.success) {
    for (const i of f.error.issues) {
      const inner = formatPath(i.path);
      issues.push({
        path: at,
        message: `a whole_file edit is the JSON text of { path, content }: ${inner === '' ? '' : `${inner}: `}${i.message}`,
      });
    }
    return undefined;
  }
  return { format: 'whole_file', files: [f.data] };
}
