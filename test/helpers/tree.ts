/** Helpers to start a supervisor on a manual clock and reach its children by child id. */
import type { AnyActorRef } from 'xstate';
import type { LooseMissionEvent } from './looseEvent.js';
import type { MissionLogEvent } from '../../log/missionLogEvent.js';
import { ManualClock } from '../../kernel/clock.js';
import {
  createRuntime,
  createSupervisor,
  type DecisionRecord,
  type SupervisorInput,
} from '../../supervisors/index.js';

/** A decision as the event sink receives it. */
export type DecisionEvent = MissionLogEvent &
  DecisionRecord & { type: 'supervisor.decision'; at: number };

export function startTree(input: Omit<SupervisorInput, 'runtime'>, clock = new ManualClock()) {
  const events: LooseMissionEvent[] = [];
  const runtime = createRuntime({
    clock,
    events: { append: (e) => events.push(e) },
    random: () => 0.5,
  });
  const errors: unknown[] = [];
  const actor = createSupervisor({ ...input, runtime });
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.start();
  const children = () => actor.getSnapshot().context.core.snapshotChildren();
  /** The live XState child for a child id (the supervisor's core maps ids to numeric ref ids). */
  const child = (id: string): AnyActorRef | undefined => {
    const c = children().find((x) => x.id === id);
    return c?.refId === undefined
      ? undefined
      : (actor.getSnapshot().children as Record<string, AnyActorRef>)[c.refId];
  };
  /** The XState session id of a child's live incarnation (OTP's pid). */
  const sessionOf = (id: string): string | undefined => child(id)?.sessionId;
  /** Ids of the children that have a live actor, in start order. */
  const running = () =>
    children()
      .filter((c) => c.refId !== undefined)
      .map((c) => c.id);
  const decisions = () =>
    events.filter((e): e is DecisionEvent => e.type === 'supervisor.decision');
  return { actor, clock, runtime, events, errors, child, children, running, decisions, sessionOf };
}
