/**
 * pino, set up once: pretty on a terminal, JSON lines otherwise, to stderr (stdout carries
 * results). Known secret fields are removed by path, and registered secret values are masked
 * wherever they appear in a record.
 */
import { pino, type Logger } from 'pino';
import { redact, redactPaths } from './secrets.js';

export interface LoggerOptions {
  level?: string;
  /** @default whether stderr is a terminal */
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  return pino({
    level: options.level ?? 'info',
    redact: { paths: redactPaths, censor: '[REDACTED]' },
    formatters: { log: (obj) => redact(obj) },
    transport: pretty ? { target: 'pino-pretty', options: { destination: 2, colorize: true, ignore: 'pid,hostname' } } : undefined,
  }, pretty ? undefined : pino.destination(2));
}
