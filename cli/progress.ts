/**
 * `run`'s output on stderr: the mission's events through the renderer as they are written, and
 * the logger's records in the same words (or both as JSON lines: see render/outputMode.ts).
 * A supervisor's decision is both a log record and an event; with progress lines on, the event's
 * line says it, so the record is not written twice.
 */
import type { LoggedEvent } from '../log/eventLog.js';
import type { LoggerOptions, LogRecord } from '../kernel/logger.js';
import type { Io } from './io.js';
import { eventRenderer } from './render/eventRenderer.js';
import { logLine } from './render/logLine.js';
import { outputMode } from './render/outputMode.js';

export interface ProgressFlags {
  json?: boolean;
  pretty?: boolean;
  quiet?: boolean;
}

/** Mission and stage lines at the margin, the rest under them. */
const TOP = /^(mission|stage)\./;

export function progressPrinter(
  io: Io,
  flags: ProgressFlags = {},
  now?: () => number,
): (e: LoggedEvent) => void {
  const mode = outputMode(flags, io.tty?.err);
  return eventRenderer({
    mode,
    // JSON lines are for a program: every event, as stored (MAKER votes aside).
    detail: mode === 'json' ? 'all' : 'progress',
    write: (line, e) => io.err(mode === 'json' || TOP.test(e.type) ? line : `  ${line}`),
    ...(now && { now: () => now() }),
  });
}

/** The logger's options for `run`: its records on `io.err`, in the progress lines' words or as JSON. */
export function runLogging(
  io: Io,
  flags: ProgressFlags = {},
): Pick<LoggerOptions, 'pretty' | 'line' | 'keep' | 'destination'> {
  const pretty = outputMode(flags, io.tty?.err) === 'pretty';
  return {
    pretty,
    line: (r) => logLine(r, { mission: false }),
    ...(!flags.quiet && { keep: (r: LogRecord) => r.msg !== 'supervisor decision' }),
    destination: { write: (chunk: string) => io.err(chunk.replace(/\n$/, '')) },
  };
}

export { formatMs } from './render/format.js';
