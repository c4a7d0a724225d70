import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../../cli/main.js';
import { tempDir } from '../helpers/missions.js';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

describe('maestro replay', () => {
  it("should print a mission's history from its event log, with the supervisor's decisions", async () => {
    const dir = tempDir();
    expect(await main(['run', 'examples/crash.yaml', '--state-dir', dir, '--mission-id', 'rp', '--quiet'], capture())).toBe(0);
    const io = capture();
    expect(await main(['replay', 'rp', '--state-dir', dir], io)).toBe(0);
    const lines = io.stdout.map((l) => l.replace(/^\s*\+[\d.]+ m?s\s+/, ''));
    expect(lines[0]).toBe('mission rp started: stages research, summarize');
    expect(lines).toContain("agent researcher failed via flaky: provider 'flaky': http 500: connection reset by peer");
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
    expect(io.stderr).toEqual(["maestro: maestro replay: no event log for 'nope' (looked for /tmp/none/missions/nope.jsonl)"]);
  });
});
