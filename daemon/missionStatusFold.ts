/**
 * What a mission's events say so far, as the daemon's status answers it: its state, the stage it
 * is in, the stages done, its approvals, its plans' and MAKER tasks' progress, its result, error
 * and usage. Folded from its events as they come (`apply`) or seeded from a recovered log
 * (`restore`); `DaemonMission` reads it and changes it otherwise only through `finish` and
 * `suspend`, so what the API answers is what the log says.
 */
import { gateWanted, missionStages } from '../machines/workflowStages.js';
import type { LoggedEvent } from '../log/eventLog.js';
import { AgentActivityFold } from '../log/agentActivity.js';
import type { LoggedEventOf } from '../log/missionLogEvent.js';
import type { RecoveredApproval, RecoveredMission } from '../log/missionRecovery.js';
import type { MissionConfig } from '../config/mission.js';
import type { BudgetUsage } from '../supervisors/index.js';
import type { MissionResume } from '../machines/mission.js';
import type { ApprovalRecord, MissionState, PlanProgressView } from './daemonApi.js';
import { MakerProgressFold } from '../inspector/makerProgressFold.js';
import { planResume } from './missionResume.js';

export class MissionStatusFold {
  private _state: MissionState = 'running';
  private _finishedAt?: string;
  private _stage?: string;
  readonly done: { name: string; output: string }[] = [];
  readonly approvalsById = new Map<string, ApprovalRecord>();
  readonly plans = new Map<string, PlanProgressView>();
  readonly maker: MakerProgressFold;
  /** Each agent's calls, failures, restarts and last error. */
  agents = new AgentActivityFold();
  private _result?: string;
  private _error?: { reason: string; message: string };
  private _usage?: BudgetUsage;
  /** Its last run could not start (no worker, …): failed for now, tried again at the next daemon start. */
  private _startFailed = false;

  constructor(
    private readonly mission: string,
    private readonly config: MissionConfig,
  ) {
    this.maker = new MakerProgressFold(config.stages);
  }

  get state(): MissionState {
    return this._state;
  }
  get finishedAt(): string | undefined {
    return this._finishedAt;
  }
  get stage(): string | undefined {
    return this._stage;
  }
  get result(): string | undefined {
    return this._result;
  }
  get error(): { reason: string; message: string } | undefined {
    return this._error;
  }
  get usage(): BudgetUsage | undefined {
    return this._usage;
  }
  get startFailed(): boolean {
    return this._startFailed;
  }

  get over(): boolean {
    return this._state === 'succeeded' || this._state === 'failed' || this._state === 'stopped';
  }

  /** Suspended by its disk: not over, not failed; the daemon resumes it once it can write. */
  suspend(error: { reason: string; message: string }): void {
    this._state = 'suspended';
    this._error = error;
  }

  apply(e: LoggedEvent): void {
    this.maker.apply(e);
    this.agents.apply(e);
    switch (e.type) {
      case 'stage.entered':
        this._stage = e.stage as string;
        this._state = 'running';
        break;
      case 'stage.finished': {
        const sc = missionStages(this.config)[e.index as number];
        if (sc && !gateWanted(sc, e.output as string))
          this.done.push({ name: sc.name, output: e.output as string });
        break;
      }
      case 'approval.requested':
        this.approvalsById.set(
          e.id as string,
          toRecord(this.mission, { ...(e as unknown as RecoveredApproval), requestedAt: e.ts }),
        );
        this._state = 'awaiting_approval';
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
        this._state = 'running';
        break;
      }
      case 'plan.compiled':
      case 'task.finished':
      case 'task.failed':
      case 'plan.revised':
        this.planEvent(e);
        break;
      case 'mission.start_failed':
        this._startFailed = true;
        this.finish(
          'failed',
          {
            reason: 'start_failed',
            message: `${String(e.message)}; tried again at the next daemon start (maestro stop ${this.mission} gives it up)`,
          },
          e.ts,
        );
        break;
      case 'mission.finished': {
        this._startFailed = false;
        const error = e.error as { reason: string; message: string } | undefined;
        this._result = e.result as string | undefined;
        this._usage = e.usage as BudgetUsage | undefined;
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

  finish(state: MissionState, error?: { reason: string; message: string }, at?: string): void {
    this._state = state;
    if (error) this._error = error;
    this._finishedAt = at ?? new Date().toISOString();
  }

  /**
   * Seeds the fold from a recovered log. Returns where the mission goes on from (the resume plan,
   * built from what its log recorded), or undefined when the log holds its end.
   */
  restore(r: RecoveredMission): MissionResume | undefined {
    for (const [path, rp] of r.plans) {
      const steps = ((rp.plan as { steps?: { id: string }[] } | undefined)?.steps ?? []).map(
        (st) => st.id,
      );
      const finished = Object.keys(rp.finished);
      const stage = path.split('/stage/')[1]?.split('/')[0] ?? path;
      // As the live fold has it: every plan's tasks in order of first appearance (a log from
      // before they were folded: the last plan's and what finished), and every failure.
      this.plans.set(path, {
        stage,
        tasks: rp.tasks.length > 0 ? [...rp.tasks] : [...new Set([...finished, ...steps])],
        finished,
        failed: [...rp.failed],
        replans: rp.replans,
      });
    }
    for (const [path, m] of r.maker) this.maker.restore(path, m);
    this.agents = r.agents;
    for (const a of r.approvals) this.approvalsById.set(a.id, toRecord(this.mission, a));
    const plan = planResume(r, this.config);
    for (const s of plan.stages) this.done.push({ name: s.name, output: s.output });
    if (r.finished) {
      this._result = r.finished.result;
      this._usage = r.finished.usage;
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
      return undefined;
    }
    if ([...this.approvalsById.values()].some((a) => a.status === 'pending'))
      this._state = 'awaiting_approval';
    return plan;
  }
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
