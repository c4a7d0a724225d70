/**
 * A finished mission as a long-running daemon keeps it: its summary, and its log for the rest.
 * A finished DaemonMission held its config and its folded status (about 10 KB each, by
 * bench:soak), so a daemon's heap grew with every mission it ever ran; an archived one is a
 * bounded record, and its status, approvals and events are read from its log when asked (as a
 * restarted daemon reads them), by a DaemonMission rebuilt for the call and dropped after it.
 */
import { loggedMissionSchema, type MissionConfig } from '../config/mission.js';
import type { LoggedEvent } from '../log/eventLog.js';
import type { Logger } from 'pino';
import { type RecoveredMission, recoverMission } from '../log/missionRecovery.js';
import type {
  AnswerRequest,
  AnswerResult,
  ApprovalRecord,
  MissionStatus,
  MissionSummary,
} from './daemonApi.js';
import { DaemonMission } from './daemonMission.js';
import type { MakerProgressView } from '../inspector/makerProgressFold.js';
import type { DaemonOptions } from './daemonOptions.js';

export class ArchivedMission {
  readonly over = true;
  readonly waitingForRetry = false;
  private warned = false;

  constructor(
    readonly id: string,
    private readonly summarized: MissionSummary,
    private readonly file: string,
    private readonly options: DaemonOptions,
    /**
     * Its MAKER stages' progress as this daemon saw it run (a few numbers each): the rate and
     * ETA come from when votes were seen, which a log read later does not have.
     */
    private readonly maker?: MakerProgressView[],
  ) {}

  summary(): MissionSummary {
    return { ...this.summarized, stages: [...this.summarized.stages] };
  }

  status(): MissionStatus {
    const s = this.fromLog().status();
    return this.maker ? { ...s, maker: this.maker.map((m) => ({ ...m })) } : s;
  }

  approvals(): ApprovalRecord[] {
    return this.fromLog().approvals();
  }

  answer(id: string, a: AnswerRequest): AnswerResult {
    return this.fromLog().answer(id, a);
  }

  follow(after: number, listener: (e: LoggedEvent) => void, end?: () => void): () => void {
    return this.fromLog().follow(after, listener, end);
  }

  /** Over: nothing to stop (the daemon refuses a stop of a finished mission before this). */
  stop(): void {}

  private fromLog(): DaemonMission {
    const r = recoverMission(this.file, this.id);
    // Said once per daemon, as a start that read the log would have said it.
    if (!this.warned) warnCorrupt(this.options.logger, r);
    this.warned = true;
    const config: MissionConfig = loggedMissionSchema.parse(r.submitted?.config);
    return new DaemonMission(this.id, config, r.submitted?.input, this.file, this.options, r);
  }
}

/** A log's corrupt lines, skipped: one warning with where they are (the first ten). */
export function warnCorrupt(logger: Logger, r: RecoveredMission): void {
  if (r.corrupt.length === 0) return;
  const at = r.corrupt.slice(0, 10).map((n) => `${r.file}:${n}`);
  logger.warn(
    { mission: r.id, file: r.file, lines: r.corrupt.length, at },
    `daemon: ${r.corrupt.length} corrupt line(s) in a mission log skipped (${at.join(', ')})`,
  );
}
