/**
 * Test counts read from a test run's output, for the runners whose summary we know: node:test
 * (its TAP `# pass N` lines, or the spec reporter's `ℹ pass N`), vitest's `--reporter=json` and
 * jest's `--json` (one JSON report on stdout, maybe after npm's banner), and pytest's summary line
 * (`== 3 passed, 1 failed in 0.12s ==`, or `-q`'s bare one). Anything else: undefined, never a
 * guess. A selection engine compares candidates by `passed`, not only by exit code.
 */

export interface TestCounts {
  runner: 'node:test' | 'vitest' | 'jest' | 'pytest';
  passed: number;
  /** Failures, errors and cancelled tests. */
  failed: number;
  /** Skipped, todo, pending and expected failures. */
  skipped: number;
  total: number;
}

/** The counts in a run's stdout (and stderr, where some runners print their summary). */
export function parseTestCounts(stdout: string, stderr = ''): TestCounts | undefined {
  return (
    jsonReport(stdout) ?? nodeTest(stdout) ?? nodeTest(stderr) ?? pytest(stdout) ?? pytest(stderr)
  );
}

/** Tries at most this many `{` line starts: a long log is not parsed over and over. */
const MAX_JSON_STARTS = 20;

function jsonReport(text: string): TestCounts | undefined {
  const end = text.lastIndexOf('}');
  let tries = 0;
  for (const start of text.matchAll(/^\{/gm)) {
    if (++tries > MAX_JSON_STARTS) break;
    let report: unknown;
    try {
      report = JSON.parse(text.slice(start.index, end + 1));
    } catch {
      continue;
    }
    const counts = fromJestShape(report);
    if (counts) return counts;
  }
  return undefined;
}

/** vitest's json reporter writes jest's shape; only jest has `numRuntimeErrorTestSuites`/`wasInterrupted`. */
function fromJestShape(report: unknown): TestCounts | undefined {
  if (!report || typeof report !== 'object') return undefined;
  const r = report as Record<string, unknown>;
  const n = (key: string): number => (typeof r[key] === 'number' ? (r[key] as number) : 0);
  if (typeof r.numTotalTests !== 'number' || typeof r.numPassedTests !== 'number') return undefined;
  const jest = 'numRuntimeErrorTestSuites' in r || 'wasInterrupted' in r;
  return {
    runner: jest ? 'jest' : 'vitest',
    passed: n('numPassedTests'),
    failed: n('numFailedTests'),
    skipped: n('numPendingTests') + n('numTodoTests'),
    total: n('numTotalTests'),
  };
}

/** node:test's summary: `# pass 2` (TAP) or `ℹ pass 2` (spec); the last of each line counts. */
function nodeTest(text: string): TestCounts | undefined {
  const read = (key: string): number | undefined => {
    const all = [...text.matchAll(new RegExp(`^(?:#|ℹ) ${key} (\\d+)\\s*$`, 'gmu'))];
    const last = all.at(-1);
    return last ? Number(last[1]) : undefined;
  };
  const pass = read('pass');
  const fail = read('fail');
  if (pass === undefined || fail === undefined) return undefined;
  const failed = fail + (read('cancelled') ?? 0);
  const skipped = (read('skipped') ?? 0) + (read('todo') ?? 0);
  return {
    runner: 'node:test',
    passed: pass,
    failed,
    skipped,
    total: read('tests') ?? pass + failed + skipped,
  };
}

const PYTEST_LINE =
  /^=*\s*((?:\d+ (?:passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?|rerun)(?:, )?)+|no tests ran) in \d+(?:\.\d+)?s\b.*$/gm;

/** pytest's last summary line: `3 passed, 1 failed, 2 skipped in 0.12s`. */
function pytest(text: string): TestCounts | undefined {
  const last = [...text.matchAll(PYTEST_LINE)].at(-1);
  if (!last) return undefined;
  const count = (...words: string[]): number =>
    words.reduce(
      (sum, w) => sum + Number(new RegExp(`(\\d+) ${w}\\b`).exec(last[1]!)?.[1] ?? 0),
      0,
    );
  const passed = count('passed', 'xpassed');
  const failed = count('failed', 'errors?');
  const skipped = count('skipped', 'xfailed');
  return { runner: 'pytest', passed, failed, skipped, total: passed + failed + skipped };
}
