/**
 * Test counts read from the summaries runners print: node:test (TAP and spec), vitest and jest
 * JSON reports (after npm's banner too), pytest's summary line; anything else is undefined.
 */
import { describe, expect, it } from 'vitest';
import { parseTestCounts } from '../../sandbox/index.js';

const TAP = `TAP version 13
# Subtest: a
ok 1 - a
not ok 2 - b
1..4
# tests 4
# suites 0
# pass 1
# fail 1
# cancelled 0
# skipped 1
# todo 1
# duration_ms 232.8
`;

const SPEC = `✔ a (0.4ms)
✖ b (0.5ms)
ℹ tests 5
ℹ suites 1
ℹ pass 3
ℹ fail 1
ℹ cancelled 1
ℹ skipped 0
ℹ todo 0
ℹ duration_ms 50.1
`;

/** vitest 4's `--reporter=json`, as printed by this repo's vitest (testResults cut short). */
const VITEST = JSON.stringify({
  numTotalTestSuites: 1,
  numPassedTestSuites: 0,
  numFailedTestSuites: 1,
  numPendingTestSuites: 0,
  numTotalTests: 4,
  numPassedTests: 1,
  numFailedTests: 1,
  numPendingTests: 1,
  numTodoTests: 1,
  snapshot: { added: 0, failure: false },
  startTime: 1796594419471,
  success: false,
  testResults: [],
});

const JEST = JSON.stringify({
  numFailedTestSuites: 0,
  numFailedTests: 0,
  numPassedTestSuites: 2,
  numPassedTests: 7,
  numPendingTestSuites: 0,
  numPendingTests: 2,
  numRuntimeErrorTestSuites: 0,
  numTodoTests: 0,
  numTotalTestSuites: 2,
  numTotalTests: 9,
  success: true,
  testResults: [],
  wasInterrupted: false,
});

describe('parseTestCounts', () => {
  it('should read node:test TAP, folding todo into skipped', () => {
    expect(parseTestCounts(TAP)).toEqual({
      runner: 'node:test',
      passed: 1,
      failed: 1,
      skipped: 2,
      total: 4,
    });
  });

  it("should read node:test's spec reporter, counting cancelled as failed", () => {
    expect(parseTestCounts(SPEC)).toEqual({
      runner: 'node:test',
      passed: 3,
      failed: 2,
      skipped: 0,
      total: 5,
    });
  });

  it("should read vitest's JSON report after npm's banner", () => {
    const stdout = `\n> demo@1.0.0 test\n> vitest run --reporter=json\n\n${VITEST}\n`;
    expect(parseTestCounts(stdout)).toEqual({
      runner: 'vitest',
      passed: 1,
      failed: 1,
      skipped: 2,
      total: 4,
    });
  });

  it("should read jest's --json report", () => {
    expect(parseTestCounts(JEST, 'PASS src/a.test.js\n')).toEqual({
      runner: 'jest',
      passed: 7,
      failed: 0,
      skipped: 2,
      total: 9,
    });
  });

  it("should read pytest's summary line, with or without its rule", () => {
    const cases: [string, object][] = [
      ['===== 3 passed, 1 failed in 0.12s =====', { passed: 3, failed: 1, skipped: 0, total: 4 }],
      [
        '= 2 failed, 5 passed, 1 skipped, 2 warnings, 1 error in 3.04s (0:00:03) =',
        { passed: 5, failed: 3, skipped: 1, total: 9 },
      ],
      [
        '10 passed, 2 xfailed, 1 xpassed, 3 deselected in 1.00s',
        { passed: 11, failed: 0, skipped: 2, total: 13 },
      ],
      [
        '============ no tests ran in 0.01s ============',
        { passed: 0, failed: 0, skipped: 0, total: 0 },
      ],
    ];
    for (const [line, counts] of cases)
      expect(parseTestCounts(`collected 4 items\n\ntest_a.py ..F.\n${line}\n`), line).toEqual({
        runner: 'pytest',
        ...counts,
      });
  });

  it('should take the last summary when a run prints several', () => {
    expect(parseTestCounts(`${TAP}${TAP.replace('# pass 1', '# pass 9')}`)?.passed).toBe(9);
  });

  it('should say nothing about output it does not know', () => {
    for (const text of [
      '',
      'all good\n',
      '{"numTotalTests": "4"}',
      '{ not json',
      '# pass 3\n',
      `${VITEST.slice(0, 60)}`,
    ])
      expect(parseTestCounts(text), text).toBeUndefined();
  });
});
