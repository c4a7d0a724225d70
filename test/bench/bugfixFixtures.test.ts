/**
 * The selection bench's fixture set (bench/bugfix) is what it says: each buggy module fails its
 * visible tests; each candidate, planned by `planEdit` on a copy of the fixture's repo and its
 * files written there, behaves as its kind says when `node --test test/` runs (with the hidden
 * test copied in for a hidden run). Candidates whose planned bytes are the same share one run,
 * and a failed hidden run tells from its TAP failures' locations whether the visible tests
 * passed. Fixtures run four at a time; a run is a real `node --test` in a temp dir.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUG_CLASSES,
  type Fixture,
  type FixtureCandidate,
  loadFixture,
  loadFixtures,
} from '../../bench/bugfix/fixtures.js';
import { ConfigError } from '../../kernel/errors.js';
import { fsTree } from '../../workspace/fsTree.js';
import { type PlanResult, planEdit } from '../../workspace/planEdit.js';
import { DEFAULT_DENY, type FileChange, type PathRules } from '../../workspace/types.js';

const rules: PathRules = { deny: DEFAULT_DENY, allow: [], maxFileBytes: 1 << 20 };
const CONCURRENCY = 4;

interface TestRun {
  pass: boolean;
  output: string;
}

/** `node --test test/` in `dir` (TAP), with no test-runner or loader state from this process. */
function nodeTest(dir: string): Promise<TestRun> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--test', '--test-reporter=tap', 'test/'],
      { cwd: dir, env, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ pass: err === null, output: `${stdout}${stderr}` }),
    );
  });
}

/**
 * The test files (base names) that a TAP run's failures are in, each read from its failure's
 * `location:`; undefined when a failure has none (a file that did not load, a crash).
 */
function failedFiles(tap: string): Set<string> | undefined {
  const lines = tap.split('\n');
  const files = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    if (!/^not ok \d+ /.test(lines[i]!)) continue;
    let file: string | undefined;
    for (let j = i + 1; j < lines.length && lines[j]!.startsWith(' '); j++) {
      const m = /^ {2}location: '(.*):\d+:\d+'$/.exec(lines[j]!);
      if (m) file = basename(m[1]!);
    }
    if (file === undefined) return undefined;
    files.add(file);
  }
  return files.size > 0 ? files : undefined;
}

/** What running a candidate's planned files showed: visible tests, then visible and hidden. */
interface Outcome {
  visible: TestRun;
  all: TestRun;
}

interface Tried {
  candidate: FixtureCandidate;
  plan: PlanResult;
  /** The module's text after the plan, when the plan applies. */
  after?: string;
  outcome?: Outcome;
}

interface FixtureRun {
  buggy: TestRun;
  tried: Tried[];
}

const sha = (b: Buffer | null) => (b === null ? '-' : createHash('sha256').update(b).digest('hex'));
const keyOf = (changes: FileChange[]) =>
  changes
    .map((c) => `${c.path}:${sha(c.after)}`)
    .sort()
    .join('\n');

function writeChanges(dir: string, changes: FileChange[]): void {
  for (const c of changes) {
    const file = join(dir, ...c.path.split('/'));
    if (c.after === null) rmSync(file, { force: true });
    else {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, c.after);
    }
  }
}

/**
 * One run of the visible and hidden tests together; the visible tests alone only when that
 * run failed and its failures do not say in which file (an overfitting fix fails in
 * hidden.test.js only, a broken one in visible.test.js too).
 */
async function runPlanned(f: Fixture, dir: string, changes: FileChange[]): Promise<Outcome> {
  cpSync(f.repoDir, dir, { recursive: true });
  writeChanges(dir, changes);
  const hidden = join(dir, 'test', 'hidden.test.js');
  cpSync(join(f.hiddenDir, 'hidden.test.js'), hidden);
  const all = await nodeTest(dir);
  if (all.pass) return { visible: all, all };
  const failed = failedFiles(all.output);
  if (failed) return { visible: { pass: !failed.has('visible.test.js'), output: all.output }, all };
  rmSync(hidden);
  return { visible: await nodeTest(dir), all };
}

async function runFixture(f: Fixture, root: string): Promise<FixtureRun> {
  const base = join(root, f.name, 'base');
  cpSync(f.repoDir, base, { recursive: true });
  const buggy = await nodeTest(base);
  const byBytes = new Map<string, Promise<Outcome>>();
  const tried: Tried[] = [];
  for (const candidate of f.candidates) {
    const plan = planEdit(candidate.edit, fsTree(base), rules);
    if (!plan.ok) {
      tried.push({ candidate, plan });
      continue;
    }
    const key = keyOf(plan.changes);
    let outcome = byBytes.get(key);
    if (!outcome) {
      outcome = runPlanned(f, join(root, f.name, `run${byBytes.size}`), plan.changes);
      byBytes.set(key, outcome);
    }
    const after = plan.changes.find((c) => c.path === f.module)?.after?.toString();
    tried.push({
      candidate,
      plan,
      ...(after === undefined ? {} : { after }),
      outcome: await outcome,
    });
  }
  return { buggy, tried };
}

async function inPool<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

/** The code without its line comments and whitespace: a variant must come to the fix's. */
const normalize = (code: string) => code.replace(/(^|\s)\/\/.*$/gm, '$1').replace(/\s+/g, '');

const fixtures = loadFixtures();
const tmp = mkdtempSync(join(tmpdir(), 'maestro-bugfix-'));
const runs = new Map<string, FixtureRun>();

beforeAll(async () => {
  await inPool(fixtures, CONCURRENCY, async (f) => {
    runs.set(f.name, await runFixture(f, tmp));
  });
}, 120_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const hasCorrect = (f: Fixture) => f.candidates.some((c) => c.kind === 'correct');
const show = (t: TestRun) => `\n--- node --test output (tail) ---\n${t.output.slice(-2000)}`;

describe('the bugfix fixture set', () => {
  it('should have at least 20 fixtures, 3 of them with no candidate to pick', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
    const none = fixtures.filter((f) => f.candidates.every((c) => c.expected === 'reject'));
    expect(none.length).toBeGreaterThanOrEqual(3);
  });

  it('should cover every bug class', () => {
    const used = new Set(fixtures.map((f) => f.bug));
    expect([...BUG_CLASSES].filter((b) => !used.has(b))).toEqual([]);
  });

  it('should give each fixture with a fix the five core kinds, and pick only fixes', () => {
    for (const f of fixtures) {
      const kinds = new Set(f.candidates.map((c) => c.kind));
      if (hasCorrect(f)) {
        for (const k of ['correct_variant', 'overfitting', 'malformed', 'wrong_lines'] as const)
          expect(kinds.has(k), `${f.name} has a ${k} candidate`).toBe(true);
      } else {
        expect(
          [...kinds].filter((k) => !['overfitting', 'malformed', 'no_op'].includes(k)),
        ).toEqual([]);
      }
      for (const c of f.candidates) {
        const pick =
          c.kind === 'correct' || c.kind === 'correct_variant' || c.kind === 'wrong_lines';
        expect(c.expected, `${f.name} ${c.id}`).toBe(pick ? 'pick' : 'reject');
      }
    }
  });

  it('should keep each module small and its tests few', () => {
    const tests = (file: string) => readFileSync(file, 'utf8').match(/^test\(/gm)?.length ?? 0;
    for (const f of fixtures) {
      const lines = readFileSync(join(f.repoDir, f.module), 'utf8').trimEnd().split('\n').length;
      expect(lines, `${f.name}: lines`).toBeGreaterThanOrEqual(5);
      expect(lines, `${f.name}: lines`).toBeLessThanOrEqual(40);
      const visible = tests(join(f.repoDir, 'test', 'visible.test.js'));
      expect([2, 3, 4], `${f.name}: visible tests`).toContain(visible);
      const hidden = tests(join(f.hiddenDir, 'hidden.test.js'));
      expect([3, 4, 5, 6], `${f.name}: hidden tests`).toContain(hidden);
    }
  });
});

for (const f of fixtures) {
  describe(`fixture ${f.name} (${f.bug})`, () => {
    const run = () => runs.get(f.name)!;
    const tried = (id: string) => run().tried.find((t) => t.candidate.id === id)!;
    const correct = () => run().tried.find((t) => t.candidate.kind === 'correct');

    it('should fail its visible tests as it is', () => {
      expect(run().buggy.pass, show(run().buggy)).toBe(false);
    });

    for (const c of f.candidates) {
      it(`should find ${c.id} (${c.kind}, ${c.format}) behaving as a ${c.kind}`, () => {
        const t = tried(c.id);
        const { plan } = t;
        if (c.kind === 'malformed' || c.kind === 'no_op') {
          expect(plan.ok, `${c.id} should not apply`).toBe(false);
          if (plan.ok) return;
          expect(plan.hash).toMatch(/^[0-9a-f]{64}$/);
          if (c.kind === 'no_op') expect(plan.reason).toBe('no_op');
          else expect(plan.reason, plan.message).not.toBe('no_op');
          return;
        }
        if (!plan.ok) throw new Error(`${c.id} should apply: ${plan.reason}: ${plan.message}`);
        const o = t.outcome!;
        if (c.kind === 'overfitting') {
          expect(o.visible.pass, `visible tests${show(o.visible)}`).toBe(true);
          expect(o.all.pass, `hidden tests should fail${show(o.all)}`).toBe(false);
          return;
        }
        expect(o.all.pass, `visible and hidden tests${show(o.all)}`).toBe(true);
        const fix = correct();
        if (c.kind === 'wrong_lines') {
          expect(plan.fallbacks.map((x) => x.how)).toContain('offset');
          if (fix) expect(t.after).toBe(fix.after);
        }
        if (c.kind === 'correct_variant' && fix) {
          expect(normalize(t.after!)).toBe(normalize(fix.after!));
        }
      });
    }
  });
}

describe('loadFixtures on a bad fixture', () => {
  const root = mkdtempSync(join(tmpdir(), 'maestro-bugfix-bad-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const source = fixtures.find((f) => f.name === 'gcd')!;

  const badFixture = (name: string, candidates: unknown, drop?: string): string => {
    const dir = join(root, name);
    cpSync(source.dir, dir, { recursive: true });
    rmSync(join(dir, 'repo', 'src', 'gcd.js'));
    writeFileSync(join(dir, 'repo', 'src', `${name}.js`), 'export const x = 1;\n');
    if (drop) rmSync(join(dir, drop), { recursive: true });
    writeFileSync(join(dir, 'candidates.json'), JSON.stringify(candidates));
    return dir;
  };
  const edit = { id: 'c1', kind: 'correct', format: 'unified_diff', edit: '--- a/x\n' };

  it('should name the file and the field of a bad kind', () => {
    const dir = badFixture('badkind', {
      bug: 'off_by_one',
      candidates: [edit, { ...edit, id: 'c2', kind: 'fixed' }],
    });
    expect(() => loadFixture(dir)).toThrow(ConfigError);
    expect(() => loadFixture(dir)).toThrow(
      new RegExp(`${join(dir, 'candidates.json')} candidates\\[1\\]\\.kind: `),
    );
  });

  it('should name the field of a whole_file edit that is not { path, content }', () => {
    const dir = badFixture('badwhole', {
      bug: 'off_by_one',
      candidates: [{ ...edit, format: 'whole_file', edit: '{"path": "src/x.js"}' }],
    });
    expect(() => loadFixture(dir)).toThrow(/candidates\[0\]\.edit: a whole_file edit .*content/);
  });

  it('should refuse an unknown bug class, an unknown key and an id given twice', () => {
    const dir = badFixture('badmany', {
      bug: 'typo',
      candidates: [edit, { ...edit, note: 'x' }],
    });
    expect(() => loadFixture(dir)).toThrow(/candidates\.json bug: /);
    expect(() => loadFixture(dir)).toThrow(/candidates\[1\]\.note: /);
    const twice = badFixture('badtwice', { bug: 'off_by_one', candidates: [edit, edit] });
    expect(() => loadFixture(twice)).toThrow(/candidates\[1\]\.id: 'c1' twice/);
  });

  it('should name a missing hidden test file', () => {
    const dir = badFixture('nohidden', { bug: 'off_by_one', candidates: [edit] }, 'hidden');
    expect(() => loadFixture(dir)).toThrow(
      `${join(dir, 'hidden', 'hidden.test.js')}: missing: fixture 'nohidden' needs it`,
    );
  });
});
