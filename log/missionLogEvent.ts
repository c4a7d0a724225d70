/**
 * The mission log's events: one zod schema per type (under events/), one discriminated union. The
 * log is a durable format: a state directory written by an earlier release must still resume, so
 * a field is never renamed or retyped in place; a change that old readers cannot take raises
 * `LOG_FORMAT`, and readers keep reading every earlier format.
 *
 * Every line is the envelope (`seq`, `ts`, `mission`, `v`) and one event. Format 1 (releases up to
 * 0.1) wrote no `v`; format 2 writes `v: 2` and is otherwise the same events.
 */
import { z } from 'zod';
import { approvalEvents } from './events/approvalEvents.js';
import { councilEvents } from './events/councilEvents.js';
import { makerEvents } from './events/makerEvents.js';
import { missionEvents } from './events/missionEvents.js';
import { planEvents } from './events/planEvents.js';
import { supervisionEvents } from './events/supervisionEvents.js';
import { workflowEvents } from './events/workflowEvents.js';
import { workspaceEvents } from './events/workspaceEvents.js';

export const LOG_FORMAT = 2;

export const missionLogEventSchema = z.discriminatedUnion('type', [
  ...missionEvents,
  ...approvalEvents,
  ...supervisionEvents,
  ...makerEvents,
  ...planEvents,
  ...workspaceEvents,
  ...workflowEvents,
  ...councilEvents,
]);

/** One event of a mission's log, before the log adds its envelope. */
export type MissionLogEvent = z.infer<typeof missionLogEventSchema>;

export type MissionLogEventType = MissionLogEvent['type'];

/** The event of one type: `LogEventOf<'stage.finished'>`. */
export type LogEventOf<T extends MissionLogEventType> = Extract<MissionLogEvent, { type: T }>;

// A type, not an interface: object types take an index signature where one is asked
// (`Record<string, unknown>`, the transport's JSON events), interfaces do not.
export type LogEnvelope = {
  seq: number;
  ts: string;
  mission: string;
  /** The log format the line was written in; absent in format 1. */
  v?: number;
};

/** A line of the log: its envelope and its event. */
export type LoggedEvent = LogEnvelope & MissionLogEvent;

export type LoggedEventOf<T extends MissionLogEventType> = LogEnvelope & LogEventOf<T>;

const KNOWN = new Set<string>(missionLogEventSchema.options.map((o) => o.shape.type.value));

export function isMissionLogEventType(type: string): type is MissionLogEventType {
  return KNOWN.has(type);
}

/** The event as its log line holds it: the envelope, the format, then the event's fields. */
export function withFormat(e: LoggedEvent): LoggedEvent {
  const { seq, ts, mission, ...event } = e;
  return { seq, ts, mission, v: LOG_FORMAT, ...event } as LoggedEvent;
}

/** The envelope of a line, its event unchecked, or why it is not one: for tools that copy lines. */
export function parseLogEnvelope(line: string): LoggedEvent | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  const e = value as Partial<LogEnvelope> & { type?: unknown };
  if (
    typeof e !== 'object' ||
    e === null ||
    Array.isArray(e) ||
    typeof e.seq !== 'number' ||
    typeof e.type !== 'string'
  )
    return 'not an event (no seq or type)';
  return value as LoggedEvent;
}

/**
 * The event on a line, or why it is not one: not JSON, no envelope, a format newer than this
 * release reads, an unknown type, or a field that fails its schema (named with its path). The
 * line's own object is returned, fields the schema does not name kept, so that nothing is lost.
 */
export function parseLogLine(line: string): LoggedEvent | string {
  const e = parseLogEnvelope(line);
  if (typeof e === 'string') return e;
  if (e.v !== undefined && (typeof e.v !== 'number' || e.v > LOG_FORMAT))
    return `written in log format ${String(e.v)}, newer than this release reads (${LOG_FORMAT})`;
  if (!KNOWN.has(e.type)) return `unknown event type '${e.type}'`;
  const checked = missionLogEventSchema.safeParse(e);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const at = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return `${e.type}: ${at}${issue.message}`;
  }
  // The format is the line's, not the event's: read back, an event is what was appended.
  const { v: _format, ...event } = e;
  return event as LoggedEvent;
}
