import { describe, expect, it } from 'vitest';
import { logLine } from '../../../cli/render/logLine.js';
import type { LogRecord } from '../../../kernel/logger.js';

const at = new Date(2026, 0, 1, 14, 3, 7, 125).getTime(); // local time: the terminal's
const record = (level: number, msg: string, fields: Record<string, unknown> = {}): LogRecord => ({
  level,
  time: at,
  pid: 1,
  hostname: 'h',
  msg,
  ...fields,
});

describe('logLine', () => {
  it.each([
    [
      record(30, 'daemon: mission resumed', { mission: 'm1', lines: 12, ms: 3 }),
      {},
      '[m1] · daemon: mission resumed (lines 12, ms 3)',
    ],
    [
      record(40, 'worker lost', { worker: 'w1', silentForMs: 6000 }),
      {},
      '⚠ worker lost (worker w1, silentForMs 6.0 s)',
    ],
    [
      record(50, 'daemon: mission could not run', {
        mission: 'm1',
        err: { type: 'Error', message: 'boom', stack: 'Error: boom\n at x' },
      }),
      { time: true },
      '14:03:07.125 [m1] ✗ daemon: mission could not run (err boom)',
    ],
    [
      record(50, 'supervisor decision', {
        mission: 'm1',
        supervisor: 'mission/m1/stage/a',
        errorContext: 'shutdown',
        reason: 'reached_max_restart_intensity',
        action: 'shutdown',
      }),
      { mission: false },
      '■ supervisor stage/a gives up: reached_max_restart_intensity',
    ],
    [record(20, 'heartbeat'), {}, '  debug heartbeat'],
  ])('should read %j (%j) as %j', (r, options, line) => {
    expect(logLine(r, options)).toBe(line);
  });
});
