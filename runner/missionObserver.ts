/** What watches a run from outside: the inspector's hub, a CLI's progress line, the daemon's stream. */ import type {
  AnyActorRef,
  InspectionEvent,
} from 'xstate';
import type { LoggedEvent } from '../log/eventLog.js';
import type { ChildStartedFact } from '../supervisors/index.js';

export interface MissionObserver {
  /** XState's inspect callback, on every actor system of the run. */
  inspect: (event: InspectionEvent) => void;
  /** Which session is at which stable path, from the supervisors. */
  childStarted: (fact: ChildStartedFact) => void;
  /** Every mission event. */
  observe: (event: LoggedEvent) => void;
  /** Names a root actor's node; `logic`, its machine, lets the inspector draw its chart unwatched. */
  setRootPath: (sessionId: string, path: string, logic?: unknown) => void;
  /** When given, XState inspection is attached on demand through this instead of `inspect`. */
  addRoot?: (root: AnyActorRef) => () => void;
}
