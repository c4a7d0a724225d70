/**
 * pino, set up once: pretty on a terminal, JSON lines otherwise, to stderr (stdout carries
 * results). Known secret fields are removed by path, and registered secret values are masked
 * wherever they appear in a record.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import { redact, redactPaths, redactText } from './secrets.js';

export interface LoggerOptions {
  level?: string;
  /** @default whether stderr is a terminal */
  pretty?: boolean;
  /** Where JSON lines go when not pretty. @default stderr */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  return pino({
    level: options.level ?? 'info',
    redact: { paths: redactPaths, censor: '[REDACTED]' },
    formatters: { log: (obj) => redact(obj) },
    // The message string too, and any string argument interpolated into it.
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>);
      },
    },
    transport: pretty ? { target: 'pino-pretty', options: { destination: 2, colorize: true, ignore: 'pid,hostname' } } : undefined,
  }, pretty ? undefined : (options.destination ?? pino.destination(2)));
}
