/**
 * One mission as the daemon holds it: its config, what its events say so far (state, stage,
 * stages done, approvals), the followers of its event stream, and the run itself (fresh, or
 * resumed from what its log recorded). All it knows comes from the mission's own events, live
 * or recovered, so what the API answers is what the log says.
 */
import { existsSync } from 'node:fs';
import { EventLog, type LoggedEvent } from '../log/eventLog.js';
import { type LoggedEventOf, withFormat } from '../log/missionLogEvent.js';
import {
  recoverMission,
  type RecoveredApproval,
  type RecoveredMission,
} from '../log/missionRecovery.js';
import { errorMessage, UserError } from '../kernel/errors.js';
import type { MissionConfig } from '../config/mission.js';
import type { BudgetUsage } from '../supervisors/index.js';
import {
  MissionOverError,
  UnknownApprovalError,
  type PlanProgressView,
  type AnswerRequest,
  type AnswerResult,
  type ApprovalRecord,
  type MissionState,
  type MissionStatus,
  type MissionSummary,
} from './daemonApi.js';
import type { DaemonOptions } from './daemonOptions.js';
import type { MissionMachineEvent, MissionOutput, MissionResume } from '../machines/mission.js';
import { MakerProgressFold } from './makerProgressFold.js';
import { planResume } from './missionResume.js';
import type { NatsHub } from '../runner/natsRuntime.js';
import { runMission } from '../runner/runMission.js';

interface Follower {
  listener: (e: LoggedEvent) => void;
  end?: () => void;
  after: number;
}

export class DaemonMission {
  private state: MissionState = 'running';
  private readonly submittedAt: string;
  private finishedAt?: string;
  private stage?: string;
  private readonly done: { name: string; output: string }[] = [];
  private readonly approvalsById = new Map<string, ApprovalRecord>();
  private readonly plans = new Map<string, PlanProgressView>();
  private readonly maker: MakerProgressFold;
  private readonly corruptSeen = new Set<number>();
  /** Where a recovered mission goes on from: worked out once, from its log, and dropped once used. */
  private resumeFrom?: { plan: MissionResume; keySalt?: string; usedBefore?: BudgetUsage };
  private result?: string;
  private error?: { reason: string; message: string };
  private usage?: BudgetUsage;
  private send?: (event: MissionMachineEvent) => void;
  private readonly stopper = new AbortController();
  /** Its last run could not start (no worker, …): failed for now, tried again at the next daemon start. */
  private startFailed = false;
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
    this.maker = new MakerProgressFold(config.stages);
    if (recovered) this.fromRecovered(recovered);
  }

  get over(): boolean {
    return this.state === 'succeeded' || this.state === 'failed' || this.state === 'stopped';
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
        this.state = 'suspended';
        this.error = {
          reason: writeFault.reason,
          message: `${writeFault.message}; suspended until the daemon can write again`,
        };
        o.onWriteFault?.(this.id, writeFault);
      }
      return output;
    } catch (err) {
      if (this.startFailed && this.stopper.signal.aborted) return this.stoppedBeforeStart();
      // A start failure (no NATS worker for a provider, a worker running another definition) is
      // in the log as `mission.start_failed` and in `status` as failed with reason start_failed:
      // the log has no end, so a restarted daemon tries it again. Anything else is Maestro's own.
      if (this.startFailed)
        o.logger.warn(
          { mission: this.id, err: errorMessage(err) },
          'daemon: mission could not start; tried again at the next start',
        );
      else {
        this.finish('failed', { reason: 'error', message: errorMessage(err) });
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
    if (this.startFailed && this.state === 'failed') return this.giveUp(reason);
    this.stopper.abort(reason);
  }

  /** Whether it failed to start and waits for the next daemon start to be tried again. */
  get waitingForRetry(): boolean {
    return this.startFailed && this.state === 'failed';
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
    const record = this.approvalsById.get(id);
    if (!record) throw new UnknownApprovalError(id);
    if (record.status === 'closed') throw new MissionOverError(this.id, this.state);
    if (record.status !== 'pending') return { approval: record, alreadyAnswered: true };
    if (this.over) throw new MissionOverError(this.id, this.state);
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
    return {
      id: this.id,
      name: this.config.name,
      state: this.state,
      submittedAt: this.submittedAt,
      ...(this.finishedAt && { finishedAt: this.finishedAt }),
      ...(!this.over && this.stage && { stage: this.stage }),
      stages: this.config.stages.map((s) => s.name),
    };
  }

  status(): MissionStatus {
    return {
      ...this.summary(),
      ...(this.result !== undefined && { result: this.result }),
      ...(this.error && { error: this.error }),
      ...(this.usage && { usage: this.usage }),
      ...(this.plans.size > 0 && { plans: [...this.plans.values()].map((p) => ({ ...p })) }),
      ...(this.maker.views().length > 0 && { maker: this.maker.views() }),
      done: [...this.done],
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
    return [...this.approvalsById.values()];
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
    this.apply(e);
    // The copy (JetStream) is the line as the file holds it, its format included.
    this.options.mirror?.(withFormat(e));
    for (const f of this.followers) this.deliver(f, e);
    if (e.type === 'mission.finished') this.endFollowers();
  }

  private endFollowers(): void {
    for (const f of this.followers) f.end?.();
    this.followers.clear();
  }

  private apply(e: LoggedEvent): void {
    this.maker.apply(e);
    switch (e.type) {
      case 'stage.entered':
        this.stage = e.stage as string;
        this.state = 'running';
        break;
      case 'stage.finished': {
        const sc = this.config.stages[e.index as number];
        if (sc && !sc.approval) this.done.push({ name: sc.name, output: e.output as string });
        break;
      }
      case 'approval.requested':
        this.approvalsById.set(
          e.id as string,
          toRecord(this.id, { ...(e as unknown as RecoveredApproval), requestedAt: e.ts }),
        );
        this.state = 'awaiting_approval';
        break;
      case 'approval.closed': {
        const rec = this.approvalsById.get(e.id as string);
        if (rec?.status === 'pending')
          Object.assign(rec, {
            status: 'closed',
            closed: { reason: String(e.reason), message: String(e.message), at: e.ts },
          });
        break;
      }
      case 'approval.answered': {
        const rec = this.approvalsById.get(e.id as string);
        if (rec?.status !== 'pending') break;
        rec.status = e.decision === 'approve' ? 'approved' : 'rejected';
        rec.answeredAt = e.ts;
        rec.by = e.by as string | undefined;
        if (e.feedback !== undefined) rec.feedback = e.feedback as string;
        if (rec.status === 'approved') this.done.push({ name: rec.stage, output: rec.output });
        this.state = 'running';
        break;
      }
      case 'plan.compiled':
      case 'task.finished':
      case 'task.failed':
      case 'plan.revised':
        this.planEvent(e);
        break;
      case 'mission.start_failed':
        this.startFailed = true;
        this.finish(
          'failed',
          {
            reason: 'start_failed',
            message: `${String(e.message)}; tried again at the next daemon start (maestro stop ${this.id} gives it up)`,
          },
          e.ts,
        );
        break;
      case 'mission.finished': {
        this.startFailed = false;
        const error = e.error as { reason: string; message: string } | undefined;
        this.result = e.result as string | undefined;
        this.usage = e.usage as BudgetUsage | undefined;
        this.finish(
          e.status === 'succeeded'
            ? 'succeeded'
            : error?.reason === 'stopped'
              ? 'stopped'
              : 'failed',
          error,
          e.ts,
        );
        break;
      }
    }
  }

  /** A plan stage's progress, by its orchestrator path (`mission/<id>/stage/<name>/plan/<planner>`). */
  private planEvent(
    e: LoggedEventOf<'plan.compiled' | 'plan.revised' | 'task.finished' | 'task.failed'>,
  ): void {
    const path = e.path;
    const stage = path.split('/stage/')[1]?.split('/')[0] ?? path;
    let p = this.plans.get(path);
    if (!p) this.plans.set(path, (p = { stage, tasks: [], finished: [], failed: [], replans: 0 }));
    if (e.type === 'plan.compiled')
      for (const t of e.tasks) if (!p.tasks.includes(t.id)) p.tasks.push(t.id);
    if (e.type === 'task.finished') p.finished.push(e.task);
    if (e.type === 'task.failed') p.failed.push(e.task);
    if (e.type === 'plan.revised') p.replans = e.replan;
  }

  private finish(
    state: MissionState,
    error?: { reason: string; message: string },
    at?: string,
  ): void {
    this.state = state;
    if (error) this.error = error;
    this.finishedAt = at ?? new Date().toISOString();
  }

  private fromRecovered(r: RecoveredMission): void {
    for (const [path, rp] of r.plans) {
      const steps = ((rp.plan as { steps?: { id: string }[] } | undefined)?.steps ?? []).map(
        (st) => st.id,
      );
      const finished = Object.keys(rp.finished);
      const stage = path.split('/stage/')[1]?.split('/')[0] ?? path;
      // The log keeps the last plan and what finished; failures of earlier runs are not folded.
      this.plans.set(path, {
        stage,
        tasks: [...new Set([...finished, ...steps])],
        finished,
        failed: [],
        replans: rp.replans,
      });
    }
    for (const [path, m] of r.maker) this.maker.restore(path, m);
    for (const a of r.approvals) this.approvalsById.set(a.id, toRecord(this.id, a));
    const plan = planResume(r, this.config);
    for (const s of plan.stages) this.done.push({ name: s.name, output: s.output });
    if (r.finished) {
      this.result = r.finished.result;
      this.usage = r.finished.usage;
      const reason = r.finished.error?.reason;
      this.finish(
        r.finished.status === 'succeeded'
          ? 'succeeded'
          : reason === 'stopped'
            ? 'stopped'
            : 'failed',
        r.finished.error,
        r.finished.at,
      );
      return;
    }
    this.resumeFrom = { plan, keySalt: r.submitted?.keySalt, usedBefore: r.usage };
    if ([...this.approvalsById.values()].some((a) => a.status === 'pending'))
      this.state = 'awaiting_approval';
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

function toRecord(mission: string, a: RecoveredApproval): ApprovalRecord {
  return {
    id: a.id,
    mission,
    stage: a.stage,
    attempt: a.attempt,
    output: a.output,
    requestedAt: a.requestedAt,
    ...(a.timeoutAt !== undefined && { timeoutAt: a.timeoutAt }),
    ...(a.onTimeout !== undefined && { onTimeout: a.onTimeout }),
    status: a.answer
      ? a.answer.decision === 'approve'
        ? 'approved'
        : 'rejected'
      : a.closed
        ? 'closed'
        : 'pending',
    ...(!a.answer && a.closed && { closed: a.closed }),
    ...(a.answer?.feedback !== undefined && { feedback: a.answer.feedback }),
    ...(a.answer && { answeredAt: a.answer.at, by: a.answer.by }),
  };
}
