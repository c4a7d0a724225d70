import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { Daemon } from '../../daemon/daemon.js';
import { systemClock } from '../../kernel/clock.js';
import { claimNewMissionId, newMissionId, randomIdSuffix } from '../../log/missionIds.js';
import { eventually } from '../helpers/eventually.js';
import { tempDir } from '../helpers/missions.js';

const helloYaml = readFileSync('examples/hello.yaml', 'utf8');

describe('mission ids', () => {
  it('should draw 64 random bits: 13 base-36 characters, never the same twice in 10,000 draws', () => {
    const seen = new Set(Array.from({ length: 10_000 }, randomIdSuffix));
    expect(seen.size).toBe(10_000);
    for (const s of [...seen].slice(0, 50)) expect(s).toMatch(/^[0-9a-z]{13}$/);
    expect(newMissionId('hello', Date.UTC(2026, 11, 3, 12, 0, 5), () => 'x')).toBe(
      'hello-20261203T120005Z-x',
    );
  });

  it('should draw again when the log of a generated id exists, and give up after 5 draws of one value', () => {
    const dir = tempDir();
    const now = Date.UTC(2026, 0, 1);
    const draws = ['same', 'same', 'other'];
    expect(
      claimNewMissionId(
        dir,
        'm',
        now,
        () => false,
        () => draws.shift()!,
      ),
    ).toBe('m-20260101T000000Z-same');
    const again = ['same', 'other'];
    expect(
      claimNewMissionId(
        dir,
        'm',
        now,
        () => false,
        () => again.shift()!,
      ),
    ).toBe('m-20260101T000000Z-other');
    expect(() =>
      claimNewMissionId(
        dir,
        'm',
        now,
        () => false,
        () => 'same',
      ),
    ).toThrow("no free mission id for 'm' after 5 draws: the random source repeats itself");
  });
});

describe('daemon: two submissions that draw the same generated id', () => {
  it('should keep both: two logs, two missions, both succeed', async () => {
    const stateDir = tempDir();
    // The first two submissions draw 'dup'; the second's claim fails, and it draws again.
    const draws = ['dup', 'dup', 'fresh'];
    // The id holds the second it was drawn in: a frozen now keeps both draws in one second,
    // however slow the machine (CI once crossed a second between them, so 'dup' did not collide).
    const frozen = Date.UTC(2026, 11, 4, 21, 5, 2);
    const daemon = new Daemon({
      stateDir,
      clock: { ...systemClock, now: () => frozen },
      logger: pino({ level: 'silent' }),
      env: {},
      syncEveryMs: 0,
      idSuffix: () => draws.shift() ?? randomIdSuffix(),
    });
    daemon.start();
    try {
      const [a, b] = await Promise.all([
        daemon.submit({ source: helloYaml }),
        daemon.submit({ source: helloYaml }),
      ]);
      expect(a.id).toMatch(/-dup$/);
      expect(b.id).toMatch(/-fresh$/);
      await eventually(() => {
        expect(daemon.status(a.id).state).toBe('succeeded');
        expect(daemon.status(b.id).state).toBe('succeeded');
      }, 10_000);
      const logs = readdirSync(join(stateDir, 'missions'))
        .filter((f) => f.endsWith('.jsonl'))
        .sort();
      expect(logs).toEqual([`${a.id}.jsonl`, `${b.id}.jsonl`].sort());
      for (const id of [a.id, b.id]) {
        const events = EventLog.read(EventLog.pathFor(stateDir, id));
        expect(events.filter((e) => e.type === 'mission.submitted')).toHaveLength(1);
        expect(events.every((e) => e.mission === id)).toBe(true);
      }
    } finally {
      await daemon.shutdown();
    }
  });
});
