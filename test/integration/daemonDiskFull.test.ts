/**
 * A full disk under a real daemon: its state directory on a small tmpfs, a MAKER mission
 * running, then the disk filled from outside. The daemon must stay up, suspend the mission
 * (not fail it), refuse submissions with 507, and once space returns resume the mission from
 * its log, deciding every step exactly once.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { eventually } from '../helpers/eventually.js';
import { tempDir } from '../helpers/missions.js';
import { startDaemon } from '../helpers/daemonProcess.js';

const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', ['-l', m]);
});

function smallDisk(size: string): string {
  const dir = tempDir('maestro-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(
      `this test needs to mount a small tmpfs (as root): ${String((err as { stderr?: Buffer }).stderr ?? err)}`,
    );
  }
  mounts.push(dir);
  return dir;
}

/** Writes zeros into `file` until the file system is full; returns the bytes written. */
function fill(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(16 * 1024);
  let n = 0;
  try {
    for (;;) n += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return n;
}

const STEPS = 255;
const hanoi = (name: string) => `name: ${name}
providers:
  model:
    kind: simulated
    seed: 5
    errorRate: 0
    latencyMs: { distribution: fixed, ms: 15 }
    task: { kind: hanoi }
agents: [{ id: solver, provider: model }]
stages:
  - name: solve
    maker: { task: { kind: hanoi, disks: 8 }, agent: solver, k: 1, maxSamples: 5 }
`;

describe('daemon: a full disk', () => {
  it('should suspend the mission, answer 507 to submissions, and resume it when space returns, each step once', async () => {
    const disk = smallDisk('2m');
    const stateDir = join(disk, 'state');
    const d = await startDaemon({ stateDir, args: ['--sync-ms', '0'] });
    const submitted = await d.client.submit({ source: hanoi('hanoi'), filename: 'hanoi.yaml' });
    const id = submitted.id;
    const log = EventLog.pathFor(stateDir, id);
    // Some steps decided and written, then the disk fills.
    await eventually(
      () =>
        expect(EventLog.read(log).filter((e) => e.type === 'maker.vote').length).toBeGreaterThan(
          20,
        ),
      20_000,
    );
    const filler = join(disk, 'filler');
    expect(fill(filler)).toBeGreaterThan(0);

    await eventually(async () => {
      const s = await d.client.status(id);
      expect(s.state).toBe('suspended');
      expect(s.error?.reason).toBe('disk_full');
    }, 20_000);
    const refused = await fetch(new URL('/api/missions', d.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source: hanoi('second') }),
    });
    expect(refused.status).toBe(507);
    expect(((await refused.json()) as { error: string }).error).toContain(
      `the daemon cannot write its state directory '${stateDir}' (ENOSPC)`,
    );
    expect(d.stderr()).toContain('the mission is suspended and new missions are refused (507)');
    const whileFull = readFileSync(log, 'utf8');
    expect(whileFull.endsWith('\n')).toBe(true); // no partial line was left behind

    rmSync(filler);
    await eventually(
      async () => expect((await d.client.status(id)).state).toBe('succeeded'),
      60_000,
    );
    const events = EventLog.read(log);
    const steps = events.filter((e) => e.type === 'maker.vote').map((e) => e.step as number);
    expect(steps).toHaveLength(STEPS);
    expect(new Set(steps).size).toBe(STEPS);
    expect(events.filter((e) => e.type === 'mission.submitted')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'mission.write_fault').map((e) => e.code)).toEqual([
      'ENOSPC',
    ]);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    // And the daemon takes missions again.
    const again = await d.client.submit({ source: hanoi('after'), filename: 'after.yaml' });
    await eventually(
      async () => expect((await d.client.status(again.id)).state).toBe('succeeded'),
      60_000,
    );
    expect(existsSync(join(stateDir, 'missions', '.write-probe'))).toBe(false);
    expect((await d.kill('SIGTERM')).code).toBe(0);
  }, 120_000);
});
