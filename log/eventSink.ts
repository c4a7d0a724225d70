/** Where mission events go: the event log when a mission runs, nowhere in a unit test. */
import type { MissionLogEvent } from './missionLogEvent.js';

export interface EventSink {
  append(event: MissionLogEvent): void;
}

export const nullSink: EventSink = { append() {} };
