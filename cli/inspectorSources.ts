/**
 * What the inspector's page reads beyond the live graph, from here because the words live in
 * the CLI (`eventSentence`, what `maestro replay` says) and the missions in the daemon: each
 * event in words for the live list, a mission's history as a timeline grouped by stage, and the
 * mission list, the daemon's (every mission in its state dir) or the one of `run --inspect`.
 */
import { existsSync } from 'node:fs';
import { hasIdChars } from '../config/mission.js';
import type { Daemon } from '../daemon/daemon.js';
import { type MissionQuery, pageOf } from '../inspector/hubMissions.js';
import { bound, type ObservedEvent } from '../inspector/hubEvents.js';
import type { InspectorHub } from '../inspector/hub.js';
import type { MissionSource } from '../inspector/server.js';
import type { ClientMessage, MissionRow, TimelineEntry, TimelinePage } from '../inspector/types.js';
import { EventLog, type LoggedEvent } from '../log/eventLog.js';
import { linesOf } from '../log/logLines.js';
import { eventSentence } from './render/eventSentence.js';

/** An event in words, for the hub's live list. */
export function describeEvent(e: ObservedEvent): string | undefined {
  return eventSentence(e as unknown as LoggedEvent);
}

/** Records a timeline does not give a line: each decided MAKER vote (their progress is shown), drawn samples. */
function quiet(e: LoggedEvent): boolean {
  return (e.type === 'maker.vote' && e.outcome === 'decided') || e.type === 'maker.samples';
}

/**
 * One pass over a mission's events: the entries after `after`, up to `limit`, each with the
 * stage it belongs to (its own `stage`, the stage in its path, else the stage running then).
 */
export function timelineOf(
  mission: string,
  events: Iterable<LoggedEvent>,
  after: number,
  limit: number,
): TimelinePage {
  const entries: TimelineEntry[] = [];
  let stages: number | undefined;
  let current: string | undefined;
  let next: number | undefined;
  for (const e of events) {
    // A line that parses but is no event (`null`, `{}`): skipped, as recovery skips it.
    if (typeof e !== 'object' || e === null || typeof e.type !== 'string') continue;
    if (e.type === 'mission.started' && Array.isArray(e.stages)) stages = e.stages.length;
    if (e.type === 'stage.entered' && typeof e.stage === 'string') current = e.stage;
    const seq = Number(e.seq);
    if (!(seq > after) || quiet(e)) continue;
    if (entries.length >= limit) {
      next = entries.at(-1)!.seq;
      break;
    }
    const entry: TimelineEntry = {
      seq,
      type: e.type,
      text: eventSentence(e, stages === undefined ? {} : { stages }),
      raw: bound(e, 0) as Record<string, unknown>,
    };
    const at = Date.parse(String((e as { ts?: unknown }).ts));
    if (Number.isFinite(at)) entry.at = at;
    const stage = stageOf(e) ?? (e.type.startsWith('mission.') ? undefined : current);
    if (stage !== undefined) entry.stage = stage;
    entries.push(entry);
    if (e.type === 'stage.finished' && current === e.stage) current = undefined;
  }
  const page: TimelinePage = { mission, entries };
  if (next !== undefined) page.next = next;
  return page;
}

function stageOf(e: LoggedEvent): string | undefined {
  const own = (e as { stage?: unknown }).stage;
  if (typeof own === 'string') return own;
  const path = (e as { path?: unknown }).path;
  return typeof path === 'string' ? /\/stage\/([^/@]+)/.exec(path)?.[1] : undefined;
}

/**
 * The events of a log file, in order, read in chunks (never the file whole); a line that does
 * not parse is skipped. Lines up to `after` are not parsed, but those a timeline needs for its
 * context (the stages and the stage running), nor decided MAKER votes: a page of a long log
 * costs a scan of its text, not a parse of each line.
 */
export function* logEvents(file: string, after = 0): Generator<LoggedEvent> {
  for (const { line } of linesOf(file)) {
    // A decided vote has no line of its own (the progress says it): not parsed at all.
    if (line.includes('"type":"maker.vote"') && line.includes('"outcome":"decided"')) continue;
    const seq = /^\{"seq":(\d+),/.exec(line)?.[1];
    if (
      seq !== undefined &&
      Number(seq) <= after &&
      !line.includes('"type":"stage.entered"') &&
      !line.includes('"type":"mission.started"')
    )
      continue;
    try {
      yield JSON.parse(line) as LoggedEvent;
    } catch {
      // A torn or corrupt line: recovery says where; the timeline reads on.
    }
  }
}

/** Mission `id`'s log in the state dir, when there is one (an id is a path segment, never a path). */
function logIn(stateDir: string, id: string): string | undefined {
  const file = EventLog.pathFor(stateDir, id);
  return hasIdChars(id) && existsSync(file) ? file : undefined;
}

/** `run --inspect`: the hub's own missions (this run's), and their logs in the state dir. */
export function runMissionSource(hub: InspectorHub, stateDir: string): MissionSource {
  return {
    list: (query) => hub.missionList(query),
    timeline: (mission, after, limit) => {
      // This run's missions only: the state dir may hold others' logs.
      const file = hub.hasMission(mission) ? logIn(stateDir, mission) : undefined;
      return file === undefined
        ? undefined
        : timelineOf(mission, logEvents(file, after), after, limit);
    },
  };
}

/** The daemon: every mission in its state dir, and each one's log (archived ones too). */
export function daemonMissionSource(
  daemon: Daemon,
  hub: InspectorHub,
  stateDir: string,
): MissionSource {
  return {
    list: async (query: MissionQuery) => {
      await daemon.loaded?.();
      // The trace ids are the hub's (from the missions' `mission.started`), for those it holds.
      const traced = new Map(
        hub.missionList({ limit: 500 }).missions.map((m) => [m.id, m.traceId] as const),
      );
      const rows = daemon.list().map(({ stages: _stages, ...row }): MissionRow => {
        const traceId = traced.get(row.id);
        return traceId === undefined ? row : { ...row, traceId };
      });
      return pageOf(rows, query);
    },
    timeline: (mission, after, limit) => {
      // A mission's own log, streamed, when it is in the state dir (the page stops reading at
      // `limit`); an archived one through the daemon, which reads it whole.
      const file = logIn(stateDir, mission);
      if (file !== undefined) return timelineOf(mission, logEvents(file, after), after, limit);
      const events: LoggedEvent[] = [];
      try {
        // The log's events are delivered before `events` returns; later ones are not waited for.
        daemon.events(mission, 0, (e) => events.push(e))();
      } catch {
        return undefined; // not a mission of this daemon
      }
      return timelineOf(mission, events, after, limit);
    },
  };
}

/** Approve, reject and stop from an inspector client that presented the token. */
export async function inspectorWrite(daemon: Daemon, msg: ClientMessage): Promise<void> {
  if (msg.type === 'approve') await daemon.answer(msg.id, { decision: 'approve', by: 'inspector' });
  else if (msg.type === 'reject')
    await daemon.answer(msg.id, { decision: 'reject', feedback: msg.feedback, by: 'inspector' });
  else if (msg.type === 'stop')
    await daemon.stop(
      msg.path.replace(/^mission\//, '').split('/')[0]!,
      'stopped from the inspector',
    );
}
