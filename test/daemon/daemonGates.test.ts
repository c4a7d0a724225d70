import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../daemon/daemon.js';
import { tempDir } from '../helpers/missions.js';

let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.shutdown();
  daemon = undefined;
});

function daemonWith(fixture: string): Daemon {
  const stateDir = tempDir('maestro-daemon-');
  mkdirSync(join(stateDir, 'missions'), { recursive: true });
  copyFileSync(fixture, join(stateDir, 'missions', 'gated-1.jsonl'));
  daemon = new Daemon({ stateDir, logger: pino({ level: 'silent' }), syncEveryMs: 0 });
  daemon.start();
  return daemon;
}

describe('daemon: a gate whose mission ended is offered nowhere', () => {
  it.each([
    [
      'a log written before approval.closed (the gate left open by mission.finished)',
      'test/fixtures/logs/gate-open-at-end.jsonl',
    ],
    [
      'a log cut after approval.closed, before mission.finished',
      'test/fixtures/logs/gate-closed-no-end.jsonl',
    ],
  ])('%s', async (_name, fixture) => {
    const d = daemonWith(fixture);
    expect(d.approvals()).toEqual([]);
    const status = d.status('gated-1');
    expect(status.state).toBe('stopped');
    expect(status.approvals).toEqual([
      expect.objectContaining({
        id: 'gated-1/plan/1',
        status: 'closed',
        closed: {
          reason: 'stopped',
          message: 'stopped by request',
          at: '2026-11-01T10:00:01.000Z',
        },
      }),
    ]);
    // Answering it is refused, saying why.
    await expect(d.answer('gated-1/plan/1', { decision: 'approve' })).rejects.toThrow(
      "mission 'gated-1' is already stopped",
    );
  });
});

describe('daemon: a mission stopped at its gate', () => {
  it('should close the gate and stop offering it, live', async () => {
    const { readFileSync } = await import('node:fs');
    const { eventually } = await import('../helpers/eventually.js');
    daemon = new Daemon({
      stateDir: tempDir('maestro-daemon-'),
      logger: pino({ level: 'silent' }),
      syncEveryMs: 0,
    });
    daemon.start();
    const d = daemon;
    const { id } = await d.submit({
      source: readFileSync('examples/approval.yaml', 'utf8'),
      filename: 'approval.yaml',
    });
    await eventually(() => expect(d.approvals().map((a) => a.id)).toEqual([`${id}/plan/1`]));
    await d.stop(id, 'not today');
    await eventually(() => expect(d.status(id).state).toBe('stopped'));
    expect(d.approvals()).toEqual([]);
    expect(d.status(id).approvals).toEqual([
      expect.objectContaining({
        status: 'closed',
        closed: expect.objectContaining({ reason: 'stopped', message: 'not today' }),
      }),
    ]);
  });
});
