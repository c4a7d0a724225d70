/**
 * The one way a statechart writes the mission log: its rules compute the events (pure, like
 * taskProgress.advance's `{ progress, events, starts }`), and an action enqueues `log(sink,
 * events)`, in order with the assigns of the same step. Nothing appends inside an `assign`.
 */
import type { EventSink } from '../log/eventSink.js';
import type { MissionLogEvent } from '../log/missionLogEvent.js';

export const log = (sink: EventSink, events: readonly MissionLogEvent[]) => () => {
  for (const e of events) sink.append(e);
};
