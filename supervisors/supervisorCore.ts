/**
 * The supervisor's bookkeeping, free of XState: children in start order, the restart history,
 * and a queue of operations (stop these, start that, reply, end) that runs until it must wait for
 * a child to stop. Every method returns the effects the actor must apply (spawn, ask to stop,
 * kill, set a timer, report a decision, reply to a call); `supervisor.ts` applies them. Exits that
 * arrive while an operation waits are decided at once and their operations queued, so a
 * supervisor is never blocked and never loses an exit. A restart with a backoff is parked on a
 * timer, not queued, so one child's backoff does not hold up its siblings. OTP's calls
 * (start_child, terminate_child, restart_child, delete_child) are operations like the others, and
 * answer when they are done; `childCalls.ts` holds their rules, `childStops.ts` the stopping.
 *
 * Over 400 lines: it is one state machine over one private state (children, the operation queue,
 * the restart history, parked restarts), whose invariants (an exit is decided once; starts of a
 * restart group run in order, after its stops) hold only if every path that changes that state
 * is here; the rules it applies live in decisions.ts and childCalls.ts.
 */
import { errorMessage } from '../kernel/errors.js';
import type { BudgetNode } from './budget.js';
import {
  addChildRules,
  deleteChildRules,
  restartChildRules,
  terminateChildRules,
  type CallResult,
  type Reply,
  type StartResult,
} from './childCalls.js';
import {
  normalizeChildSpec,
  type ChildSpec,
  type NormalizedChildSpec,
  type NormalizedFlags,
  type StartContext,
} from './childSpec.js';
import {
  addRestart,
  autoShutdownDue,
  backoffAttempt,
  backoffDelay,
  endsSubtree,
  exitKindOf,
  exitReason,
  restartLimitReached,
  restartGroup,
  shouldRestart,
  type ExitKind,
} from './decisions.js';
import { ChildStops } from './childStops.js';
import {
  failureFields,
  SupervisorShutdownError,
  type DecisionRecord,
  type Effect,
  type ErrorContext,
  type Phase,
  type SupervisorOutput,
} from './effects.js';
import type { SupervisionRuntime } from './runtime.js';
import type { ChildRecord } from './childRecord.js';

/**
 * Why a child is started: the supervisor's own start, a restart (retried when it fails),
 * start_child (a child not kept if it fails to start) or restart_child (kept).
 */
type StartHow = 'init' | 'restart' | 'add' | 'call';

type Op =
  | { kind: 'stop'; ids: string[] }
  | { kind: 'start'; id: string; how: StartHow; reply?: Reply<StartResult> }
  | { kind: 'forget'; ids: string[] }
  | { kind: 'reply'; reply: Reply<CallResult>; result: CallResult }
  | { kind: 'end'; error?: Error; reason: SupervisorOutput['reason'] };

export class SupervisorCore {
  phase: Phase = 'starting';
  private readonly children = new Map<string, ChildRecord>();
  private readonly byRef = new Map<string, string>();
  private history: number[] = [];
  /** Restarts over the supervisor's life (for `maxRestarts`). */
  private totalRestarts = 0;
  private ops: Op[] = [];
  private readonly stops = new ChildStops({
    children: this.children,
    emit: (e) => this.emit(e),
    untrack: (rec) => {
      if (rec.refId !== undefined) this.byRef.delete(rec.refId);
      rec.refId = undefined;
      rec.status = 'terminated';
    },
    report: (ctx, reason, rec, action) => this.report(ctx, reason, rec, action),
    timerKey: (prefix) => `${prefix}:${this.nextTimer++}`,
  });
  /** Restarts waiting out a backoff: timer key → the start operations to queue when it fires. */
  private readonly parked = new Map<string, Op[]>();
  private ending = false;
  /** simple_one_for_one's one spec, of which children are instances. */
  template?: NormalizedChildSpec;
  private nextRef = 0;
  private nextTimer = 0;
  private nextDynamic = 0;
  private readonly results: Record<string, unknown> = {};
  private out: Effect[] = [];

  constructor(
    readonly name: string,
    readonly flags: NormalizedFlags,
    readonly budget: BudgetNode,
    private readonly runtime: SupervisionRuntime,
  ) {}

  init(specs: readonly NormalizedChildSpec[]): Effect[] {
    if (this.flags.strategy === 'simple_one_for_one') this.template = specs[0];
    else for (const spec of specs) this.add(spec, 'init');
    const wall = this.budget.wallTimeRemainingMs();
    if (wall !== undefined)
      this.emit({ type: 'timer', key: 'walltime', delayMs: Math.max(0, wall) });
    return this.pump();
  }

  /**
   * OTP's start_child: an instance of the template (simple_one_for_one), or a full spec. A spec
   * that cannot be added (bad, or its id already present) is refused with a report and an answer;
   * the supervisor runs on.
   */
  startChild(spec?: ChildSpec, input?: unknown, reply?: Reply<StartResult>): Effect[] {
    if (this.ending) {
      reply && this.emit({ type: 'reply', reply, result: { ok: false, error: 'shutting_down' } });
      return this.pump();
    }
    if (this.template) {
      const id = String(this.nextDynamic++);
      this.add(
        {
          ...this.template,
          id,
          start: { ...this.template.start, input: input ?? this.template.start.input },
        },
        'add',
        reply,
      );
      return this.pump();
    }
    if (!spec) {
      reply &&
        this.emit({ type: 'reply', reply, result: { ok: false, error: 'no child spec given' } });
      return this.pump();
    }
    let s: NormalizedChildSpec;
    try {
      s = normalizeChildSpec(spec, `child '${spec.id}'`);
    } catch (err) {
      return this.refuse(errorMessage(err), reply);
    }
    const refusal = addChildRules(this.children.get(s.id));
    if (refusal) return this.refuse(refusal.detail, reply, refusal.result);
    this.add(s, 'add', reply);
    return this.pump();
  }

  /** OTP's terminate_child: stop a child by its shutdown; a temporary (or dynamic) one is then deleted. */
  terminateChild(id: string, reply?: Reply<CallResult>): Effect[] {
    const rec = this.children.get(id);
    const refusal = terminateChildRules(rec, this.ending);
    if (refusal) return this.answer(reply, refusal);
    this.cancelStarts(new Set([id]));
    this.ops.push({ kind: 'stop', ids: [id] });
    if (rec!.spec.restart === 'temporary' || this.template)
      this.ops.push({ kind: 'forget', ids: [id] });
    if (reply) this.ops.push({ kind: 'reply', reply, result: { ok: true } });
    return this.pump();
  }

  /** OTP's restart_child: start a stopped child again from its kept spec. */
  restartChild(id: string, reply?: Reply<StartResult>): Effect[] {
    const refusal = restartChildRules(
      this.children.get(id),
      this.isRestarting(id),
      this.template !== undefined,
      this.ending,
    );
    if (refusal) return this.answer(reply, refusal);
    this.ops.push({ kind: 'start', id, how: 'call', reply });
    return this.pump();
  }

  /** OTP's delete_child: forget the spec of a stopped child. */
  deleteChild(id: string, reply?: Reply<CallResult>): Effect[] {
    const refusal = deleteChildRules(
      this.children.get(id),
      this.isRestarting(id),
      this.template !== undefined,
    );
    if (refusal) return this.answer(reply, refusal);
    this.forget(id);
    return this.answer(reply, { ok: true });
  }

  /** A child ended by itself (done or error) or after we asked it to stop. */
  childExited(refId: string, done: boolean, payload: unknown): Effect[] {
    const id = this.byRef.get(refId);
    if (id === undefined) return [];
    const rec = this.children.get(id)!;
    this.byRef.delete(refId);
    rec.refId = undefined;
    this.emit({ type: 'kill', refId }); // removes the ended actor from XState's children
    const exit = exitKindOf(done, payload);
    if (rec.status === 'stopping') {
      rec.status = 'terminated';
      // Asked to stop, it crashed instead: OTP's shutdown_error.
      if (!done && exit !== 'shutdown')
        this.report('shutdown_error', exitReason(exit, payload), rec, 'none', { exit });
      this.stops.stopped(id);
      return this.pump();
    }
    rec.status = 'terminated';
    if (done) this.results[id] = payload;
    if (this.ending || this.stopQueued(id)) return this.pump();
    this.emit({
      type: 'childExited',
      childId: id,
      exit,
      output: done ? payload : undefined,
      error: done ? undefined : errorMessage(payload),
      ...failureFields(payload),
    });
    this.decide(rec, exit, payload);
    return this.pump();
  }

  timer(key: string): Effect[] {
    if (key === 'walltime') this.wallTimer();
    else if (key.startsWith('kill:')) this.stops.killTimer(key);
    else {
      const starts = this.parked.get(key);
      this.parked.delete(key);
      if (starts && !this.ending) this.ops.push(...starts);
    }
    return this.pump();
  }

  /** Stop every child in reverse start order, then end normally. */
  shutdown(reason: SupervisorOutput['reason'] = 'shutdown'): Effect[] {
    this.end({ kind: 'end', reason });
    return this.pump();
  }

  /** Children in start order, for which_children, count_children, inspection and tests. */
  snapshotChildren(): {
    id: string;
    status: ChildRecord['status'];
    restarts: number;
    refId?: string;
    restarting: boolean;
    spec: NormalizedChildSpec;
  }[] {
    return [...this.children.values()].map((c) => ({
      id: c.spec.id,
      status: c.status,
      restarts: c.restarts,
      refId: c.refId,
      restarting: this.isRestarting(c.spec.id),
      spec: c.spec,
    }));
  }

  private add(spec: NormalizedChildSpec, how: StartHow, reply?: Reply<StartResult>): void {
    this.children.set(spec.id, {
      spec,
      status: 'pending',
      restarts: 0,
      startedAt: 0,
      backoffAttempt: -1,
    });
    this.ops.push({ kind: 'start', id: spec.id, how, reply });
  }

  /** One clause per kind of exit, as OTP's do_restart. */
  private decide(rec: ChildRecord, exit: ExitKind, payload: unknown): void {
    // A spent budget (ours or an ancestor's first), an abort or a non-retryable failure ends this
    // subtree with its reason, whatever the child's restart type; a temporary child's own is its
    // business (OTP: a temporary child never takes its supervisor down), so whoever started it
    // decides (a plan's task graph stops on a non-retryable task).
    const ours = exit === 'budget_exceeded' ? this.budget.exceeded() : undefined;
    if (ours) return this.giveUp('child_terminated', ours, rec, undefined, exit);
    if (endsSubtree(exit) && rec.spec.restart !== 'temporary')
      return this.giveUp('child_terminated', payload as Error, rec, undefined, exit);
    if (!shouldRestart(rec.spec.restart, exit)) return this.noRestart(rec, exit, payload);
    // A restart is new work: refused, like any start, when the budget is spent.
    const spent = this.budget.exceeded();
    if (spent) return this.giveUp('child_terminated', spent, rec);
    const limit = this.countRestart();
    if (limit) {
      // OTP reports the crash, then the shutdown it led to.
      this.report('child_terminated', exitReason(exit, payload), rec, 'shutdown', { exit });
      return this.intensityReached(rec, payload, limit);
    }
    const now = this.runtime.clock.now();
    let delayMs = 0;
    if (rec.spec.backoff) {
      rec.backoffAttempt = backoffAttempt(
        rec.spec.backoff,
        rec.backoffAttempt,
        now - rec.startedAt,
      );
      delayMs = backoffDelay(rec.spec.backoff, rec.backoffAttempt, this.runtime.random);
    }
    const group = restartGroup(this.flags.strategy, [...this.children.keys()], rec.spec.id);
    this.report('child_terminated', exitReason(exit, payload), rec, 'restart', {
      exit,
      group,
      delayMs,
    });
    this.restart(rec, group, delayMs);
  }

  private noRestart(rec: ChildRecord, exit: ExitKind, payload: unknown): void {
    const remove = rec.spec.restart === 'temporary' || this.template !== undefined;
    this.report(
      'child_terminated',
      exitReason(exit, payload),
      rec,
      remove ? 'remove' : 'no_restart',
      { exit },
    );
    if (remove) this.forget(rec.spec.id);
    const alive = this.countSignificantAlive();
    if (autoShutdownDue(this.flags.autoShutdown, rec.spec.significant, alive)) {
      this.report('auto_shutdown', this.flags.autoShutdown, rec, 'shutdown');
      this.end({ kind: 'end', reason: 'auto_shutdown' });
    }
  }

  /** OTP's add_restart, plus the total bound: the reason when this restart is one too many. */
  private countRestart(): ReturnType<typeof restartLimitReached> {
    this.history = addRestart(this.history, this.runtime.clock.now(), this.flags.periodMs);
    this.totalRestarts++;
    return restartLimitReached(this.history, this.totalRestarts, this.flags);
  }

  /** OTP exits with reason `shutdown` (reported as reached_max_restart_intensity); its parent decides by the restart type. */
  private intensityReached(
    rec: ChildRecord,
    payload: unknown,
    reason: NonNullable<ReturnType<typeof restartLimitReached>> = 'reached_max_restart_intensity',
  ): void {
    const err = new SupervisorShutdownError(this.name, reason, rec.spec.id, payload, {
      exit: 'shutdown',
    });
    this.giveUp('shutdown', err, rec, reason);
  }

  /** Stop the group's other running children (reverse order), then start the group in order. */
  private restart(rec: ChildRecord, group: string[], delayMs: number): void {
    // Starts still queued (or parked) for this group from an earlier restart would run out of
    // order, before the children they depend on: this restart supersedes them.
    this.cancelStarts(new Set(group));
    for (const id of [...group].reverse())
      if (id !== rec.spec.id) this.ops.push({ kind: 'stop', ids: [id] });
    const temporary = group.filter(
      (id) => this.children.get(id)?.spec.restart === 'temporary' && id !== rec.spec.id,
    );
    if (temporary.length) this.ops.push({ kind: 'forget', ids: temporary });
    rec.restarts++;
    const starts: Op[] = group
      .filter((id) => !temporary.includes(id))
      .map((id) => ({ kind: 'start', id, how: 'restart' }));
    if (delayMs > 0) {
      const key = `backoff:${this.nextTimer++}`;
      this.parked.set(key, starts);
      this.emit({ type: 'timer', key, delayMs });
    } else this.ops.push(...starts);
    this.setPhase('restarting');
  }

  /** Remove queued and parked starts of these children. */
  private cancelStarts(ids: ReadonlySet<string>): void {
    const superseded = (op: Op) => op.kind === 'start' && ids.has(op.id);
    this.ops = this.ops.filter((op) => !superseded(op));
    for (const [key, starts] of this.parked)
      this.parked.set(
        key,
        starts.filter((op) => !superseded(op)),
      );
  }

  /** Stop everything and fail with `error`, reported with OTP's keys. */
  private giveUp(
    ctx: ErrorContext,
    error: Error,
    rec: ChildRecord | undefined,
    reason = errorMessage(error),
    exit?: ExitKind,
  ): void {
    this.report(ctx, reason, rec, 'shutdown', exit && { exit });
    this.end({ kind: 'end', reason: 'shutdown', error });
  }

  private end(op: Extract<Op, { kind: 'end' }>): void {
    if (this.ending) return;
    this.ending = true;
    // Calls still queued are answered: the supervisor is going away.
    for (const o of this.ops)
      if (o.kind === 'reply' || (o.kind === 'start' && o.reply))
        this.emit({
          type: 'reply',
          reply: o.reply!,
          result: { ok: false, error: 'shutting_down' },
        });
    this.ops = [];
    for (const key of this.parked.keys()) this.emit({ type: 'cancel', key });
    this.parked.clear();
    this.emit({ type: 'cancel', key: 'walltime' });
    const alive = [...this.children.values()]
      .filter((c) => c.status === 'running')
      .map((c) => c.spec.id)
      .reverse();
    if (this.template) this.ops.push({ kind: 'stop', ids: alive });
    else for (const id of alive) this.ops.push({ kind: 'stop', ids: [id] });
    this.ops.push(op);
    this.setPhase('shuttingDown');
  }

  private pump(): Effect[] {
    while (!this.stops.busy && this.ops.length > 0) {
      const op = this.ops.shift()!;
      if (op.kind === 'stop') this.stops.run(op.ids);
      else if (op.kind === 'forget')
        op.ids.forEach((id) => {
          this.forget(id);
        });
      else if (op.kind === 'start') this.runStart(op);
      else if (op.kind === 'reply')
        this.emit({ type: 'reply', reply: op.reply, result: op.result });
      else {
        this.setPhase(op.error ? 'failed' : 'stopped');
        this.emit(
          op.error
            ? { type: 'fail', error: op.error }
            : { type: 'finish', output: { reason: op.reason, results: this.results } },
        );
      }
    }
    const idle = !this.stops.busy && this.ops.length === 0 && this.parked.size === 0;
    if (idle && (this.phase === 'starting' || this.phase === 'restarting')) {
      this.setPhase('running');
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  private runStart(op: Extract<Op, { kind: 'start' }>): void {
    const rec = this.children.get(op.id);
    if (!rec || rec.status === 'running' || rec.status === 'stopping') return;
    // The child's own node first: it walks up through ours and every ancestor's.
    const budget = this.budget.child(rec.spec.id, rec.spec.budget);
    const spent = budget.exceeded();
    if (spent) {
      if (op.reply)
        this.emit({
          type: 'reply',
          reply: op.reply,
          result: { ok: false, error: errorMessage(spent) },
        });
      return this.giveUp('start_error', spent, rec);
    }
    const path = `${this.name}/${rec.spec.id}`;
    const ctx: StartContext = { path, restarts: rec.restarts, budget, runtime: this.runtime };
    let input: unknown;
    try {
      const i = rec.spec.start.input;
      input = typeof i === 'function' ? (i as (c: StartContext) => unknown)(ctx) : i;
    } catch (err) {
      return this.startFailed(rec, op, err);
    }
    const refId = String(this.nextRef++);
    rec.status = 'running';
    rec.refId = refId;
    rec.lastRef = refId;
    rec.startedAt = this.runtime.clock.now();
    this.byRef.set(refId, rec.spec.id);
    this.emit({
      type: 'spawn',
      refId,
      childId: rec.spec.id,
      path,
      logic: rec.spec.start.logic,
      input,
      kind: rec.spec.type,
      restarts: rec.restarts,
    });
    if (op.reply)
      this.emit({ type: 'reply', reply: op.reply, refId, result: { ok: true, id: rec.spec.id } });
  }

  /**
   * A start function threw. At the supervisor's own start, it fails to start (OTP's init error).
   * In a restart, OTP's try_again_restart: the restart is tried again, each try counting against
   * the intensity. In a call, the caller is told and the supervisor runs on.
   */
  private startFailed(rec: ChildRecord, op: Extract<Op, { kind: 'start' }>, err: unknown): void {
    rec.status = 'terminated';
    if (op.how === 'init') {
      return this.giveUp(
        'start_error',
        new SupervisorShutdownError(this.name, 'failed_to_start_child', rec.spec.id, err),
        rec,
      );
    }
    if (op.how === 'add' || op.how === 'call') {
      this.report('start_error', errorMessage(err), rec, 'reject');
      if (op.reply)
        this.emit({
          type: 'reply',
          reply: op.reply,
          result: { ok: false, error: errorMessage(err) },
        });
      // Told nothing else, a parent that asked for this child by event would wait for it forever.
      else
        this.emit({
          type: 'childExited',
          childId: rec.spec.id,
          exit: 'error',
          error: errorMessage(err),
          ...failureFields(err),
          startFailed: true,
        });
      // start_child keeps no child that did not start; restart_child keeps the spec it had.
      if (op.how === 'add') this.forget(rec.spec.id);
      return;
    }
    this.report('start_error', errorMessage(err), rec, 'restart');
    const limit = this.countRestart();
    if (limit) return this.intensityReached(rec, err, limit);
    this.restart(rec, restartGroup(this.flags.strategy, [...this.children.keys()], rec.spec.id), 0);
  }

  private wallTimer(): void {
    if (this.ending) return;
    const e = this.budget.exceeded();
    if (e) return this.giveUp('child_terminated', e, undefined);
    const left = this.budget.wallTimeRemainingMs();
    if (left !== undefined)
      this.emit({ type: 'timer', key: 'walltime', delayMs: Math.max(1, left) });
  }

  private stopQueued(id: string): boolean {
    return this.ops.some((op) => op.kind === 'stop' && op.ids.includes(id));
  }

  private isRestarting(id: string): boolean {
    const starts = (ops: Op[]) =>
      ops.some((op) => op.kind === 'start' && op.id === id && op.how === 'restart');
    return starts(this.ops) || [...this.parked.values()].some(starts);
  }

  private forget(id: string): void {
    this.children.delete(id);
    this.budget.release(id);
  }

  /** Significant children running, stopping, or about to be (re)started (queued or waiting out a backoff). */
  private countSignificantAlive(): number {
    const starting = new Set<string>();
    for (const op of [...this.ops, ...[...this.parked.values()].flat()])
      if (op.kind === 'start') starting.add(op.id);
    let n = 0;
    for (const c of this.children.values())
      if (c.spec.significant && (c.status !== 'terminated' || starting.has(c.spec.id))) n++;
    return n;
  }

  private refuse(
    detail: string,
    reply: Reply<StartResult> | undefined,
    result: StartResult = { ok: false, error: detail },
  ): Effect[] {
    this.report('start_error', detail, undefined, 'reject');
    return this.answer(reply, result);
  }

  private answer(
    reply: Reply<CallResult> | Reply<StartResult> | undefined,
    result: CallResult,
  ): Effect[] {
    if (reply) this.emit({ type: 'reply', reply: reply as Reply<CallResult>, result });
    return this.pump();
  }

  private report(
    errorContext: ErrorContext,
    reason: string,
    rec: ChildRecord | undefined,
    action: DecisionRecord['action'],
    extra: Partial<DecisionRecord> = {},
  ): void {
    const offender = rec && {
      id: rec.spec.id,
      path: `${this.name}/${rec.spec.id}`,
      restart: rec.spec.restart,
      shutdown: rec.spec.shutdown,
      significant: rec.spec.significant,
      type: rec.spec.type,
      restarts: rec.restarts,
    };
    this.emit({
      type: 'report',
      refId: rec?.refId ?? rec?.lastRef,
      record: { supervisor: this.name, errorContext, reason, offender, action, ...extra },
    });
  }

  private setPhase(phase: Phase): void {
    if (this.phase === phase) return;
    this.phase = phase;
    this.emit({ type: 'phase', phase });
  }

  private emit(e: Effect): void {
    this.out.push(e);
  }
}
