/**
 * How mission events (the event log's records) read in the inspector: which become entries of
 * the event stream, and which node each concerns. Data is redacted, then bounded (long strings
 * cut, deep or long structures trimmed), so one big stage output cannot bloat every new
 * client's snapshot.
 */
export interface ObservedEvent {
  type: string;
  [key: string]: unknown;
}

export type Redact = <T>(value: T) => T;

const SHOWN = new Set([
  'supervisor.decision',
  'stage.entered',
  'stage.finished',
  'agent.call',
  'worker.joined',
  'worker.left',
  'approval.requested',
  'approval.answered',
  'approval.closed',
  'task.failed',
  'task.blocked',
  'plan.revised',
  'monitor.abort',
  'monitor.revise',
]);

/**
 * Whether an event of this type is an entry of the inspector's event stream. `mission.submitted`
 * is not: it carries the whole config, which belongs in the log, not in every client's stream.
 */
export function isShown(type: string): boolean {
  return SHOWN.has(type) || (type.startsWith('mission.') && type !== 'mission.submitted');
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export const missionPath = (mission: string) => `mission/${mission}`;
export const workerPath = (mission: string | undefined, worker: string) =>
  mission === undefined ? `workers/${worker}` : `workers/${mission}/${worker}`;
export const stagePath = (mission: string, stage: string) =>
  `${missionPath(mission)}/stage/${stage}`;

/** The node an event concerns, when it names one. */
export function pathOf(e: ObservedEvent): string | undefined {
  const mission = str(e.mission);
  switch (e.type) {
    case 'supervisor.decision':
      return str((e.offender as { path?: unknown } | undefined)?.path) ?? str(e.supervisor);
    case 'stage.entered':
    case 'stage.finished':
      return mission !== undefined && str(e.stage) !== undefined
        ? stagePath(mission, str(e.stage)!)
        : undefined;
    case 'agent.call':
      return str(e.path);
    case 'worker.joined':
    case 'worker.left':
      return str(e.worker) === undefined ? undefined : workerPath(mission, str(e.worker)!);
    default:
      return mission === undefined ? undefined : missionPath(mission);
  }
}

/** When it happened: the record's own `at`, else now. */
export function atOf(e: ObservedEvent, now: number): number {
  return typeof e.at === 'number' && Number.isFinite(e.at) ? e.at : now;
}

/** Fields that belong to the event log's framing, not to the event. */
const FRAMING = new Set(['type', 'at', 'seq', 'ts']);

export function dataOf(e: ObservedEvent, redact: Redact): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(e)) if (!FRAMING.has(key)) out[key] = e[key];
  return bound(redact(out), 0) as Record<string, unknown>;
}

const MAX_STRING = 2000;
export const MAX_ITEMS = 100;
const MAX_DEPTH = 6;

/** A JSON-safe copy with strings, arrays, objects and depth bounded. */
export function bound(v: unknown, depth: number): unknown {
  if (typeof v === 'string')
    return v.length > MAX_STRING ? `${v.slice(0, MAX_STRING)}… (${v.length} chars)` : v;
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return String(v);
  if (typeof v !== 'object') return undefined; // undefined, functions, symbols: not JSON
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(v)) {
    const items = v.slice(0, MAX_ITEMS).map((x) => bound(x, depth + 1));
    if (v.length > MAX_ITEMS) items.push(`… (${v.length} items)`);
    return items;
  }
  if (v instanceof Error) return { name: v.name, message: bound(v.message, depth + 1) };
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const key of Object.keys(v)) {
    if (n++ >= MAX_ITEMS) break;
    out[key] = bound((v as Record<string, unknown>)[key], depth + 1);
  }
  return out;
}
