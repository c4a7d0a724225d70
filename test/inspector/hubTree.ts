/**
 * A supervision tree on a manual clock with the hub's inspect on its actor system, its decisions
 * fed to `hub.observe`, and `started()` to feed the hub the lifecycle facts a supervisor would
 * emit (path = `<supervisor name>/<child id>`), as `test/helpers/tree.ts` does without a hub.
 */
import type { AnyActorRef } from 'xstate';
import type { LooseMissionEvent } from '../helpers/looseEvent.js';
import { ManualClock } from '../../kernel/clock.js';
import { InspectorHub } from '../../inspector/hub.js';
import { createRuntime, createSupervisor, type SupervisorInput } from '../../supervisors/index.js';

export function inspectedTree(
  input: Omit<SupervisorInput, 'runtime'>,
  hub?: InspectorHub,
  clock = new ManualClock(1000),
) {
  const h = hub ?? new InspectorHub({ clock });
  const events: LooseMissionEvent[] = [];
  const runtime = createRuntime({
    clock,
    random: () => 0.5,
    events: {
      append: (e) => {
        events.push(e);
        h.observe(e);
      },
    },
  });
  const actor = createSupervisor({ ...input, runtime }, { inspect: h.inspect });
  h.setRootPath(actor.sessionId, input.name);
  const errors: unknown[] = [];
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.start();
  const children = () => actor.getSnapshot().context.core.snapshotChildren();
  const child = (id: string): AnyActorRef | undefined => {
    const c = children().find((x) => x.id === id);
    return c?.refId === undefined
      ? undefined
      : (actor.getSnapshot().children as Record<string, AnyActorRef>)[c.refId];
  };
  /** Feed the hub a `child.started` fact for each running child not yet reported. */
  const reported = new Set<string>();
  const started = (kind: 'worker' | 'supervisor' = 'worker') => {
    for (const c of children()) {
      const ref = child(c.id);
      if (!ref || reported.has(ref.sessionId)) continue;
      reported.add(ref.sessionId);
      h.childStarted({
        type: 'child.started',
        path: `${input.name}/${c.id}`,
        parent: input.name,
        sessionId: ref.sessionId,
        kind,
        restarts: c.restarts,
      });
    }
  };
  return { hub: h, actor, clock, events, errors, children, child, started };
}
