/**
 * The journal of a workspace's transactions is the mission log itself (or, with no mission, a log
 * of the workspace's own, `<stateDir>/workspaces/<id>/journal.jsonl`): `apply_started` is
 * appended and fdatasynced before the first file changes, so after a crash the log says which
 * transactions were cut short. Recovery reads the workspace lines back from the log's file.
 */
import { existsSync } from 'node:fs';
import { EventLog } from '../log/eventLog.js';
import {
  parseLogLine,
  type LogEventOf,
  type MissionLogEvent,
  type MissionLogEventType,
} from '../log/missionLogEvent.js';
import { JournalError } from './workspaceErrors.js';

/** Where a workspace's events go: an `EventLog` is one (append, sync, its file). */
export interface WorkspaceLog {
  append(event: MissionLogEvent): void;
  /** Makes everything appended durable (fdatasync). */
  sync(): void;
  /** The JSONL file the events are in, read back by recovery. */
  readonly file: string;
  /** Set once a write failed: nothing appended since is in the file. */
  readonly fault?: unknown;
}

export type WorkspaceEventType = Extract<MissionLogEventType, `workspace.${string}`>;
export type WorkspaceEvent = LogEventOf<WorkspaceEventType>;
export type ApplyStarted = LogEventOf<'workspace.apply_started'>;

const CLOSING = new Set<string>([
  'workspace.applied',
  'workspace.restored',
  'workspace.apply_failed',
  'workspace.rolled_back',
]);

/** Appends `event` and makes it durable; a log that could not write it throws `JournalError`. */
export function journal(log: WorkspaceLog, event: WorkspaceEvent): void {
  log.append(event);
  log.sync();
  if (log.fault !== undefined)
    throw new JournalError(log.file, event.applyId, { cause: log.fault });
}

/** Every event of workspace `id` in the log's file, oldest first (other lines are not parsed). */
export function readWorkspaceEvents(file: string, id: string): WorkspaceEvent[] {
  if (!existsSync(file)) return [];
  const parse = (line: string) =>
    line.includes('"type":"workspace.') ? parseLogLine(line) : 'not a workspace event';
  return EventLog.read(file, undefined, parse).filter(
    (e): e is typeof e & WorkspaceEvent =>
      e.type.startsWith('workspace.') && 'workspace' in e && e.workspace === id,
  );
}

/** The transactions opened and never closed: a crash (or a failed rollback) cut them short. */
export function openTransactions(events: readonly WorkspaceEvent[]): ApplyStarted[] {
  const open = new Map<string, ApplyStarted>();
  for (const e of events) {
    if (e.type === 'workspace.apply_started') open.set(e.applyId, e);
    else if (CLOSING.has(e.type)) open.delete(e.applyId);
  }
  return [...open.values()];
}

/** The transaction `applyId`: its start and how it closed (if it did). */
export function transactionOf(
  events: readonly WorkspaceEvent[],
  applyId: string,
): { started?: ApplyStarted; closed?: WorkspaceEvent } {
  let started: ApplyStarted | undefined;
  let closed: WorkspaceEvent | undefined;
  for (const e of events) {
    if (e.applyId !== applyId) continue;
    if (e.type === 'workspace.apply_started') started = e;
    else if (CLOSING.has(e.type)) closed = e;
  }
  return { started, closed };
}
