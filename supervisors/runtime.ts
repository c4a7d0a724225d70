/**
 * What every supervisor in a tree shares: the clock, the logger, the mission's event sink and
 * a random source for backoff jitter. Passed down through child inputs.
 */
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from '../kernel/clock.js';
import { type EventSink, nullSink } from '../log/eventSink.js';

export { type EventSink, nullSink } from '../log/eventSink.js';

/** A child started (or restarted) at a stable path: how the inspector follows restarts. */
export interface ChildStartedFact {
  type: 'child.started';
  path: string;
  parent: string;
  /** The XState session id of the new incarnation. */
  sessionId: string;
  kind: 'supervisor' | 'worker';
  restarts: number;
  /** The child's logic (an XState machine, for most): the inspector draws its chart from it, watched or not. */
  logic?: unknown;
}

export interface SupervisionRuntime {
  clock: Clock;
  logger: Logger;
  events: EventSink;
  /** [0, 1); seeded in tests. */
  random: () => number;
  /** Told of every child start, with its stable path (the inspector). */
  observe?: (fact: ChildStartedFact) => void;
}

export function createRuntime(parts: Partial<SupervisionRuntime> = {}): SupervisionRuntime {
  return {
    clock: parts.clock ?? systemClock,
    logger: parts.logger ?? pino({ level: 'silent' }),
    events: parts.events ?? nullSink,
    random: parts.random ?? Math.random,
    ...(parts.observe && { observe: parts.observe }),
  };
}
