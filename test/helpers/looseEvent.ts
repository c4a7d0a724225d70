/**
 * A logged event read loosely, for tests that pick fields off events they filtered by string.
 * Production readers narrow `LoggedEvent` by its `type`; a test may read any field it asserts on.
 */
import type { LoggedEvent, MissionLogEvent } from '../../log/missionLogEvent.js';

export type LooseEvent = LoggedEvent & { [field: string]: any };

/** The same, for an event before the log adds its envelope (what a test's own sink collects). */
export type LooseMissionEvent = MissionLogEvent & { [field: string]: any };

/**
 * Any object as an event: for tests of the log's mechanics (sequence numbers, torn lines,
 * compaction), whose payloads are placeholders; they read back with `parseLogEnvelope`.
 */
export const raw = (event: { type: string; [field: string]: unknown }) => event as MissionLogEvent;
