/**
 * The inspector server's JSON reads: `/snapshot.json`, `/missions.json` (the mission list:
 * `?status=a,b&q=text&offset=0&limit=50`) and `/timeline.json?mission=ID&after=SEQ&limit=N` (a
 * mission's history in words), and the read rule they and the ws share: with a read token,
 * nothing is read without it.
 */
import type { IncomingMessage } from 'node:http';
import { tokenMatches } from '../kernel/secrets.js';
import type { MissionQuery } from './hubMissions.js';
import type { InspectorSnapshot, MissionPage, TimelinePage } from './types.js';

/** What the reads need of the hub. */
export interface ReadableHub {
  snapshot(): InspectorSnapshot;
  /** The missions the hub has seen: the list when no `missions` source is given. */
  missionList?(query: MissionQuery): MissionPage;
}

/**
 * Where the page's mission list and each mission's history come from: the daemon's state dir
 * (every mission it has, not only those in the hub), or the one log of `run --inspect`.
 */
export interface MissionSource {
  list(query: MissionQuery): Promise<MissionPage> | MissionPage;
  /** A page of the mission's history in words, after `after`; undefined for a mission it does not know. */
  timeline(
    mission: string,
    after: number,
    limit: number,
  ): Promise<TimelinePage | undefined> | TimelinePage | undefined;
}

export const READS = new Set(['/snapshot.json', '/missions.json', '/timeline.json']);

export interface ReadReply {
  status: number;
  body: unknown;
}

/** Whether the request may read: no read token set, or it gives it (`?token=` or a bearer header). */
export function mayRead(req: IncomingMessage, url: URL, readToken: string | undefined): boolean {
  if (readToken === undefined) return true;
  const given =
    url.searchParams.get('token') ??
    /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  return given !== undefined && tokenMatches(given, readToken);
}

export function refusedRead(): ReadReply {
  return {
    status: 401,
    body: {
      error:
        "reading this inspector needs its token: open the page with #token=<token>, or send 'authorization: Bearer <token>'",
    },
  };
}

export async function readRoute(
  path: string,
  url: URL,
  hub: ReadableHub,
  missions: MissionSource | undefined,
): Promise<ReadReply> {
  if (path === '/snapshot.json') return { status: 200, body: hub.snapshot() };
  if (path === '/missions.json') {
    const query = missionQuery(url);
    const body = missions
      ? await missions.list(query)
      : (hub.missionList?.(query) ?? { total: 0, offset: 0, missions: [] });
    return { status: 200, body };
  }
  const mission = url.searchParams.get('mission');
  if (!mission) return { status: 400, body: { error: 'timeline.json needs ?mission=<id>' } };
  const after = whole(url.searchParams.get('after'), 0);
  const limit = Math.min(Math.max(whole(url.searchParams.get('limit'), 500), 1), 2000);
  const page = missions ? await missions.timeline(mission, after, limit) : undefined;
  if (page === undefined)
    return { status: 404, body: { error: `no history for mission '${mission}' here` } };
  return { status: 200, body: page };
}

/** `?status=a,b&q=text&offset=0&limit=50`, bounded. */
export function missionQuery(url: URL): MissionQuery {
  const p = url.searchParams;
  const states = (p.get('status') ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const query: MissionQuery = {
    offset: whole(p.get('offset'), 0),
    limit: Math.min(Math.max(whole(p.get('limit'), 50), 1), 500),
  };
  if (states.length) query.states = states;
  const text = p.get('q');
  if (text) query.text = text.slice(0, 200);
  return query;
}

function whole(v: string | null, fallback: number): number {
  const n = Number(v);
  return v !== null && v !== '' && Number.isInteger(n) && n >= 0 ? n : fallback;
}
