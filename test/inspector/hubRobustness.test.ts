import { createActor, createMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/clock.js';
import { InspectorHub } from '../../inspector/hub.js';
import type { ChildStarted } from '../../inspector/types.js';

/** An object every property read of which throws. */
const hostile = new Proxy(
  {},
  {
    get: () => {
      throw new Error('hostile');
    },
    ownKeys: () => {
      throw new Error('hostile');
    },
  },
);

const garbage: unknown[] = [
  null,
  undefined,
  42,
  'text',
  [],
  {},
  hostile,
  { type: '@xstate.snapshot' },
  { type: '@xstate.snapshot', actorRef: null, snapshot: 1 },
  { type: '@xstate.snapshot', actorRef: { sessionId: 'nobody' }, snapshot: { status: 'active' } },
  { type: '@xstate.event' },
  { type: '@xstate.event', event: null },
  { type: '@xstate.event', event: { type: 'xstate.error.actor.0' }, sourceRef: hostile },
  { type: '@xstate.event', event: { type: 7 }, sourceRef: {} },
  { type: '@xstate.actor' },
  { type: '@xstate.actor', actorRef: { sessionId: 5 } },
  { type: '@xstate.actor', actorRef: { sessionId: 'g1', logic: { id: 'fake', root: 'nope' } } },
  {
    type: '@xstate.actor',
    actorRef: { sessionId: 'g2', id: {}, _parent: { sessionId: 'g1' }, logic: hostile },
  },
  {
    type: '@xstate.actor',
    actorRef: {
      sessionId: 'g3',
      logic: { id: 'm', root: { transitions: new Map([['e', [{ target: [hostile] }]]]) } },
    },
  },
  {
    type: '@xstate.actor',
    actorRef: {
      sessionId: 'g4',
      logic: { id: 'm2', root: { transitions: new Map(), states: null, key: 'm2', path: [] } },
    },
  },
  { type: '@xstate.actor', actorRef: hostile },
  {
    type: '@xstate.snapshot',
    actorRef: { sessionId: 'g1' },
    snapshot: { status: 'weird', value: hostile },
  },
  { type: '@xstate.snapshot', actorRef: { sessionId: 'g2' }, snapshot: hostile },
  {
    type: '@xstate.snapshot',
    actorRef: { sessionId: 'g3' },
    snapshot: { status: 'done', value: { a: 'b' } },
  },
  { type: '@xstate.microstep', actorRef: hostile },
  { type: '@xstate.action', action: hostile },
];

describe('InspectorHub: robustness', () => {
  it('should never throw from inspect, observe, childStarted or flush, whatever it is fed, and count what went wrong', () => {
    const hub = new InspectorHub({ clock: new ManualClock() });
    for (const g of garbage) expect(() => hub.inspect(g as never)).not.toThrow();
    for (const g of garbage) expect(() => hub.observe(g as never)).not.toThrow();
    for (const g of garbage) expect(() => hub.childStarted(g as ChildStarted)).not.toThrow();
    expect(() =>
      hub.observe({ type: 'supervisor.decision', action: 'restart', offender: hostile }),
    ).not.toThrow();
    expect(() =>
      hub.observe({ type: 'stage.finished', mission: 'm', stage: 's', output: hostile }),
    ).not.toThrow();
    expect(() => hub.setRootPath(hostile as string, 'x')).not.toThrow();
    expect(() => hub.flush()).not.toThrow();
    expect(() => JSON.stringify(hub.snapshot())).not.toThrow();
    expect(hub.stats.internalErrors).toBeGreaterThan(0);

    // And it still works for real actors afterwards.
    const m = createMachine({
      id: 'after',
      initial: 'a',
      states: { a: { on: { go: 'b' } }, b: {} },
    });
    const actor = createActor(m, { inspect: hub.inspect }).start();
    actor.send({ type: 'go' });
    expect(hub.snapshot().nodes.find((n) => n.id === `after/${actor.sessionId}`)).toMatchObject({
      value: 'b',
      definition: 'after',
    });
  });

  it('should ignore microsteps and actions entirely', () => {
    const hub = new InspectorHub({ clock: new ManualClock() });
    hub.inspect({
      type: '@xstate.microstep',
      actorRef: {} as never,
      rootId: 'x',
      event: { type: 'e' },
      snapshot: {} as never,
      _transitions: [],
    });
    hub.inspect({
      type: '@xstate.action',
      actorRef: {} as never,
      rootId: 'x',
      action: { type: 'a', params: {} },
    });
    expect(hub.flush()).toBeUndefined();
    expect(hub.stats.internalErrors).toBe(0);
  });
});
