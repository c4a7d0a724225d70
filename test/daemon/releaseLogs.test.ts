/**
 * A state directory written by the released code (0.1, log format 1: no `v` on its lines) still
 * resumes: one log of each kind, copied from test/fixtures/logs/ into a fresh state dir.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { call, daemonsPerTest, until } from '../helpers/daemonServer.js';
import { tempDir } from '../helpers/missions.js';

const serve = daemonsPerTest();
const FIXTURES = 'test/fixtures/logs';

/** The fixture's mission id (its first line), and a state dir that holds it as that mission's log. */
function stateDirWith(fixture: string, transform?: (lines: string[]) => string[]) {
  const text = readFileSync(join(FIXTURES, fixture), 'utf8');
  const id = (JSON.parse(text.split('\n')[0]!) as { mission: string }).mission;
  const stateDir = tempDir();
  mkdirSync(join(stateDir, 'missions'), { recursive: true });
  const file = EventLog.pathFor(stateDir, id);
  if (transform) writeFileSync(file, `${transform(text.split('\n').filter(Boolean)).join('\n')}\n`);
  else copyFileSync(join(FIXTURES, fixture), file);
  return { id, stateDir, file };
}

const finishedResult = (fixture: string) => {
  const last = readFileSync(join(FIXTURES, fixture), 'utf8').trim().split('\n').at(-1)!;
  return (JSON.parse(last) as { result?: string }).result;
};

describe('a state dir written by release 0.1', () => {
  it('should show finished prompt and plan missions as they ended, and run nothing again', async () => {
    for (const fixture of ['release-0.1-prompt.jsonl', 'release-0.1-plan.jsonl']) {
      const { id, stateDir, file } = stateDirWith(fixture);
      const before = readFileSync(file, 'utf8');
      const d = await serve({ stateDir });
      const status = await until(d, id, 'succeeded');
      expect(status.result).toBe(finishedResult(fixture));
      await d.close();
      expect(readFileSync(file, 'utf8')).toBe(before);
    }
  });

  it('should wait again at a pending approval, and finish once it is approved', async () => {
    const { id, stateDir, file } = stateDirWith('release-0.1-pending-approval.jsonl');
    const d = await serve({ stateDir });
    const waiting = await until(d, id, 'awaiting_approval');
    const approvals = waiting.approvals as { id: string; status: string }[];
    expect(approvals.map((a) => [a.id, a.status])).toEqual([[`${id}/plan/1`, 'pending']]);
    const answer = await call(d, 'POST', `/api/approvals/${encodeURIComponent(`${id}/plan/1`)}`, {
      body: { decision: 'approve' },
    });
    expect(answer.status).toBe(200);
    await until(d, id, 'succeeded');
    const events = EventLog.read(file);
    // The plan stage was not run again: one stage.finished for it, from the old release.
    expect(events.filter((e) => e.type === 'stage.finished' && e.stage === 'plan')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'stage.finished').map((e) => e.seq)[0]).toBe(8);
  });

  it('should resume a MAKER stage from its last snapshot, not from step 0', async () => {
    // The log as a kill -9 would leave it: the snapshot at step 25 and one vote after it.
    const { id, stateDir, file } = stateDirWith('maker-snapshot.jsonl', (lines) =>
      lines.filter((l) => JSON.parse(l).seq <= 30),
    );
    const d = await serve({ stateDir });
    const status = await until(d, id, 'succeeded', 20_000);
    expect(status.result).toBe(finishedResult('maker-snapshot.jsonl'));
    const votes = EventLog.read(file).filter((e) => e.type === 'maker.vote' && e.seq > 30);
    expect(votes.map((e) => (e.type === 'maker.vote' ? e.step : -1))[0]).toBe(26);
  });
});
