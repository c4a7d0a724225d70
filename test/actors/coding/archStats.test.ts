import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ArchOutcome,
  archStatsFile,
  MIN_RECORDS,
  measuredFor,
  readStats,
  recordOutcome,
} from '../../../actors/coding/archStats.js';
import { selectArchitecture } from '../../../actors/coding/architecture.js';
import { main } from '../../../cli/main.js';
import { captureIo } from '../../helpers/captureIo.js';
import { tempDir } from '../../helpers/missions.js';

const at = () => new Date('2026-01-02T03:04:05.000Z');

const outcome = (o: Partial<ArchOutcome> = {}): ArchOutcome => ({
  family: 'bugfix',
  stage: 'implement',
  topology: 'single',
  models: ['gpt-5'],
  success: true,
  ...o,
});

describe('recordOutcome and readStats', () => {
  it('should append one JSON line per outcome, models sorted, and read it back aggregated', () => {
    const dir = join(tempDir(), 'state');
    recordOutcome(dir, outcome({ models: ['b', 'a'], tokens: 100, turns: 3 }), at);
    recordOutcome(dir, outcome({ models: ['a', 'b'], success: false, tokens: 300 }), at);
    expect(readFileSync(archStatsFile(dir), 'utf8')).toBe(
      '{"v":1,"ts":"2026-01-02T03:04:05.000Z","family":"bugfix","stage":"implement","topology":"single","models":["a","b"],"success":true,"turns":3,"tokens":100}\n' +
        '{"v":1,"ts":"2026-01-02T03:04:05.000Z","family":"bugfix","stage":"implement","topology":"single","models":["a","b"],"success":false,"tokens":300}\n',
    );
    expect(readStats(dir)).toEqual({
      file: join(dir, 'arch-stats.jsonl'),
      rows: [
        {
          family: 'bugfix',
          stage: 'implement',
          topology: 'single',
          models: ['a', 'b'],
          runs: 2,
          successes: 1,
          rate: 0.5,
          meanTokens: 200,
          meanTurns: 3,
        },
      ],
      skipped: [],
    });
  });

  it('should read a state dir with no file as no outcomes', () => {
    const dir = tempDir();
    expect(readStats(dir)).toEqual({ file: archStatsFile(dir), rows: [], skipped: [] });
    expect(existsSync(archStatsFile(dir))).toBe(false);
  });

  it('should refuse to record an outcome that is not one', () => {
    const dir = tempDir();
    expect(() => recordOutcome(dir, outcome({ family: '' }))).toThrow(/"family"/);
    expect(() => recordOutcome(dir, outcome({ tokens: -1 }))).toThrow(/"tokens"/);
    expect(existsSync(archStatsFile(dir))).toBe(false);
  });

  it('should report a garbage line and a torn last line with their numbers, and skip them', () => {
    const dir = tempDir();
    recordOutcome(dir, outcome(), at);
    appendFileSync(archStatsFile(dir), 'garbage\n');
    appendFileSync(archStatsFile(dir), `${JSON.stringify({ v: 2, family: 'x' })}\n`);
    recordOutcome(dir, outcome({ success: false }), at);
    appendFileSync(archStatsFile(dir), '{"v":1,"family":"bugf');
    const stats = readStats(dir);
    expect(stats.skipped).toEqual([
      { line: 2, why: 'not JSON' },
      { line: 3, why: 'v: Invalid input: expected 1' },
      { line: 5, why: 'torn (no newline at its end)' },
    ]);
    expect(stats.rows).toMatchObject([{ runs: 2, successes: 1 }]);
  });

  it('should start a new line after a torn one, so the next outcome is not lost with it', () => {
    const dir = tempDir();
    recordOutcome(dir, outcome(), at);
    appendFileSync(archStatsFile(dir), '{"v":1,"fam');
    recordOutcome(dir, outcome({ success: false }), at);
    const stats = readStats(dir);
    expect(stats.skipped).toEqual([{ line: 2, why: 'not JSON' }]);
    expect(stats.rows).toMatchObject([{ runs: 2, successes: 1 }]);
  });

  it('should aggregate by family, stage, topology and models, whatever order the models are in', () => {
    const dir = tempDir();
    const lines = [
      outcome({ models: ['m2', 'm1'] }),
      outcome({ models: ['m1', 'm2'], success: false }),
      outcome({ models: ['m1'] }),
      outcome({ topology: 'independent', models: ['m1', 'm2'] }),
      outcome({ stage: 'analyze', models: ['m1', 'm2'] }),
      outcome({ family: 'feature', models: ['m1', 'm2'] }),
    ];
    // A line written by hand, models unsorted, is the same row too.
    writeFileSync(
      archStatsFile(dir),
      `${JSON.stringify({ v: 1, ts: 't', family: 'bugfix', stage: 'implement', topology: 'single', models: ['m2', 'm1'], success: true })}\n`,
    );
    for (const o of lines) recordOutcome(dir, o, at);
    const rows = readStats(dir).rows.map((r) => [
      r.family,
      r.stage,
      r.topology,
      r.models.join('+'),
      r.runs,
      r.successes,
    ]);
    expect(rows).toEqual([
      ['bugfix', 'analyze', 'single', 'm1+m2', 1, 1],
      ['bugfix', 'implement', 'single', 'm1', 1, 1],
      ['bugfix', 'implement', 'single', 'm1+m2', 3, 2],
      ['bugfix', 'implement', 'independent', 'm1+m2', 1, 1],
      ['feature', 'implement', 'single', 'm1+m2', 1, 1],
    ]);
  });
});

describe('measuredFor', () => {
  it("should give the single agent's success on a family's stage, over its model sets or one", () => {
    const dir = tempDir();
    for (const success of [true, true, false]) recordOutcome(dir, outcome({ success }), at);
    recordOutcome(dir, outcome({ models: ['claude', 'gpt-5'], success: true }), at);
    recordOutcome(dir, outcome({ topology: 'independent', success: false }), at);
    recordOutcome(dir, outcome({ stage: 'analyze', success: false }), at);
    const stats = readStats(dir);
    expect(measuredFor(stats, 'bugfix', 'implement')).toEqual({
      singleAgentSuccess: 0.75,
      records: 4,
    });
    expect(measuredFor(stats, 'bugfix', 'implement', ['gpt-5', 'claude'])).toEqual({
      singleAgentSuccess: 1,
      records: 1,
    });
    expect(measuredFor(stats, 'bugfix', 'debug')).toEqual({ records: 0 });
    expect(measuredFor(stats, 'other', 'implement')).toEqual({ records: 0 });
  });

  it('should feed Rule A only once MIN_RECORDS single-agent outcomes are in', () => {
    const dir = tempDir();
    const features = { decomposability: 0.9, sequentialDependency: 0.1, toolComplexity: 0.9 };
    const rule = () =>
      selectArchitecture({
        stage: 'analyze',
        features,
        measured: measuredFor(readStats(dir), 'bugfix', 'analyze'),
      }).rule;
    expect(MIN_RECORDS).toBe(5);
    for (let i = 0; i < MIN_RECORDS - 1; i++) {
      recordOutcome(dir, outcome({ stage: 'analyze', success: i % 2 === 0 }), at);
      expect(rule()).toBe('C');
    }
    // 3 of 5 (60%) is past the saturation threshold.
    recordOutcome(dir, outcome({ stage: 'analyze', success: true }), at);
    expect(rule()).toBe('A');
  });
});

describe('maestro arch stats', () => {
  it('should say so when nothing is recorded yet, and exit 0', async () => {
    const dir = tempDir();
    const io = captureIo();
    expect(await main(['arch', 'stats', '--state-dir', dir], io)).toBe(0);
    expect(io.stdout).toEqual([`no outcomes recorded yet in ${dir}`]);
    expect(io.stderr).toEqual([]);
    const json = captureIo();
    expect(await main(['arch', 'stats', '--state-dir', dir, '--json'], json)).toBe(0);
    expect(JSON.parse(json.stdout.join('\n'))).toEqual({
      file: archStatsFile(dir),
      rows: [],
      skipped: [],
    });
  });

  it('should print the aggregated table in aligned columns, and name a skipped line on stderr', async () => {
    const dir = tempDir();
    recordOutcome(dir, outcome({ tokens: 1200, turns: 4 }), at);
    recordOutcome(dir, outcome({ success: false, tokens: 800, turns: 3 }), at);
    recordOutcome(
      dir,
      outcome({ topology: 'centralized', models: ['gpt-5', 'claude-sonnet'] }),
      at,
    );
    appendFileSync(archStatsFile(dir), 'oops\n');
    const io = captureIo();
    expect(await main(['arch', 'stats', '--state-dir', dir], io)).toBe(0);
    expect(io.stdout).toEqual([
      'FAMILY  STAGE      TOPOLOGY     MODELS               RUNS  OK  RATE    MEAN TOKENS  MEAN TURNS',
      'bugfix  implement  single       gpt-5                2     1   50.0%   1000         3.5',
      'bugfix  implement  centralized  claude-sonnet,gpt-5  1     1   100.0%  -            -',
    ]);
    expect(io.stderr).toEqual([`maestro arch: ${archStatsFile(dir)}:4: skipped: not JSON`]);
  });

  it('should print the rows as JSON with --json', async () => {
    const dir = tempDir();
    recordOutcome(dir, outcome({ models: ['b', 'a'] }), at);
    const io = captureIo();
    expect(await main(['arch', 'stats', '--json', '--state-dir', dir], io)).toBe(0);
    expect(JSON.parse(io.stdout.join('\n')).rows).toEqual([
      {
        family: 'bugfix',
        stage: 'implement',
        topology: 'single',
        models: ['a', 'b'],
        runs: 1,
        successes: 1,
        rate: 1,
      },
    ]);
  });

  it('should read $MAESTRO_STATE_DIR when no --state-dir is given', async () => {
    const dir = tempDir();
    recordOutcome(dir, outcome(), at);
    const before = process.env.MAESTRO_STATE_DIR;
    process.env.MAESTRO_STATE_DIR = dir;
    try {
      const io = captureIo();
      expect(await main(['arch', 'stats', '--json'], io)).toBe(0);
      expect(JSON.parse(io.stdout.join('\n')).file).toBe(archStatsFile(dir));
    } finally {
      if (before === undefined) delete process.env.MAESTRO_STATE_DIR;
      else process.env.MAESTRO_STATE_DIR = before;
    }
  });

  it('should show its help, and refuse a missing or unknown subcommand and a foreign flag', async () => {
    const help = captureIo();
    expect(await main(['arch', 'stats', '--help'], help)).toBe(0);
    expect(help.stdout[0]).toMatch(/^Usage: maestro arch stats \[--state-dir DIR\] \[--json\]/);
    const none = captureIo();
    expect(await main(['arch'], none)).toBe(2);
    expect(none.stderr[0]).toBe('maestro arch: expected a subcommand: stats');
    const unknown = captureIo();
    expect(await main(['arch', 'list'], unknown)).toBe(2);
    expect(unknown.stderr[0]).toBe("maestro arch: unknown subcommand 'list' (expected: stats)");
    const flag = captureIo();
    expect(await main(['arch', 'stats', '--retain', '3'], flag)).toBe(2);
    expect(flag.stderr[0]).toBe('maestro arch: unknown flag --retain');
    const main_ = captureIo();
    expect(await main(['--help'], main_)).toBe(0);
    expect(main_.stdout.join('\n')).toContain('arch stats');
  });
});
