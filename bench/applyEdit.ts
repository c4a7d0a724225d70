/**
 * What planning an edit costs (issue 14's "Apply" figure, its check part): a 20-file, 200-hunk
 * unified diff on a synthetic 2,000-file repository, planned by `planEdit` (parse, path rules,
 * placing every hunk, the line check, stats) — median of several runs, over a tree in memory and
 * over the same files on disk (`fsTree`: reads and symlink resolution per path). Three diffs: as
 * git writes it (exact), with every header's numbers off by 7 lines and counts wrong (offset and
 * recounted), and with no numbers at all (`@@ ... @@`, placed by their lines). Applying and
 * rolling back are the transaction's (`Workspace.apply`), not measured here.
 *
 *   npx tsx bench/applyEdit.ts [--files 2000] [--lines 120] [--edited 20] [--hunks 10] [--runs 15]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { type EditTree, fsTree, memoryTree } from '../workspace/fsTree.js';
import { planEdit } from '../workspace/planEdit.js';
import { DEFAULT_DENY, type PathRules } from '../workspace/types.js';

const { values: a } = parseArgs({
  options: {
    files: { type: 'string', default: '2000' },
    lines: { type: 'string', default: '120' },
    edited: { type: 'string', default: '20' },
    hunks: { type: 'string', default: '10' },
    runs: { type: 'string', default: '15' },
  },
});
const FILES = Number(a.files);
const LINES = Number(a.lines);
const EDITED = Number(a.edited);
const HUNKS = Number(a.hunks);
const RUNS = Number(a.runs);
const rules: PathRules = { deny: DEFAULT_DENY, allow: [], maxFileBytes: 1 << 20 };

const pathOf = (i: number) => `src/mod${i % 50}/file${i}.ts`;
const lineOf = (i: number, k: number) =>
  `export const v${i}_${k} = ${k}; // value ${k} of file ${i}`;
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
    const i = Math.floor((e * FILES) / EDITED);
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

const dir = mkdtempSync(join(tmpdir(), 'maestro-bench-edit-'));
try {
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  const trees: [string, EditTree][] = [
    ['memory', memoryTree(files)],
    ['disk', fsTree(dir)],
  ];
  const bytes = Object.values(files).reduce((n, c) => n + c.length, 0);
  console.log(
    `repo: ${FILES} files of ${LINES} lines (${(bytes / 1e6).toFixed(1)} MB); edit: ${EDITED} files, ${EDITED * HUNKS} hunks; median of ${RUNS} runs`,
  );
  console.log(
    "planning only (planEdit: parse, path rules, place, check, stats); apply and rollback are the transaction's",
  );
  for (const style of ['exact', 'offset', 'headerless'] as const) {
    const patch = makeDiff(style);
    for (const [name, tree] of trees) {
      const m = measure(tree, patch);
      console.log(
        `  ${style.padEnd(10)} ${name.padEnd(6)} ${m.median.toFixed(2).padStart(7)} ms  (min ${m.min.toFixed(2)}, max ${m.max.toFixed(2)}; diff ${(patch.length / 1024).toFixed(0)} KiB)`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
