/**
 * What a daemon's start-time recovery (`startRecovery.ts`) and its history prune
 * (`archivePrune.ts`) work on: its missions by id, its index and options, and the two things they
 * ask of it (start a mission, archive one that is over).
 */
import type { ArchivedMission } from './archivedMission.js';
import type { DaemonMission } from './daemonMission.js';
import type { DaemonOptions } from './daemonOptions.js';
import type { MissionIndex } from './missionIndex.js';
import type { RecoveringMission } from './recoveringMission.js';

export type KnownMission = DaemonMission | ArchivedMission | RecoveringMission;

export interface DaemonHost {
  readonly missions: Map<string, KnownMission>;
  readonly index: MissionIndex;
  readonly options: DaemonOptions;
  stopping(): boolean;
  launch(m: DaemonMission): void;
  archiveIfOver(m: DaemonMission): void;
}
