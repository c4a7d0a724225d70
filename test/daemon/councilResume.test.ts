/**
 * A council resumed after a kill -9 anywhere in it goes on from where it was: the example's log
 * is cut after every one of its events (as a kill -9 there would leave it) and a daemon resumes
 * each copy. A member's answer the cut log has is replayed, never asked again; a round whose
 * event the log has is not logged twice; the decision is the one the straight run reached.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { missionSchema } from '../../config/mission.js';
import { EventLog } from '../../log/eventLog.js';
import { cutLog } from '../helpers/cutLog.js';
import { daemonsPerTest, until } from '../helpers/daemonServer.js';
import { runAndRead, tempDir } from '../helpers/missions.js';

const serve = daemonsPerTest();
const config = missionSchema.parse(
  parse(readFileSync(join(import.meta.dirname, '../../examples/council.yaml'), 'utf8')),
);

describe('a council resumed after kill -9', () => {
  it('should ask no answered member again and log no round twice, wherever the log was cut', async () => {
    const straight = await runAndRead(config);
    expect(straight.output.status).toBe('succeeded');
    const decision = JSON.parse(straight.output.result!).decision;
    const lines = readFileSync(straight.eventLogFile, 'utf8').trim().split('\n');
    const finishedAt = lines.findIndex((l) => l.includes('"type":"mission.finished"'));
    let askedAgain = 0;
    let roundsTwice = 0;
    for (let cut = 2; cut < finishedAt + 1; cut++) {
      const prefix = lines.slice(0, cut);
      const before = prefix.map((l) => JSON.parse(l));
      const answered = new Set(
        before.filter((e) => e.type === 'agent.call' && e.ok).map((e) => e.path as string),
      );
      const { stateDir, file } = cutLog(prefix, false);
      const d = await serve({ stateDir });
      const status = await until(d, 'm1', 'succeeded');
      expect(JSON.parse(status.result!).decision, `cut after line ${cut}`).toBe(decision);
      await d.close();
      const all = EventLog.read(file);
      const after = all.slice(prefix.length);
      askedAgain += after.filter(
        (e) => e.type === 'agent.call' && e.path !== undefined && answered.has(e.path),
      ).length;
      const rounds = all
        .filter((e) => e.type === 'council.round')
        .map((e) => (e as { round: number }).round);
      roundsTwice += rounds.length - new Set(rounds).size;
    }
    expect(askedAgain).toBe(0);
    expect(roundsTwice).toBe(0);
  }, 180_000);

  it('should resume a council log written by this version, cut mid-round, from where it was', async () => {
    // test/fixtures/logs/council-mid-round.jsonl: examples/council.yaml killed after two of the
    // five answers of round 1 (log format 2, with council.round)
    const fixture = join(import.meta.dirname, '../fixtures/logs/council-mid-round.jsonl');
    const lines = readFileSync(fixture, 'utf8').trim().split('\n');
    const id = (JSON.parse(lines[0]!) as { mission: string }).mission;
    const stateDir = tempDir();
    mkdirSync(join(stateDir, 'missions'));
    const file = EventLog.pathFor(stateDir, id);
    copyFileSync(fixture, file);
    const d = await serve({ stateDir });
    const status = await until(d, id, 'succeeded');
    expect(JSON.parse(status.result!)).toMatchObject({
      outcome: 'decided',
      decision: 'Postgres, partitioned by day',
    });
    await d.close();
    const after = EventLog.read(file).slice(lines.length);
    const asked = after
      .filter((e) => e.type === 'agent.call')
      .map((e) => (e as { path: string }).path.split('/members/')[1]!);
    // round 0 and round 1's first two answers are in the log: none of them is asked again (a
    // scripted provider's cursor starts over in the new process, so later answers may differ)
    expect(
      asked.filter(
        (p) =>
          p.startsWith('round0.') || p === 'round1.ada/agent/ada' || p === 'round1.bo/agent/bo',
      ),
    ).toEqual([]);
    expect(asked).toEqual(
      expect.arrayContaining(['round1.cy/agent/cy', 'round1.di/agent/di', 'round1.ed/agent/ed']),
    );
    expect(
      after.filter((e) => e.type === 'council.round').map((e) => (e as { round: number }).round)[0],
    ).toBe(1);
  });
});
