/**
 * A mission the daemon has found a log for but not read yet: a daemon starting over a big state
 * directory answers at once and reads the logs of the missions not in its index in the
 * background. Until then the mission is listed, and its status says `recovering`, from what the
 * file name and the file's time tell; what needs the log (its events, a stop, an answer) makes the
 * daemon read it first, ahead of the others.
 */
import { statSync } from 'node:fs';
import type { MissionStatus, MissionSummary } from './daemonApi.js';

/** `name-20261203T120005Z-suffix`, as `newMissionId` draws them. */
const GENERATED = /^(.+)-(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z-[0-9a-z]+$/;

export class RecoveringMission {
  readonly over = false;
  readonly waitingForRetry = false;
  private readonly summarized: MissionSummary;

  constructor(
    readonly id: string,
    readonly logFile: string,
  ) {
    const m = GENERATED.exec(id);
    const submittedAt = m
      ? `${m[2]}-${m[3]}-${m[4]}T${m[5]}:${m[6]}:${m[7]}.000Z`
      : fileTime(logFile);
    this.summarized = { id, name: m?.[1] ?? id, state: 'recovering', submittedAt, stages: [] };
  }

  summary(): MissionSummary {
    return { ...this.summarized, stages: [] };
  }

  status(): MissionStatus {
    return { ...this.summary(), done: [], approvals: [], eventLog: this.logFile };
  }
}

function fileTime(file: string): string {
  try {
    return statSync(file).mtime.toISOString();
  } catch {
    return new Date(0).toISOString();
  }
}
