/**
 * A council under a real `maestro daemon` process, killed with SIGKILL in the middle of its first
 * deliberation round (round 0 counted, round 1's members still answering, slowly), then started
 * again: the council goes on at round 1, round 0's members are not asked again, no round is
 * logged twice, and it reaches a decision.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { startDaemon } from '../helpers/daemonProcess.js';
import { eventually } from '../helpers/eventually.js';
import type { LooseEvent } from '../helpers/looseEvent.js';

const PATIENCE = 30_000;

const readLog = (stateDir: string, id: string): LooseEvent[] => {
  const file = EventLog.pathFor(stateDir, id);
  return existsSync(file) ? EventLog.read(file) : [];
};
const calls = (events: LooseEvent[], round: number) =>
  events.filter(
    (e) => e.type === 'agent.call' && String(e.path).includes(`/members/round${round}.`),
  );

describe('a council killed mid-round (real daemon, SIGKILL)', () => {
  it('goes on at the round it was in, asking no finished round again', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'maestro-council-state-'));
    onTestFinished(() => rmSync(stateDir, { recursive: true, force: true, maxRetries: 5 }));
    // round 1's answers take 3 s: a window to kill the daemon while they are asked
    const source = readFileSync(
      join(import.meta.dirname, '../../examples/council.yaml'),
      'utf8',
    ).replace(
      /( {6}- '\{"answer"[^\n]*'\n) {6}- '(\{"answer"[^\n]*)'\n/g,
      (_m, first: string, second: string) =>
        `${first}      - { text: '${second}', delayMs: 3000 }\n`,
    );
    expect(source).toContain('delayMs: 3000');
    const id = 'council-killed';
    const d1 = await startDaemon({ stateDir });
    await d1.client.submit({ source, filename: 'council.yaml', id });
    await eventually(() => {
      const events = readLog(stateDir, id);
      if (!events.some((e) => e.type === 'council.round' && e.round === 0))
        throw new Error('round 0 not counted yet');
    }, PATIENCE);
    expect(await d1.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const atKill = readLog(stateDir, id);
    expect(calls(atKill, 0)).toHaveLength(5);
    expect(calls(atKill, 1)).toHaveLength(0);

    const d2 = await startDaemon({ stateDir });
    await eventually(async () => {
      expect((await d2.client.status(id)).state).toBe('succeeded');
    }, PATIENCE);
    const events = readLog(stateDir, id);
    expect(calls(events, 0)).toHaveLength(5);
    expect(calls(events, 1)).toHaveLength(5);
    // A scripted provider's cursor starts over in the new process, so the resumed round gets its
    // first answers again (a 3-2 split) and a round 2 decides; no round is logged twice.
    const rounds = events.filter((e) => e.type === 'council.round').map((e) => e.round);
    expect(rounds.slice(0, 2)).toEqual([0, 1]);
    expect(new Set(rounds).size).toBe(rounds.length);
    expect(events.filter((e) => e.type === 'mission.resumed')).toHaveLength(1);
    const status = await d2.client.status(id);
    expect(JSON.parse(status.result!)).toMatchObject({ outcome: 'decided' });
    await d2.kill('SIGTERM');
  }, 90_000);
});
