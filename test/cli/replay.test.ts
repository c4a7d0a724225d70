import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { terminalIo } from '../helpers/captureIo.js';
import { tempDir } from '../helpers/missions.js';

/** At a terminal: the history in words. */
const capture = terminalIo;

describe('maestro replay', () => {
  it("should print a mission's history from its event log, with the supervisor's decisions", async () => {
    const dir = tempDir();
    expect(await main(['run', 'examples/crash.yaml', '--state-dir', dir, '--mission-id', 'rp', '--quiet'], capture())).toBe(0);
    const io = capture();
    expect(await main(['replay', 'rp', '--state-dir', dir], io)).toBe(0);
    const lines = io.stdout.map((l) => l.replace(/^\s*\+[\d.]+ m?s\s+/, ''));
    expect(lines.slice(0, 3)).toEqual(['mission rp submitted: crash-and-restart, 2 stages', 'mission rp started: stages research, summarize', '▶ stage 1/2 research: researcher']);
    expect(lines).toContain("✗ researcher via flaky: provider 'flaky': http 500: connection reset by peer");
    expect(lines).toContain(
      "↻ supervisor stage/research restarts stage/research/agent/researcher after 200 ms (provider 'flaky': http 500: connection reset by peer)",
    );
    expect(lines.at(-1)).toBe('mission succeeded');
    const json = capture();
    expect(await main(['replay', join(dir, 'missions', 'rp.jsonl'), '--json'], json)).toBe(0);
    expect(JSON.parse(json.stdout[0]!)).toMatchObject({ seq: 1, type: 'mission.submitted', name: 'crash-and-restart' });
  });

  it('should say where it looked when there is no log', async () => {
    const io = capture();
    expect(await main(['replay', 'nope', '--state-dir', '/tmp/none'], io)).toBe(2);
    expect(io.stderr).toEqual(["maestro replay: no event log for 'nope' (looked for /tmp/none/missions/nope.jsonl)"]);
  });
});
