/**
 * What `maestro daemon` writes on stderr, in one dialect: on a terminal, its log records and
 * every mission's events as lines in words, each with the time and the mission; otherwise (or
 * with --json) pino's JSON lines, each mission event worth a progress line a record
 * `{mission, event, msg: 'mission event'}` (MAKER votes as throttled `maker.progress`). stdout
 * stays empty, as for every command that has no result. Events are info records: a level above
 * info leaves them out in both forms.
 *
 * A supervisor's decision is a log record and an event: the record says it (at its own level,
 * so `--log-level warn` still shows restarts), the event's line is left out.
 */
import type { Logger } from 'pino';
import type { LoggedEvent } from '../../log/eventLog.js';
import { createLogger } from '../../kernel/logger.js';
import type { Io } from '../io.js';
import { eventRenderer } from './eventRenderer.js';
import { clockTime } from './format.js';
import { logLine } from './logLine.js';
import { outputMode } from './outputMode.js';

export interface DaemonTerminal {
  logger: Logger;
  /** The daemon's own word to its operator (listening, stopping): shown whatever the log level. */
  say(message: string, fields?: Record<string, unknown>): void;
  /** Each mission event, as the daemon writes it. */
  onEvent(e: LoggedEvent): void;
}

export function daemonTerminal(
  flags: { json?: boolean; pretty?: boolean; 'log-level'?: string },
  io: Io,
): DaemonTerminal {
  const pretty = outputMode(flags, io.tty?.err) === 'pretty';
  const destination = { write: (chunk: string) => io.err(chunk.replace(/\n$/, '')) };
  const logger = createLogger({
    level: flags['log-level'] ?? 'info',
    pretty,
    line: (r) => logLine(r, { time: true }),
    destination,
  });
  const announcer = createLogger({
    level: 'info',
    pretty,
    line: (r) => String(r.msg ?? ''),
    destination,
  });
  const renderers = new Map<string, (e: LoggedEvent) => void>();
  const showEvents = logger.isLevelEnabled('info');
  return {
    logger,
    say: (message, fields = {}) => announcer.info(fields, message),
    onEvent(e) {
      if (!showEvents || e.type === 'supervisor.decision') return;
      let render = renderers.get(e.mission);
      if (!render) {
        render = pretty
          ? eventRenderer({
              mode: 'pretty',
              write: (line, ev) =>
                io.err(`${clockTime(Date.parse(ev.ts))} [${ev.mission}] ${line}`),
            })
          : eventRenderer({
              mode: 'json',
              write: (line, ev) =>
                logger.info(
                  { mission: ev.mission, event: JSON.parse(line) as unknown },
                  'mission event',
                ),
            });
        renderers.set(e.mission, render);
      }
      render(e);
      if (e.type === 'mission.finished') renderers.delete(e.mission);
    },
  };
}
