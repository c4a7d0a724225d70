import { describe, expect, it } from 'vitest';
import type { LooseEvent } from '../../helpers/looseEvent.js';
import { daemonTerminal } from '../../../cli/render/daemonTerminal.js';
import { captureIo, terminalIo } from '../../helpers/captureIo.js';

const at = new Date(2026, 0, 1, 9, 30, 0, 5);
const ev = (seq: number, type: string, fields: Record<string, unknown> = {}): LooseEvent =>
  ({
    seq,
    ts: at.toISOString(),
    mission: 'm1',
    type: type as LooseEvent['type'],
    ...fields,
  }) as LooseEvent;
const events = [
  ev(1, 'mission.started', { stages: ['draft'] }),
  ev(2, 'stage.entered', { stage: 'draft', index: 0, agents: ['a'] }),
  ev(3, 'supervisor.decision', {
    supervisor: 'mission/m1/stage/draft',
    errorContext: 'child_terminated',
    reason: 'http 500',
    action: 'restart',
    offender: { id: 'agent/a', path: 'mission/m1/stage/draft/agent/a' },
  }),
  ev(4, 'mission.finished', { status: 'succeeded' }),
];

describe("the daemon's terminal", () => {
  it("should show each mission's events in words, with the time and the mission, and its log records in the same words", () => {
    const io = terminalIo();
    const t = daemonTerminal({}, io);
    for (const e of events) t.onEvent(e);
    t.logger.child({ mission: 'm1' }).warn(
      {
        supervisor: 'mission/m1/stage/draft',
        errorContext: 'child_terminated',
        reason: 'http 500',
        action: 'restart',
        offender: { path: 'mission/m1/stage/draft/agent/a' },
      },
      'supervisor decision',
    );
    t.say('maestro daemon: stopped', { at: 1 });
    const stamp = '09:30:00.005';
    expect(io.stderr.map((l) => l.replace(/^\d\d:\d\d:\d\d\.\d{3} (\[m1\] ↻)/, 'TIME $1'))).toEqual(
      [
        `${stamp} [m1] mission m1 started: stages draft`,
        `${stamp} [m1] ▶ stage 1/1 draft: a`,
        `${stamp} [m1] mission succeeded`,
        // The decision: once, from the log record (at its own level), not from the event too.
        'TIME [m1] ↻ supervisor stage/draft restarts stage/draft/agent/a (http 500)',
        'maestro daemon: stopped',
      ],
    );
    expect(io.stdout).toEqual([]);
  });

  it("should write pino's JSON lines when stderr is not a terminal, the events being in the logs and the API; its own word shown at any level", () => {
    const io = captureIo();
    const t = daemonTerminal({ 'log-level': 'warn' }, io);
    for (const e of events) t.onEvent(e);
    t.logger.info('below the level');
    t.logger.warn({ worker: 'w1' }, 'worker lost');
    t.say('maestro daemon: stopped; missions not over resume on the next start');
    expect(io.stderr.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 40, worker: 'w1', msg: 'worker lost' }),
      expect.objectContaining({
        level: 30,
        msg: 'maestro daemon: stopped; missions not over resume on the next start',
      }),
    ]);
  });

  it('should log the events worth a progress line as pino records when not at a terminal, the decision as its own record', () => {
    const io = captureIo();
    const t = daemonTerminal({}, io);
    for (const e of [ev(0, 'mission.submitted', { name: 'x', config: { stages: [] } }), ...events])
      t.onEvent(e);
    const records = io.stderr.map((l) => JSON.parse(l));
    expect(records.map((r) => [r.level, r.msg, r.mission, r.event.type])).toEqual([
      [30, 'mission event', 'm1', 'mission.started'],
      [30, 'mission event', 'm1', 'stage.entered'],
      [30, 'mission event', 'm1', 'mission.finished'],
    ]);
    expect(records[1].event).toEqual(events[1]);
  });

  it('should leave the events out at a terminal when the level is above info', () => {
    const io = terminalIo();
    const t = daemonTerminal({ 'log-level': 'warn' }, io);
    for (const e of events) t.onEvent(e);
    expect(io.stderr).toEqual([]);
  });
});
