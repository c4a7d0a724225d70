import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { captureIo, terminalIo } from '../helpers/captureIo.js';
import { EventLog } from '../../log/eventLog.js';
import { tempDir } from '../helpers/missions.js';

/** At a terminal: the history in words. */
const capture = terminalIo;

describe('maestro replay', () => {
  it("should print a mission's history from its event log, with the supervisor's decisions", async () => {
    const dir = tempDir();
    expect(
      await main(
        ['run', 'examples/crash.yaml', '--state-dir', dir, '--mission-id', 'rp', '--quiet'],
        capture(),
      ),
    ).toBe(0);
    const io = capture();
    expect(await main(['replay', 'rp', '--state-dir', dir], io)).toBe(0);
    const lines = io.stdout.map((l) => l.replace(/^\s*\+[\d.]+ m?s\s+/, ''));
    expect(lines.slice(0, 3)).toEqual([
      'mission rp submitted: crash-and-restart, 2 stages',
      'mission rp started: stages research, summarize',
      '▶ stage 1/2 research: researcher',
    ]);
    expect(lines).toContain(
      "✗ researcher via flaky: provider 'flaky': http 500: connection reset by peer",
    );
    expect(lines).toContain(
      "↻ supervisor stage/research restarts stage/research/agent/researcher after 200 ms (provider 'flaky': http 500: connection reset by peer)",
    );
    // The first call is attempt 1 (said by none), the call after the restart attempt 2.
    expect(lines.filter((l) => l.startsWith('✓ researcher via flaky'))).toEqual([
      expect.stringMatching(/^✓ researcher via flaky \(scripted\): 64 tokens, \d+ ms, attempt 2$/),
    ]);
    expect(lines.at(-1)).toBe('mission succeeded');
    const json = capture();
    expect(await main(['replay', join(dir, 'missions', 'rp.jsonl'), '--json'], json)).toBe(0);
    expect(JSON.parse(json.stdout[0]!)).toMatchObject({
      seq: 1,
      type: 'mission.submitted',
      name: 'crash-and-restart',
    });
  });

  it("should tell a MAKER stage's votes as its progress, and print the stored events when stdout is not a terminal", async () => {
    const dir = tempDir();
    const file = join(dir, 'm.yaml');
    writeFileSync(
      file,
      'name: mk\nproviders:\n  sim: { kind: simulated, seed: 1, errorRate: 0.05, task: { kind: hanoi, errorMode: dominant, redFlagRate: 0.1 } }\n' +
        'agents: [{ id: solver, provider: sim }]\nstages:\n  - name: solve\n    maker: { task: { kind: hanoi, disks: 4 }, agent: solver, k: 2, redFlag: { maxChars: 1500 } }\n',
    );
    expect(
      await main(['run', file, '--state-dir', dir, '--mission-id', 'mk', '--quiet'], capture()),
    ).toBe(0);
    const votes = EventLog.read(join(dir, 'missions', 'mk.jsonl')).filter(
      (e) => e.type === 'maker.vote',
    );
    const samples = votes.reduce((n, e) => n + (e.samples as number), 0);
    const io = capture();
    expect(await main(['replay', 'mk', '--state-dir', dir], io)).toBe(0);
    const lines = io.stdout.map((l) => l.replace(/^\s*\+[\d.]+ m?s\s+/, ''));
    // No line a vote: the stage's progress, said when it is done (the run took under a second).
    expect(lines.filter((l) => l.includes('MAKER solve'))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^✓ MAKER solve: step 15 of 15 \\(100%\\), ${(samples / 15).toFixed(2)} samples/step, [\\d.]+% red-flagged(, \\d+ exhausted)?(, [\\d.,]+ steps/s)?$`,
        ),
      ),
    ]);
    expect(lines.indexOf('✓ stage solve: 1 answer')).toBeGreaterThan(
      lines.findIndex((l) => l.includes('MAKER solve')),
    );
    const piped = captureIo();
    expect(await main(['replay', 'mk', '--state-dir', dir], piped)).toBe(0);
    expect(piped.stdout.map((l) => JSON.parse(l))).toEqual(
      EventLog.read(join(dir, 'missions', 'mk.jsonl')),
    );
  });

  it('should replay logs as they were written: one from before the renderer, and a compacted MAKER log (a snapshot and the votes after it)', async () => {
    const old = capture();
    // Written by the code of 01fedfe: decisions without pid, shutdown or significant.
    expect(await main(['replay', 'test/fixtures/logs/crash-01fedfe.jsonl'], old)).toBe(0);
    expect(old.stdout.slice(3, 7)).toEqual([
      "     +8 ms  ✗ researcher via flaky: provider 'flaky': http 500: connection reset by peer",
      "     +9 ms  ↻ supervisor stage/research restarts stage/research/agent/researcher after 200 ms (provider 'flaky': http 500: connection reset by peer)",
      // Its attempt field meant then what it means now: the agent's restarts, so the retry is attempt 2.
      '   +213 ms  ✓ researcher via flaky (scripted): 64 tokens, 1 ms, attempt 2',
      '   +213 ms  · supervisor stage/research: stage/research/agent/researcher ended (normal), not restarted',
    ]);
    expect(old.stdout).toHaveLength(17);
    const maker = capture();
    expect(await main(['replay', 'test/fixtures/logs/maker-snapshot.jsonl'], maker)).toBe(0);
    expect(maker.stdout).toEqual([
      '     +0 ms  mission maker5 submitted: hanoi5, 1 stage',
      '     +4 ms  mission maker5 started: stages solve',
      '     +5 ms  ▶ stage 1/1 solve: solver (MAKER hanoi)',
      '    +1.5 s  ▣ MAKER snapshot at step 25: 62 samples, 6 red-flagged so far',
      '    +1.9 s  ✓ MAKER solve: step 31 of 31 (100%), 2.48 samples/step, 12% red-flagged, 17.5 steps/s',
      '    +1.9 s  · supervisor stage/solve: stage/solve/maker/solver ended (normal), not restarted',
      '    +1.9 s  · supervisor stage/solve ends: its significant children are done (all_significant)',
      '    +1.9 s  · supervisor mission/maker5: stage/solve ended (normal), not restarted',
      '    +1.9 s  ✓ stage solve: 1 answer',
      '    +1.9 s  mission succeeded',
    ]);
  });

  it('should say where it looked when there is no log', async () => {
    const io = capture();
    expect(await main(['replay', 'nope', '--state-dir', '/tmp/none'], io)).toBe(2);
    expect(io.stderr).toEqual([
      "maestro replay: no event log for 'nope' (looked for /tmp/none/missions/nope.jsonl)",
    ]);
  });
});
