/** Helpers to start a supervisor on a manual clock and reach its children by child id. */
import type { AnyActorRef } from 'xstate';
import { ManualClock } from '../../config/clock.js';
import { createRuntime, createSupervisor, type MissionEvent, type SupervisorInput } from '../../supervisors/index.js';

export function startTree(input: Omit<SupervisorInput, 'runtime'>, clock = new ManualClock()) {
  const events: MissionEvent[] = [];
  const runtime = createRuntime({ clock, events: { append: (e) => events.push(e) }, random: () => 0.5 });
  const errors: unknown[] = [];
  const actor = createSupervisor({ ...input, runtime });
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.start();
  /** The live XState child for a child id (the supervisor's core maps ids to numeric ref ids). */
  const child = (id: string): AnyActorRef | undefined => {
    const c = actor.getSnapshot().context.core.snapshotChildren().find((x) => x.id === id);
    return c?.refId === undefined ? undefined : (actor.getSnapshot().children as Record<string, AnyActorRef>)[c.refId];
  };
  const decisions = () => events.filter((e) => e.type === 'supervisor.decision');
  return { actor, clock, events, errors, child, decisions };
}
