/**
 * What planning an edit costs (issue 14's "Apply" figure, its check part): a 20-file, 200-hunk
 * unified diff on a synthetic 2,000-file repository, planned by `planEdit` (parse, path rules,
 * placing every hunk, the line check, stats) — median of several runs, over a tree in memory and
 * over the same files on disk (`fsTree`: reads and symlink resolution per path). Three diffs: as
 * git writes it (exact), with every header's numbers off by 7 lines and counts wrong (offset and
 * recounted), and with no numbers at all (`@@ ... @@`, placed by their lines).
 *
 * Then the transaction (issue 14: "time to check, apply and roll back"): the same files as a real
 * git repository (one commit) and as a plain folder (which `Workspace` snapshots into its private
 * repository), a `Workspace` opened on each with a temp state dir (the first open and a second
 * timed), then `--tx-runs` rounds of the exact diff planned on the disk tree (check),
 * `ws.apply` (journal, backup, the files written and fsynced) and `ws.restore` (roll back), each
 * restore checked to leave the edited files byte-identical to before (see `applyEditRepo.ts`).
 *
 *   npx tsx bench/applyEdit.ts [--files 2000] [--lines 120] [--edited 20] [--hunks 10] [--runs 15]
 *                              [--tx-runs 10] [--tmp <dir>]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type EditTree, fsTree, memoryTree } from '../workspace/fsTree.js';
import { planEdit } from '../workspace/planEdit.js';
import { DEFAULT_DENY, type PathRules } from '../workspace/types.js';
import {
  fsTypeOf,
  gitRepo,
  measureTransaction,
  type TxResult,
  writeFiles,
} from './applyEditRepo.js';

const { values: a } = parseArgs({
  options: {
    files: { type: 'string', default: '2000' },
    lines: { type: 'string', default: '120' },
    edited: { type: 'string', default: '20' },
    hunks: { type: 'string', default: '10' },
    runs: { type: 'string', default: '15' },
    'tx-runs': { type: 'string', default: '10' },
    tmp: { type: 'string', default: tmpdir() },
  },
});
const FILES = Number(a.files);
const LINES = Number(a.lines);
const EDITED = Number(a.edited);
const HUNKS = Number(a.hunks);
const RUNS = Number(a.runs);
const TX_RUNS = Number(a['tx-runs']);
const rules: PathRules = { deny: DEFAULT_DENY, allow: [], maxFileBytes: 1 << 20 };

const pathOf = (i: number) => `src/mod${i % 50}/file${i}.ts`;
const lineOf = (i: number, k: number) =>
  `export const v${i}_${k} = ${k}; // value ${k} of file ${i}`;
/** The `e`th edited file's index: spread evenly over the repository. */
const editedIndex = (e: number) => Math.floor((e * FILES) / EDITED);
const edited = Array.from({ length: EDITED }, (_, e) => pathOf(editedIndex(e)));
const files: Record<string, string> = {};
for (let i = 0; i < FILES; i++) {
  files[pathOf(i)] = `${Array.from({ length: LINES }, (_, k) => lineOf(i, k)).join('\n')}\n`;
}

type Style = 'exact' | 'offset' | 'headerless';

/** EDITED files, HUNKS hunks each: one line changed, three lines of context either side. */
function makeDiff(style: Style): string {
  const out: string[] = [];
  const step = Math.floor(LINES / HUNKS);
  for (let e = 0; e < EDITED; e++) {
    const i = editedIndex(e);
    out.push(
      `diff --git a/${pathOf(i)} b/${pathOf(i)}`,
      `--- a/${pathOf(i)}`,
      `+++ b/${pathOf(i)}`,
    );
    for (let h = 0; h < HUNKS; h++) {
      const at = h * step + Math.floor(step / 2);
      const first = at - 3;
      const header =
        style === 'exact'
          ? `@@ -${first + 1},7 +${first + 1},7 @@`
          : style === 'offset'
            ? `@@ -${first + 8},5 +${first + 8},9 @@`
            : '@@ ... @@';
      out.push(header);
      for (let k = first; k < at; k++) out.push(` ${lineOf(i, k)}`);
      out.push(`-${lineOf(i, at)}`, `+${lineOf(i, at).replace('value', 'VALUE')}`);
      for (let k = at + 1; k <= at + 3; k++) out.push(` ${lineOf(i, k)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function measure(tree: EditTree, patch: string): { median: number; min: number; max: number } {
  const times: number[] = [];
  for (let r = 0; r < RUNS + 2; r++) {
    const t0 = process.hrtime.bigint();
    const plan = planEdit({ format: 'unified_diff', patch }, tree, rules);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (!plan.ok) throw new Error(`the bench's diff did not plan: ${plan.reason}: ${plan.message}`);
    if (plan.changes.length !== EDITED || plan.stats.added !== EDITED * HUNKS) {
      throw new Error(`the bench's diff planned wrong: ${JSON.stringify(plan.stats)}`);
    }
    if (r >= 2) times.push(ms); // two warm-up runs
  }
  return { median: median(times), min: Math.min(...times), max: Math.max(...times) };
}

const fmt = (x: number) => x.toFixed(x < 10 ? 2 : 1);
const spread = (xs: number[]) =>
  `median ${fmt(median(xs))} ms (min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))})`;

function report(r: TxResult): void {
  const [cold, ...rest] = r.runs;
  const warm = rest.length > 0 ? rest : r.runs;
  console.log(
    r.kind === 'git'
      ? `  git repository (${FILES} files, one commit)`
      : '  plain folder (not a repository: Workspace snapshots it into its private one)',
  );
  const made =
    r.kind === 'git'
      ? 'private repository made'
      : `private repository made, ${FILES} files snapshotted`;
  console.log(
    `    open: first ${fmt(r.openFirst)} ms (${made}), again ${fmt(r.openAgain)} ms (recover, ${r.kind === 'git' ? 'nothing to snapshot' : 're-snapshot, unchanged'})`,
  );
  console.log(`    check: ${spread(warm.map((x) => x.check))}`);
  const kib = (r.editedBytes / 1024).toFixed(0);
  console.log(
    `    apply (journal, backup, ${EDITED} files, ${kib} KiB): ${spread(warm.map((x) => x.apply))}`,
  );
  console.log(`    roll back (restore): ${spread(warm.map((x) => x.restore))}`);
  console.log(
    `    check + apply + roll back: ${spread(warm.map((x) => x.check + x.apply + x.restore))}`,
  );
  if (cold)
    console.log(
      `    first run (cold): check ${fmt(cold.check)} ms, apply ${fmt(cold.apply)} ms, roll back ${fmt(cold.restore)} ms`,
    );
}

const base = mkdtempSync(join(a.tmp, 'maestro-bench-edit-'));
const dir = join(base, 'folder');
const repo = join(base, 'repo');
try {
  writeFiles(dir, files);
  const trees: [string, EditTree][] = [
    ['memory', memoryTree(files)],
    ['disk', fsTree(dir)],
  ];
  const bytes = Object.values(files).reduce((n, c) => n + c.length, 0);
  console.log(
    `repo: ${FILES} files of ${LINES} lines (${(bytes / 1e6).toFixed(1)} MB); edit: ${EDITED} files, ${EDITED * HUNKS} hunks; median of ${RUNS} runs`,
  );
  console.log('planning only (planEdit: parse, path rules, place, check, stats)');
  for (const style of ['exact', 'offset', 'headerless'] as const) {
    const patch = makeDiff(style);
    for (const [name, tree] of trees) {
      const m = measure(tree, patch);
      console.log(
        `  ${style.padEnd(10)} ${name.padEnd(6)} ${m.median.toFixed(2).padStart(7)} ms  (min ${m.min.toFixed(2)}, max ${m.max.toFixed(2)}; diff ${(patch.length / 1024).toFixed(0)} KiB)`,
      );
    }
  }

  writeFiles(repo, files);
  const t0 = performance.now();
  gitRepo(repo);
  const built = performance.now() - t0;
  const patch = makeDiff('exact');
  const gitVersion = execFileSync('git', ['--version'], { encoding: 'utf8' }).trim();
  console.log(
    `transaction (Workspace.apply + restore; ${gitVersion}, ${fsTypeOf(base)} at ${base}; git init/add/commit ${fmt(built)} ms)`,
  );
  console.log(
    `  the exact diff (${(patch.length / 1024).toFixed(0)} KiB), ${TX_RUNS} runs: check = planEdit on fsTree(root), apply = ws.apply, roll back = ws.restore; medians of runs 2-${TX_RUNS}, run 1 (cold) apart; after every restore the ${EDITED} files byte-identical, modes and their folder unchanged (checked)`,
  );
  for (const [kind, root] of [
    ['git', repo],
    ['folder', dir],
  ] as const) {
    const r = await measureTransaction({
      root,
      stateDir: join(base, `state-${kind}`),
      kind,
      patch,
      rules,
      files,
      edited,
      addedLines: EDITED * HUNKS,
      runs: TX_RUNS,
    });
    report(r);
    if (kind === 'git') console.log('    git status after the runs: clean');
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
