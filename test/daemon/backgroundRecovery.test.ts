/**
 * A daemon started over a state directory whose logs its index does not name (an old state
 * directory, or missions a crash left running) answers at once: those missions are listed as
 * `recovering` until their logs are read in the background; asking for a mission's events reads
 * its log first; the finished ones are indexed, so the next start reads none of them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Daemon } from '../../daemon/daemon.js';
import { EventLog } from '../../log/eventLog.js';
import { eventually } from '../helpers/eventually.js';
import { renamedLog, twoStages } from '../helpers/cutLog.js';
import { runAndRead, tempDir } from '../helpers/missions.js';

describe('a daemon starting over logs it has not indexed', () => {
  it('should list them as recovering at once, read them in the background, and index the finished ones', async () => {
    const straight = await runAndRead(twoStages);
    expect(straight.output.status).toBe('succeeded');
    const lines = readFileSync(straight.eventLogFile, 'utf8').trim().split('\n');
    const firstDone = lines.findIndex((l) => l.includes('"type":"stage.finished"'));
    expect(firstDone).toBeGreaterThan(0);
    const stateDir = tempDir();
    mkdirSync(join(stateDir, 'missions'));
    const done = Array.from({ length: 30 }, (_, i) => `done-${String(i).padStart(2, '0')}`);
    for (const id of done) writeFileSync(EventLog.pathFor(stateDir, id), renamedLog(lines, id));
    // Killed after its first stage: it resumes with the second.
    writeFileSync(
      EventLog.pathFor(stateDir, 'live'),
      renamedLog(lines.slice(0, firstDone + 1), 'live'),
    );

    const logger = pino({ level: 'silent' });
    const daemon = new Daemon({ stateDir, logger, env: {}, syncEveryMs: 0 });
    const started = daemon.startInBackground();
    try {
      // Nothing read yet: a status asked for reads that mission's log at once, ahead of the rest.
      expect(daemon.status('done-05')).toMatchObject({
        state: 'succeeded',
        result: straight.output.result,
      });
      expect(() => daemon.status('nobody')).toThrow("unknown mission 'nobody'");
      expect(await started.loaded).toEqual({ finished: 1, recovering: 30 });
      expect(daemon.list()).toHaveLength(31);
      expect(daemon.list().filter((m) => m.state === 'recovering')).toHaveLength(30);
      expect(daemon.list().find((m) => m.id === 'done-06')).toMatchObject({
        state: 'recovering',
        name: 'done-06',
        stages: [],
      });
      expect(daemon.health().missions).toEqual({ total: 31, live: 0, recovering: 30 });
      // Its events are asked for: its log is read now, ahead of the others.
      const seen: string[] = [];
      const off = daemon.events('done-07', 0, (e) => seen.push(e.type));
      await eventually(() => expect(seen).toContain('mission.finished'));
      off();
      expect(daemon.list().find((m) => m.id === 'done-07')?.state).toBe('succeeded');
      expect(daemon.list().find((m) => m.id === 'done-08')?.state).toBe('recovering');

      const { resumed } = await started.recovered;
      expect(resumed).toEqual(['live']);
      expect(daemon.list().filter((m) => m.state === 'recovering')).toEqual([]);
      await eventually(() => expect(daemon.status('live').state).toBe('succeeded'), 10_000);
      expect(daemon.status('live').result).toBe(straight.output.result);
      expect(daemon.status('done-05').result).toBe(straight.output.result);
    } finally {
      await daemon.shutdown();
    }
    const indexed = readFileSync(join(stateDir, 'index.jsonl'), 'utf8').trim().split('\n');
    expect(indexed.map((l) => JSON.parse(l).id).sort()).toEqual([...done, 'live'].sort());

    const again = new Daemon({ stateDir, logger, env: {}, syncEveryMs: 0 });
    const second = again.startInBackground();
    try {
      expect(await second.loaded).toEqual({ finished: 31, recovering: 0 });
      expect(await second.recovered).toEqual({ resumed: [], finished: 31 });
      expect(again.status('done-05').state).toBe('succeeded');
    } finally {
      await again.shutdown();
    }
  });

  it('should list a gate waiting in a log not read yet, the moment every mission is known', async () => {
    const straight = await runAndRead(twoStages);
    const lines = readFileSync(straight.eventLogFile, 'utf8').trim().split('\n');
    const stateDir = tempDir();
    mkdirSync(join(stateDir, 'missions'));
    for (let i = 0; i < 30; i++) {
      const id = `done-${String(i).padStart(2, '0')}`;
      writeFileSync(EventLog.pathFor(stateDir, id), renamedLog(lines, id));
    }
    // a mission of the last release waiting at its gate, its log last to be read
    const gated = readFileSync('test/fixtures/logs/release-0.1-pending-approval.jsonl', 'utf8');
    const id = 'approval-20261204T184217Z-0s82v0ci2qkxq';
    writeFileSync(EventLog.pathFor(stateDir, id), gated);
    const daemon = new Daemon({
      stateDir,
      logger: pino({ level: 'silent' }),
      env: {},
      syncEveryMs: 0,
    });
    const started = daemon.startInBackground();
    try {
      await started.loaded;
      // the background has not come to it yet: the list says so ...
      expect(daemon.list().find((m) => m.id === id)?.state).toBe('recovering');
      // ... and the gates waiting are whole all the same
      expect(daemon.approvals().map((a) => [a.id, a.status])).toEqual([
        [`${id}/plan/1`, 'pending'],
      ]);
      await started.recovered;
    } finally {
      await daemon.shutdown();
    }
  });
});
