/** How a daemon is set up: its state dir, logger, clock, NATS hub, policy and timings. */
import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock.js';
import type { LoggedEvent } from '../log/eventLog.js';
import type { LogWriteError } from '../log/logWriteError.js';
import type { MissionObserver } from '../runner/missionObserver.js';
import type { NatsHub } from '../runner/natsRuntime.js';
import type { Retention } from './retention.js';
import type { SubmitPolicy } from './submitPolicy.js';

export interface DaemonOptions {
  stateDir: string;
  logger: Logger;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** The daemon's one NATS connection, shared by its missions (their agents run on `maestro worker`s). */
  natsHub?: NatsHub;
  waitWorkersMs?: number;
  observer?: MissionObserver;
  /** fdatasync each mission's log at most this long after a write. @default 50 */
  syncEveryMs?: number;
  /** How long a mission may take to suspend when the daemon stops, before it is killed. @default 30000 */
  shutdownMs?: number;
  /** What submitted missions may run and read on this host. @default CLOSED_POLICY: no command, no variable */
  submitPolicy?: SubmitPolicy;
  /** The random part of generated mission ids (tests force collisions with it). @default 64 random bits */
  idSuffix?: () => string;
  /** Gets every event of every mission after its log has it (JetStream under NATS). */
  mirror?: (event: LoggedEvent) => void;
  /** After a disk fault, how often the daemon tries a write to learn whether it can write again. @default 2000 */
  writeProbeMs?: number;
  /**
   * Finished missions kept: older (or more) ones are pruned after the start's recovery and then
   * every `pruneEveryMs`. @default none: an embedded daemon prunes only when told (`maestro
   * daemon` passes 7d)
   */
  retain?: Retention;
  /** Where pruned logs go, gzipped. @default none: they are deleted */
  archiveDir?: string;
  /** @default 3600000 (an hour) */
  pruneEveryMs?: number;
  /** Told by a mission whose log could not be written (set by the Daemon for its missions). */
  onWriteFault?: (mission: string, fault: LogWriteError) => void;
}
