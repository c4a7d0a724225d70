/**
 * A pino record in the renderer's words, for a terminal: a supervisor's decision reads as it
 * does in the progress lines; any other record as its message, then its fields (`name value`),
 * marked by level. The JSON form is pino's own: this is only the terminal's.
 */
import type { LogRecord } from '../../kernel/logger.js';
import { decisionSentence } from './decisionSentence.js';
import { clockTime, fieldText } from './format.js';

const MARKS: Record<number, string> = {
  10: '  trace',
  20: '  debug',
  30: '·',
  40: '⚠',
  50: '✗',
  60: '✗ fatal:',
};

export interface LogLineOptions {
  /** Start with the record's time, `HH:MM:SS.mmm` (the daemon's terminal). */
  time?: boolean;
  /** Start with `[mission]` when the record names one. @default true (`run` has one mission: false) */
  mission?: boolean;
}

export function logLine(r: LogRecord, options: LogLineOptions = {}): string {
  const { level, time, pid: _pid, hostname: _host, msg, mission, ...fields } = r;
  const head = `${options.time ? `${clockTime(time)} ` : ''}${mission === undefined || options.mission === false ? '' : `[${String(mission)}] `}`;
  if (msg === 'supervisor decision')
    return `${head}${decisionSentence({ ...fields, mission: String(mission ?? '') })}`;
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${fieldText(k, v, mission)}`);
  return `${head}${MARKS[level] ?? `level ${level}`} ${msg ?? ''}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
