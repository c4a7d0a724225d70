/**
 * pino, set up once: on a terminal each record is a line in words, otherwise a JSON line; both to
 * stderr (stdout carries results). Known secret fields are removed by path, and registered secret
 * values are masked wherever they appear in a record, before either form is written.
 *
 * The words come from `line` (the CLI passes the renderer it uses for mission events, so a log
 * line and a progress line read alike); without one, `level msg (field value, …)`. pino-pretty is
 * not used: its multi-line layout was a dialect of its own, and it runs in a worker thread.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import { redact, redactPaths, redactText } from './secrets.js';

/** A record as pino writes it: `level` (10 trace … 60 fatal), `time`, `msg`, and the fields. */
export type LogRecord = Record<string, unknown> & { level: number; time: number; msg?: string };

export interface LoggerOptions {
  level?: string;
  /** Lines in words instead of JSON. @default whether stderr is a terminal */
  pretty?: boolean;
  /** A record in words, when pretty; undefined leaves it out. @default `recordLine` */
  line?: (record: LogRecord) => string | undefined;
  /** Records for which this is false are not written, in either form (ones another output already shows). */
  keep?: (record: LogRecord) => boolean;
  /** Where the lines go. @default stderr */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  const sink = options.destination ?? pino.destination(2);
  const stream =
    pretty || options.keep
      ? reading(sink, pretty ? (options.line ?? recordLine) : undefined, options.keep)
      : sink;
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: redactPaths, censor: '[REDACTED]' },
      formatters: { log: (obj) => redact(obj) },
      // The message string too, and any string argument interpolated into it.
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<
              typeof method
            >,
          );
        },
      },
    },
    stream,
  );
}

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** `warn worker lost (worker w1, silentForMs 6000)`: the level (info left out), the message, the fields. */
export function recordLine(r: LogRecord): string {
  const { level, time: _time, pid: _pid, hostname: _host, msg, ...fields } = r;
  const name = LEVELS[level] ?? String(level);
  const parts = Object.entries(fields).map(([k, v]) => `${k} ${fieldText(v)}`);
  return `${name === 'info' ? '' : `${name} `}${msg ?? ''}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

function fieldText(v: unknown): string {
  if (typeof v === 'string') return v;
  // pino's serialized Error: its message says it, the stack is for JSON logs.
  if (
    v !== null &&
    typeof v === 'object' &&
    typeof (v as { message?: unknown }).message === 'string'
  )
    return (v as { message: string }).message;
  return JSON.stringify(v) ?? String(v);
}

/** A destination that reads pino's JSON lines back, filters them, and writes them (in words when `line` is given). */
function reading(
  sink: DestinationStream,
  line: LoggerOptions['line'],
  keep: LoggerOptions['keep'],
): DestinationStream {
  return {
    write(chunk: string) {
      for (const json of chunk.split('\n')) {
        if (json === '') continue;
        let record: LogRecord;
        try {
          record = JSON.parse(json) as LogRecord;
        } catch {
          sink.write(`${json}\n`); // not pino's: pass it on as it is
          continue;
        }
        if (keep && !keep(record)) continue;
        const text = line ? line(record) : json;
        if (text !== undefined) sink.write(`${text}\n`);
      }
    },
  };
}
