import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { eventually } from '../helpers/eventually.js';
import { tempDir } from '../helpers/missions.js';

const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', ['-l', m]);
});

describe('maestro run on a disk that fills up', () => {
  it('should exit 1 saying the log could not be written and where it is kept, with no stack trace', async () => {
    const disk = tempDir('maestro-disk-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk], { stdio: 'pipe' });
    } catch (err) {
      throw new Error(
        `this test needs to mount a small tmpfs (as root): ${String((err as { stderr?: Buffer }).stderr ?? err)}`,
      );
    }
    mounts.push(disk);
    const state = join(disk, 'state');
    const mission = join(tempDir(), 'hanoi.yaml');
    writeFileSync(
      mission,
      `name: hanoi
providers:
  model: { kind: simulated, seed: 5, errorRate: 0, latencyMs: { distribution: fixed, ms: 15 }, task: { kind: hanoi } }
agents: [{ id: solver, provider: model }]
stages: [{ name: solve, maker: { task: { kind: hanoi, disks: 8 }, agent: solver, k: 1 } }]
`,
    );
    const proc = spawn(
      process.execPath,
      ['cli/dev.js', 'run', mission, '--quiet', '--state-dir', state],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('close', resolve));
    let log = '';
    await eventually(() => {
      const file = readdirSync(join(state, 'missions')).find((f) => f.endsWith('.jsonl'));
      expect(file).toBeDefined();
      log = join(state, 'missions', file!);
      expect(EventLog.read(log).filter((e) => e.type === 'maker.vote').length).toBeGreaterThan(10);
    }, 20_000);
    const fd = openSync(join(disk, 'filler'), 'w');
    try {
      for (;;) writeSync(fd, Buffer.alloc(16 * 1024));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(fd);
    }
    expect(await exited).toBe(1);
    expect(stderr).toContain(
      `maestro: cannot write the event log '${log}' (ENOSPC: no space left on the device)`,
    );
    expect(stderr).toContain(
      `the mission was suspended at its last written event (its log is kept in ${log}); free some space and run it again`,
    );
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
