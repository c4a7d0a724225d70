/**
 * What the mission events say of the graph's nodes, beyond what XState's inspection shows: the
 * mission's log (its state in words, trace id, budgets; its end settling every node under it;
 * a resume reopening them), the supervisors' decisions (a child that ended, a crash and its
 * reason) and remote workers joining or leaving. The hub calls these from `observe`.
 */
import type { NodeGraph } from './hubGraph.js';
import type { MissionBoard } from './hubMissions.js';
import type { ObservedEvent, Redact } from './hubEvents.js';
import { atOf, bound } from './hubEvents.js';

/** What a mission's log says of it, onto its nodes; its end settles every node under it. */
export function missionFacts(
  graph: NodeGraph,
  missions: MissionBoard,
  e: ObservedEvent,
  now: number,
): void {
  for (const { path, kind, ...fields } of missions.observe(e, atOf(e, now))) {
    const init =
      kind === 'mission'
        ? { kind, logic: 'mission' }
        : { kind, logic: 'supervisor', parent: path.replace(/\/stage\/[^/]+$/, '') };
    graph.patch(path, init, fields, now);
  }
  const mission = typeof e.mission === 'string' ? e.mission : undefined;
  if (mission === undefined) return;
  const root = `mission/${mission}`;
  if (e.type === 'mission.resumed') graph.reopen(root, now);
  if (e.type !== 'mission.finished' && e.type !== 'mission.suspended') return;
  const outcome = missions.outcome(mission);
  graph.settle(root, outcome === 'succeeded' ? 'done' : 'stopped', now);
  graph.settle(`workers/${mission}`, 'stopped', now);
  // Its status is its outcome's (the graph's `shown`); its chart shows the state of that name.
  if (outcome !== undefined) graph.finalState(root, outcome, now);
}

/** A supervisor's decision: a child that ended (and is not restarted), a supervisor that gave up, a crash. */
export function decision(
  graph: NodeGraph,
  e: ObservedEvent,
  at: number,
  now: number,
  message: (err: unknown) => string,
): void {
  const offender = e.offender as { path?: unknown; type?: unknown } | undefined;
  if (typeof offender?.path === 'string' && (e.action === 'no_restart' || e.action === 'remove'))
    graph.ended(
      offender.path,
      e.reason === 'normal' || e.reason === 'shutdown' ? 'done' : 'error',
      undefined,
      now,
    );
  if (
    e.action === 'shutdown' &&
    e.errorContext !== 'auto_shutdown' &&
    typeof e.supervisor === 'string'
  )
    graph.ended(e.supervisor, 'error', undefined, now);
  if ((e.action !== 'restart' && e.action !== 'kill') || e.reason === 'normal') return;
  if (typeof offender?.path !== 'string') return;
  const kind = offender.type === 'supervisor' ? 'supervisor' : 'worker';
  graph.node(offender.path, { kind, logic: kind }, now);
  graph.failed(offender.path, { at, message: message(e.reason) }, now);
}

/** A remote worker joined (again) or left, under its mission's `workers/<id>`. */
export function worker(
  graph: NodeGraph,
  e: ObservedEvent,
  path: string | undefined,
  now: number,
  redact: Redact,
): void {
  if (path === undefined) return;
  const parent = typeof e.mission === 'string' ? `workers/${e.mission}` : 'workers';
  graph.remote(redact(path), redact(parent), e.type === 'worker.joined', now);
}

/** An event in words (the hub's `describe`), redacted and bounded; undefined without one or when it fails. */
export function sentence(
  e: ObservedEvent,
  describe: ((e: ObservedEvent) => string | undefined) | undefined,
  redact: Redact,
): string | undefined {
  if (!describe) return undefined;
  try {
    const text = describe(e);
    return text === undefined ? undefined : (bound(redact(text), 0) as string);
  } catch {
    return undefined;
  }
}
