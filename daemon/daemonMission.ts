/**
 * One mission as the daemon holds it: its config, what its events say so far (state, stage,
 * stages done, approvals), the followers of its event stream, and the run itself (fresh, or
 * resumed from what its log recorded). All it knows comes from the mission's own events, live
 * or recovered, so what the API answers is what the log says; `missionStatusFold.ts` folds them.
 */
import { missionStages } from '../machines/workflowStages.js';
import { existsSync } from 'node:fs';
import { EventLog, type LoggedEvent } from '../log/eventLog.js';
import { withFormat } from '../log/missionLogEvent.js';
import { recoverMission, type RecoveredMission } from '../log/missionRecovery.js';
import { errorMessage, UserError } from '../kernel/errors.js';
import type { MissionConfig } from '../config/mission.js';
import type { BudgetUsage } from '../supervisors/index.js';
import {
  MissionOverError,
  UnknownApprovalError,
  type AnswerRequest,
  type AnswerResult,
  type ApprovalRecord,
  type MissionStatus,
  type MissionSummary,
} from './daemonApi.js';
import type { DaemonOptions } from './daemonOptions.js';
import type { MissionMachineEvent, MissionOutput, MissionResume } from '../machines/mission.js';
import type { MakerProgressView } from '../inspector/makerProgressFold.js';
import { MissionStatusFold } from './missionStatusFold.js';
import type { NatsHub } from '../runner/natsRuntime.js';
import { runMission } from '../runner/runMission.js';

interface Follower {
  listener: (e: LoggedEvent) => void;
  end?: () => void;
  after: number;
}

export class DaemonMission {
  /** When it was submitted: the time its log's `mission.submitted` says, once it is written. */
  private submittedAt: string;
  /** What its events say so far: state, stage, stages done, approvals, progress, result. */
  private readonly fold: MissionStatusFold;
  private readonly corruptSeen = new Set<number>();
  /** Where a recovered mission goes on from: worked out once, from its log, and dropped once used. */
  private resumeFrom?: { plan: MissionResume; keySalt?: string; usedBefore?: BudgetUsage };
  private send?: (event: MissionMachineEvent) => void;
  private readonly stopper = new AbortController();
  private readonly followers = new Set<Follower>();

  constructor(
    readonly id: string,
    private readonly config: MissionConfig,
    private readonly input: string | undefined,
    private readonly file: string,
    private readonly options: DaemonOptions,
    recovered?: RecoveredMission,
  ) {
    this.submittedAt =
      recovered?.submitted?.at ?? new Date(options.clock?.now() ?? Date.now()).toISOString();
    this.fold = new MissionStatusFold(id, config);
    if (recovered) this.fromRecovered(recovered);
  }

  get over(): boolean {
    return this.fold.over;
  }

  get logFile(): string {
    return this.file;
  }

  /** Its MAKER stages' progress as folded so far (what an archive keeps of a finished one). */
  makerViews(): MakerProgressView[] | undefined {
    const views = this.fold.maker.views();
    return views.length > 0 ? views : undefined;
  }

  /** Runs the mission (resumed when it was recovered) until it ends or is suspended. */
  async run(suspend: AbortSignal): Promise<MissionOutput> {
    const o = this.options;
    const r = this.resumeFrom;
    this.resumeFrom = undefined; // a later run (none today) would start from its own log
    try {
      const { output, writeFault } = await runMission(this.config, {
        stateDir: o.stateDir,
        logger: o.logger,
        missionId: this.id,
        input: this.input,
        clock: o.clock,
        env: o.env,
        // A stop while it waits for its workers ends the wait: the mission is given up below.
        natsHub: o.natsHub && stoppable(o.natsHub, this.stopper.signal),
        waitWorkersMs: o.waitWorkersMs,
        observer: o.observer,
        signal: this.stopper.signal,
        suspend,
        resume: r?.plan,
        keySalt: r?.keySalt,
        usedBefore: r?.usedBefore,
        syncEveryMs: o.syncEveryMs ?? 50,
        // Tried again at the next daemon start: the workers may be back by then.
        onStartFailure: 'retry',
        onEvent: (e) => this.onEvent(e),
        onStart: (send) => (this.send = send),
      });
      if (writeFault) {
        // Suspended by its disk: not over, not failed; the daemon resumes it once it can write.
        this.fold.suspend({
          reason: writeFault.reason,
          message: `${writeFault.message}; suspended until the daemon can write again`,
        });
        o.onWriteFault?.(this.id, writeFault);
      }
      return output;
    } catch (err) {
      if (this.fold.startFailed && this.stopper.signal.aborted) return this.stoppedBeforeStart();
      // A start failure (no NATS worker for a provider, a worker running another definition) is
      // in the log as `mission.start_failed` and in `status` as failed with reason start_failed:
      // the log has no end, so a restarted daemon tries it again. Anything else is Maestro's own.
      if (this.fold.startFailed)
        o.logger.warn(
          { mission: this.id, err: errorMessage(err) },
          'daemon: mission could not start; tried again at the next start',
        );
      else {
        this.fold.finish('failed', { reason: 'error', message: errorMessage(err) });
        o.logger.error({ mission: this.id, err }, 'daemon: mission could not run');
      }
      throw err;
    } finally {
      this.send = undefined;
      // Over: its followers get their `end`. That includes a start failure, whose log stays open
      // for the next daemon start: nothing more comes from this one. Suspended: not the mission's
      // end, so no `end`; the streams close with the daemon, and a client reconnects (from its
      // last event id) to the next one.
      if (this.over) this.endFollowers();
      else this.followers.clear();
    }
  }

  /** Stopped while it waited to start: given up as a stop during its wait for the next start is. */
  private stoppedBeforeStart(): MissionOutput {
    const signal = this.stopper.signal;
    const reason = typeof signal.reason === 'string' ? signal.reason : 'interrupted';
    this.giveUp(reason);
    this.options.logger.info(
      { mission: this.id, reason },
      'daemon: mission stopped before it could start; given up',
    );
    const usage: BudgetUsage = { tokens: 0, costUsd: 0, samples: 0, wallTimeMs: 0 };
    return {
      missionId: this.id,
      name: this.config.name,
      status: 'failed',
      stages: [],
      error: { reason: 'stopped', message: reason },
      usage,
    };
  }

  stop(reason: string): void {
    if (this.waitingForRetry) return this.giveUp(reason);
    this.stopper.abort(reason);
  }

  /** Whether it failed to start and waits for the next daemon start to be tried again. */
  get waitingForRetry(): boolean {
    return this.fold.startFailed && this.fold.state === 'failed';
  }

  /** A mission that could not start, stopped: its log gets its end, so no later start tries it again. */
  private giveUp(reason: string): void {
    const log = new EventLog(
      this.file,
      this.id,
      () => this.options.clock?.now() ?? Date.now(),
    ).open();
    log.onEvent((e) => this.onEvent(e));
    try {
      log.append({
        type: 'mission.finished',
        status: 'failed',
        error: { reason: 'stopped', message: reason },
      });
    } finally {
      log.close();
    }
  }

  answer(id: string, a: AnswerRequest): AnswerResult {
    const record = this.fold.approvalsById.get(id);
    if (!record) throw new UnknownApprovalError(id);
    if (record.status === 'closed') throw new MissionOverError(this.id, this.fold.state);
    if (record.status !== 'pending') return { approval: record, alreadyAnswered: true };
    if (this.over) throw new MissionOverError(this.id, this.fold.state);
    // The mission writes the answer to its log, then acts on it, in this call.
    this.send?.({
      type: 'gate.answered',
      id,
      decision: a.decision,
      ...(a.feedback !== undefined && { feedback: a.feedback }),
      by: a.by ?? 'api',
    });
    if (record.status === 'pending')
      throw new UserError(
        `approval '${id}' cannot be answered now: mission '${this.id}' is not waiting for it (it may be starting); try again`,
      );
    return { approval: record, alreadyAnswered: false };
  }

  summary(): MissionSummary {
    const f = this.fold;
    return {
      id: this.id,
      name: this.config.name,
      state: f.state,
      submittedAt: this.submittedAt,
      ...(f.finishedAt && { finishedAt: f.finishedAt }),
      ...(!this.over && f.stage && { stage: f.stage }),
      stages: missionStages(this.config).map((s) => s.name),
    };
  }

  status(): MissionStatus {
    const f = this.fold;
    return {
      ...this.summary(),
      ...(f.result !== undefined && { result: f.result }),
      ...(f.error && { error: f.error }),
      ...(f.usage && { usage: f.usage }),
      ...(f.plans.size > 0 && { plans: [...f.plans.values()].map((p) => ({ ...p })) }),
      ...(f.maker.views().length > 0 && { maker: f.maker.views() }),
      ...(f.agents.size > 0 && { agents: f.agents.views() }),
      done: [...f.done],
      approvals: this.approvals(),
      eventLog: this.file,
    };
  }

  /**
   * The mission to run again after its disk fault, from what its log kept: resumed from it if
   * the log holds its `mission.submitted` (with a `mission.write_fault` record of what
   * happened), or submitted afresh under the same id if the fault came before that.
   */
  again(fault: { code: string; message: string; at: string }): DaemonMission {
    const recovered = existsSync(this.file) ? recoverMission(this.file, this.id) : undefined;
    if (!recovered?.submitted)
      return new DaemonMission(this.id, this.config, this.input, this.file, this.options);
    const log = new EventLog(
      this.file,
      this.id,
      () => this.options.clock?.now() ?? Date.now(),
    ).open();
    try {
      log.append({
        type: 'mission.write_fault',
        code: fault.code,
        message: fault.message,
        at: fault.at,
      });
    } finally {
      log.close();
    }
    if (log.fault) throw log.fault;
    return new DaemonMission(
      this.id,
      this.config,
      this.input,
      this.file,
      this.options,
      recoverMission(this.file, this.id),
    );
  }

  /** A corrupt line met while reading the log for a follower: skipped, said once per line. */
  private corruptLine(line: number, reason: string): void {
    if (this.corruptSeen.has(line)) return;
    this.corruptSeen.add(line);
    this.options.logger.warn(
      { mission: this.id, file: this.file, line, reason },
      `daemon: ${this.file}:${line}: corrupt line skipped (${reason})`,
    );
  }

  approvals(): ApprovalRecord[] {
    return [...this.fold.approvalsById.values()];
  }

  /** History after `after` from the log, then live events; each once, in order. */
  follow(after: number, listener: (e: LoggedEvent) => void, end?: () => void): () => void {
    const f: Follower = { listener, end, after };
    // Read and subscribe in one synchronous step: no event can fall between the two.
    for (const e of existsSync(this.file)
      ? EventLog.read(this.file, (line, reason) => this.corruptLine(line, reason))
      : [])
      this.deliver(f, e);
    if (this.over && this.send === undefined) {
      end?.();
      return () => {};
    }
    this.followers.add(f);
    return () => this.followers.delete(f);
  }

  private deliver(f: Follower, e: LoggedEvent): void {
    if (e.seq <= f.after) return;
    f.after = e.seq;
    try {
      f.listener(e);
    } catch {
      // A follower's failure is its own.
    }
  }

  private onEvent(e: LoggedEvent): void {
    // The log's time, so that its summary is the same live, from the index and from the log.
    if (e.type === 'mission.submitted') this.submittedAt = e.ts;
    this.fold.apply(e);
    // The copy (JetStream) is the line as the file holds it, its format included.
    this.options.mirror?.(withFormat(e));
    for (const f of this.followers) this.deliver(f, e);
    if (e.type === 'mission.finished') this.endFollowers();
  }

  private endFollowers(): void {
    for (const f of this.followers) f.end?.();
    this.followers.clear();
  }

  private fromRecovered(r: RecoveredMission): void {
    const plan = this.fold.restore(r);
    if (plan) this.resumeFrom = { plan, keySalt: r.submitted?.keySalt, usedBefore: r.usage };
  }
}

/** The daemon's hub, its wait for workers ended by the mission's stop. */
function stoppable(hub: NatsHub, stop: AbortSignal): NatsHub {
  return {
    transport: hub.transport,
    attach: (providers, waitWorkersMs) => hub.attach(providers, waitWorkersMs, stop),
    close: () => hub.close(),
  };
}
