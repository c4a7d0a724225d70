import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recoverMission } from '../../log/missionRecovery.js';
import { tempDir } from '../helpers/missions.js';

/** Written by the code before `approval.closed`: a mission stopped while its gate was open. */
const OLD_LOG = 'test/fixtures/logs/gate-open-at-end.jsonl';
/** The same mission with the new event, cut after `approval.closed` (a crash before `mission.finished`). */
const CLOSED_NO_END = 'test/fixtures/logs/gate-closed-no-end.jsonl';

describe('recoverMission: gates closed by their mission’s end', () => {
  it('should fold a log written before approval.closed, closing the gate its mission.finished left open', () => {
    const r = recoverMission(OLD_LOG, 'gated-1');
    expect(r.finished).toMatchObject({
      status: 'failed',
      error: { reason: 'stopped', message: 'stopped by request' },
      at: '2026-11-01T10:00:01.000Z',
    });
    expect(r.approvals).toEqual([
      {
        id: 'gated-1/plan/1',
        stage: 'plan',
        index: 0,
        attempt: 1,
        output: 'the plan',
        requestedAt: '2026-11-01T10:00:00.000Z',
        onTimeout: 'reject',
        closed: {
          reason: 'stopped',
          message: 'stopped by request',
          at: '2026-11-01T10:00:01.000Z',
        },
      },
    ]);
  });

  it('should end a mission whose gate closed with no mission.finished after it, for the reason the gate says', () => {
    const r = recoverMission(CLOSED_NO_END, 'gated-1');
    expect(r.finished).toEqual({
      status: 'failed',
      error: { reason: 'stopped', message: 'stopped by request' },
      at: '2026-11-01T10:00:01.000Z',
      usage: expect.objectContaining({ samples: 1 }),
    });
    expect(r.approvals[0]!.closed).toEqual({
      reason: 'stopped',
      message: 'stopped by request',
      at: '2026-11-01T10:00:01.000Z',
    });
  });

  it('should leave a gate open, and the mission to resume, when the log ends at the request', () => {
    const file = join(tempDir(), 'gated-1.jsonl');
    const lines = readFileSync(CLOSED_NO_END, 'utf8').trim().split('\n');
    writeFileSync(file, `${lines.slice(0, -1).join('\n')}\n`);
    const r = recoverMission(file, 'gated-1');
    expect(r.finished).toBeUndefined();
    expect(r.approvals.map((a) => [a.id, a.answer, a.closed])).toEqual([
      ['gated-1/plan/1', undefined, undefined],
    ]);
  });

  it('should keep an answer that came before a (harmless) later close', () => {
    const file = join(tempDir(), 'm.jsonl');
    copyFileSync(OLD_LOG, file);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const at = lines.findIndex((l) => l.includes('"approval.requested"'));
    const answered = JSON.stringify({
      seq: 100,
      ts: '2026-11-01T10:00:00.500Z',
      mission: 'gated-1',
      type: 'approval.answered',
      id: 'gated-1/plan/1',
      decision: 'reject',
      feedback: 'no',
      by: 'api',
    });
    const closed = JSON.stringify({
      seq: 101,
      ts: '2026-11-01T10:00:00.600Z',
      mission: 'gated-1',
      type: 'approval.closed',
      id: 'gated-1/plan/1',
      reason: 'stopped',
      message: 'x',
    });
    lines.splice(at + 1, 0, answered, closed);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const [a] = recoverMission(file, 'gated-1').approvals;
    expect(a).toMatchObject({ answer: { decision: 'reject', feedback: 'no' } });
    expect(a!.closed).toBeUndefined();
  });
});
