/**
 * `maestro/testing`: what a test of code built on Maestro needs, as `@temporalio/testing` gives a
 * workflow's tests: a clock that moves only when told to, providers that answer from a script or
 * a seeded simulation (no network, no key), and `startTestTree`, a supervisor started on that
 * clock with its decisions collected.
 */
import type { AnyActorRef } from 'xstate';
import type { Logger } from 'pino';
import { ManualClock } from './kernel/clock.js';
import { createRuntime, type EventSink, type SupervisionRuntime } from './supervisors/runtime.js';
import type { DecisionRecord } from './supervisors/effects.js';
import { createSupervisor, type SupervisorInput } from './supervisors/supervisor.js';
import type { SupervisorRef } from './supervisors/supervisorCalls.js';

export { ManualClock } from './kernel/clock.js';
export { ScriptedProvider, scriptedError } from './actors/providers/scripted.js';
export { SimulatedProvider } from './actors/providers/simulated.js';
export { mulberry32, type Random } from './actors/providers/random.js';

/** An event as a supervision tree reports it to its sink (a mission's event log). */
export type TreeEvent = Parameters<EventSink['append']>[0];

export interface TestTreeOptions extends Omit<SupervisorInput, 'runtime' | 'name'> {
  /** The root supervisor's name. @default 'test' */
  name?: string;
  /** @default a new ManualClock at 0 */
  clock?: ManualClock;
  /** Backoff jitter's random source. @default () => 0.5 */
  random?: () => number;
  /** @default a silent pino logger */
  logger?: Logger;
}

/** A decision as the tree's event sink received it. */
export type TestDecision = TreeEvent & DecisionRecord & { type: 'supervisor.decision' };

export interface TestTree {
  /** The root supervisor, started. */
  readonly actor: SupervisorRef;
  readonly clock: ManualClock;
  readonly runtime: SupervisionRuntime;
  /** Every event the tree reported, in order. */
  readonly events: TreeEvent[];
  /** What the root failed with, if it gave up. */
  readonly errors: unknown[];
  /** The live XState actor of child `id`, or undefined while it is not running. */
  child(id: string): AnyActorRef | undefined;
  /** Ids of the children with a live actor, in start order. */
  running(): string[];
  /** How many times child `id` was restarted. */
  restarts(id: string): number;
  /** The supervisor's decisions (restart, give up, ...), in order. */
  decisions(): TestDecision[];
  /** Moves the clock: restart backoffs, shutdown timeouts and periods fall due. */
  advance(ms: number): void;
  /** Stops the root and with it every child, at once. */
  stop(): void;
}

/** Starts a root supervisor over `children` on a manual clock, for a test. */
export function startTestTree(options: TestTreeOptions): TestTree {
  const {
    clock = new ManualClock(),
    random = () => 0.5,
    logger,
    name = 'test',
    ...input
  } = options;
  const events: TreeEvent[] = [];
  const runtime = createRuntime({
    clock,
    random,
    events: { append: (e) => events.push(e) },
    ...(logger && { logger }),
  });
  const errors: unknown[] = [];
  const actor = createSupervisor({ ...input, name, runtime });
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.start();
  const children = () => actor.getSnapshot().context.core.snapshotChildren();
  return {
    actor,
    clock,
    runtime,
    events,
    errors,
    child(id) {
      const refId = children().find((c) => c.id === id)?.refId;
      return refId === undefined
        ? undefined
        : (actor.getSnapshot().children as Record<string, AnyActorRef>)[refId];
    },
    running: () =>
      children()
        .filter((c) => c.refId !== undefined)
        .map((c) => c.id),
    restarts: (id) => children().find((c) => c.id === id)?.restarts ?? 0,
    decisions: () => events.filter((e): e is TestDecision => e.type === 'supervisor.decision'),
    advance: (ms) => clock.advance(ms),
    stop: () => actor.stop(),
  };
}
