/** How an inspector hub is set up: its clock, flush rate, buffers, and what it keeps in view. */
import type { Clock } from '../kernel/clock.js';
import type { ObservedEvent, Redact } from './hubEvents.js';

export interface InspectorHubOptions {
  /** @default systemClock */
  clock?: Clock;
  /** How often `start()` flushes. @default 100 */
  flushMs?: number;
  /** Events kept for new clients. @default 500 */
  maxEvents?: number;
  /** Events one delta may carry; more are dropped and counted. @default 200 */
  maxEventsPerFlush?: number;
  /** Deltas kept for clients that resync. @default 600 */
  historyFlushes?: number;
  /** Events those deltas may carry in all; older deltas go first. @default 2000 */
  historyEvents?: number;
  /** A parent with more children of one logic than this is announced by a `pool` event. @default 200 */
  poolThreshold?: number;
  /** Applied to everything the hub stores. @default config/secrets `redact` */
  redact?: Redact;
  /**
   * Missions that ended kept in view; older ones are forgotten (`forgetMission`) as each new
   * one ends, so a long-running daemon's hub, and a new client's first message, hold the live
   * missions and the last few, however many ran before. @default Infinity: none forgotten
   */
  keepEnded?: number;
  /**
   * An event in words (the CLI's `eventSentence`, what `maestro replay` says): the page's event
   * list and timeline read it. Given by the caller, since the words live above the inspector.
   * @default none: events carry their data only
   */
  describe?: (e: ObservedEvent) => string | undefined;
}
