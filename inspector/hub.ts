/**
 * The inspector's hub: XState inspection events, the supervisors' lifecycle facts and the
 * mission events in; a graph of stable paths out, as a snapshot for a new client and one delta
 * per flush for the others. The inspect callback runs inside XState's own processing, so it
 * only records (a map lookup for a snapshot) and never throws; the rest waits for the flush,
 * which touches only what changed. `hubSessions.ts` maps sessions to paths, `hubGraph.ts` keeps
 * the nodes, `hubEvents.ts` reads mission events, `hubVotes.ts` keeps the latest vote per runner,
 * `hubApprovals.ts` the approvals waiting for an answer.
 */
import { systemClock, type Clock } from '../kernel/clock.js';
import { errorMessage } from '../kernel/errors.js';
import { redact as redactSecrets } from '../kernel/secrets.js';
import { OnDemandInspection } from './onDemand.js';
import type { InspectionEvent, AnyActorRef } from 'xstate';
import { NodeGraph } from './hubGraph.js';
import { ApprovalBoard } from './hubApprovals.js';
import { atOf, dataOf, isShown, pathOf, type ObservedEvent, type Redact } from './hubEvents.js';
import { DeltaHistory, newestWithin, Ring, SNAPSHOT_EVENT_BYTES } from './hubRing.js';

export { SNAPSHOT_EVENT_BYTES } from './hubRing.js';
import { SessionTable } from './hubSessions.js';
import { VoteBoard } from './hubVotes.js';
import { MissionBoard, type MissionQuery } from './hubMissions.js';
import { decision, missionFacts, sentence, worker } from './hubFacts.js';
import type { InspectorHubOptions } from './hubOptions.js';
import type {
  ChildStarted,
  InspectorDelta,
  InspectorEvent,
  InspectorSnapshot,
  MissionPage,
} from './types.js';

export type { InspectorHubOptions };

const ERROR_EVENT = 'xstate.error.actor.';
const MAX_MESSAGE = 1000;
const APPROVAL_EVENTS = new Set(['approval.requested', 'approval.answered', 'approval.closed']);

export class InspectorHub {
  private readonly clock: Clock;
  private readonly flushMs: number;
  private readonly maxEventsPerFlush: number;
  private readonly redact: Redact;
  private readonly sessions = new SessionTable();
  private readonly graph: NodeGraph;
  private pending: InspectorEvent[] = [];
  private readonly recent: Ring<InspectorEvent>;
  private readonly history: DeltaHistory<InspectorDelta>;
  private readonly votes: VoteBoard;
  private readonly listeners = new Set<(d: InspectorDelta) => void>();
  private seq = 0;
  private eventSeq = 0;
  private dropped = 0;
  private readonly approvals: ApprovalBoard;
  private readonly missions = new MissionBoard();
  private readonly describe: InspectorHubOptions['describe'];
  private internalErrors = 0;
  private timer: unknown;
  private running = false;

  private readonly keepEnded: number;
  private readonly ended: string[] = [];

  constructor(options: InspectorHubOptions = {}) {
    this.keepEnded = options.keepEnded ?? Number.POSITIVE_INFINITY;
    this.clock = options.clock ?? systemClock;
    this.flushMs = options.flushMs ?? 100;
    this.maxEventsPerFlush = options.maxEventsPerFlush ?? 200;
    this.redact = options.redact ?? redactSecrets;
    this.describe = options.describe;
    this.recent = new Ring(options.maxEvents ?? 500);
    this.history = new DeltaHistory<InspectorDelta>(
      options.historyFlushes ?? 600,
      options.historyEvents ?? 2000,
      (d) => 1 + (d.events?.length ?? 0),
    );
    this.votes = new VoteBoard(this.redact);
    this.approvals = new ApprovalBoard(this.redact, this.clock);
    this.graph = new NodeGraph(options.poolThreshold ?? 200, (parent, logic, children) =>
      this.event('pool', parent, { logic, children }, this.clock.now()),
    );
  }

  get nodeCount(): number {
    return this.graph.size;
  }

  get stats(): { internalErrors: number; dropped: number } {
    return { internalErrors: this.internalErrors, dropped: this.dropped };
  }

  private readonly onDemand = new OnDemandInspection((e) => this.inspect(e));

  /**
   * A root actor whose system is inspected only while `watch()`ers exist (the ws clients):
   * the alternative to passing `inspect` to createActor, for runs where speed matters.
   */
  readonly addRoot = (root: AnyActorRef): (() => void) => this.onDemand.addRoot(root);

  /** A client watches until the returned function is called. */
  readonly watch = (): (() => void) => this.onDemand.watch();

  /** XState's `inspect` option, for every actor system. Never throws. */
  readonly inspect = (e: InspectionEvent): void => {
    try {
      const type = e.type;
      if (type === '@xstate.snapshot') this.sessions.snapshot(e.actorRef.sessionId, e.snapshot);
      else if (type === '@xstate.event') {
        // A crashed machine sends no snapshot; its parent gets `xstate.error.actor.<id>` from it.
        const t: unknown = e.event.type;
        if (typeof t === 'string' && t.startsWith(ERROR_EVENT) && e.sourceRef)
          this.sessions.crashed(e.sourceRef.sessionId, (e.event as { error?: unknown }).error);
      } else if (type === '@xstate.actor')
        this.sessions.register(e.actorRef as Parameters<SessionTable['register']>[0]);
    } catch {
      this.internalErrors++;
    }
  };

  /** A supervisor started (or restarted) a child at a stable path. */
  readonly childStarted = (fact: ChildStarted): void => {
    try {
      const { path, sessionId: sid } = fact;
      if (typeof path !== 'string' || typeof sid !== 'string') return;
      const parent = typeof fact.parent === 'string' ? fact.parent : undefined;
      this.rename(sid, path, parent);
      const now = this.clock.now();
      const restarts = typeof fact.restarts === 'number' ? fact.restarts : 0;
      const restarted = this.graph.incarnation(
        path,
        sid,
        fact.kind === 'supervisor' ? 'supervisor' : 'worker',
        parent,
        restarts,
        now,
      );
      if (fact.logic !== undefined) this.graph.describe(path, fact.logic, now);
      if (restarted) {
        const previous = this.sessions.live.get(restarted.previous);
        if (previous?.errored)
          this.graph.failed(path, { at: now, message: this.message(previous.error) }, now);
        this.event(
          'child.restarted',
          path,
          { restarts: restarted.restarts, sessionId: sid, previous: restarted.previous },
          now,
        );
      }
    } catch {
      this.internalErrors++;
    }
  };

  /** Names a root actor's node (the runner names the mission's `mission/<missionId>`). */
  readonly setRootPath = (sessionId: string, path: string, logic?: unknown): void => {
    try {
      if (typeof sessionId !== 'string' || typeof path !== 'string') return;
      this.onDemand.nameRoot(sessionId, path);
      this.rename(sessionId, path);
      if (logic !== undefined) this.graph.describe(path, logic, this.clock.now());
    } catch {
      this.internalErrors++;
    }
  };

  /** Every event of a mission's event log. */
  readonly observe = (e: ObservedEvent): void => {
    try {
      const type = e?.type;
      if (typeof type !== 'string') return;
      if (type === 'maker.vote') {
        this.votes.vote(e);
        this.makerProgress(e);
        return;
      }
      if (type === 'mission.finished' && typeof e.mission === 'string') this.ended.push(e.mission);
      if (
        (type === 'mission.finished' || type === 'mission.suspended') &&
        typeof e.mission === 'string'
      )
        this.votes.stopped(`mission/${e.mission}`);
      missionFacts(this.graph, this.missions, e, this.clock.now());
      this.makerProgress(e);
      if (APPROVAL_EVENTS.has(type)) this.approvals.record(e);
      if (!isShown(type)) return;
      const now = this.clock.now();
      const at = atOf(e, now);
      const path = pathOf(e);
      if (type === 'supervisor.decision')
        decision(this.graph, e, at, now, (err) => this.message(err));
      else if (type === 'worker.joined' || type === 'worker.left')
        worker(this.graph, e, path, now, this.redact);
      else if (type === 'stage.entered') this.votes.stageEntered(e);
      // Checked before the redaction: a dropped event costs nothing.
      if (this.pending.length >= this.maxEventsPerFlush) this.dropped++;
      else
        this.event(
          type,
          path === undefined ? undefined : this.redact(path),
          dataOf(e, this.redact),
          at,
          sentence(e, this.describe, this.redact),
        );
    } catch {
      this.internalErrors++;
    } finally {
      while (this.ended.length > this.keepEnded) this.forgetMission(this.ended.shift()!);
    }
  };

  /**
   * Lets a finished mission go: its nodes (under `mission/<id>` and `workers/<id>`), votes and
   * approvals, so a long-running daemon's hub holds the missions that matter, not every one it
   * ever ran. Clients get the removals in the next delta.
   */
  forgetMission(missionId: string): void {
    try {
      const root = `mission/${missionId}`;
      this.graph.removeSubtree(root);
      this.graph.removeSubtree(`workers/${missionId}`);
      this.votes.forget(root, missionId);
      this.missions.forget(missionId);
      this.approvals.forget(missionId);
      this.sessions.forgetUnder(root);
      this.sessions.forgetUnder(`workers/${missionId}`);
      // Its root actors too, or the on-demand inspection keeps its whole runtime alive.
      this.onDemand.forgetRoots([root, `workers/${missionId}`]);
    } catch {
      this.internalErrors++;
    }
  }

  /** Whether this hub has seen (and not let go) mission `id`. */
  hasMission(id: string): boolean {
    return this.missions.has(id);
  }

  /** The missions this hub has seen (its log's facts), newest first, filtered and paged. */
  missionList(query: MissionQuery = {}): MissionPage {
    return this.missions.list(query);
  }

  /** A MAKER runner's progress that `e` moved (a vote, a snapshot, its stage's start or end), on its vote panel. */
  private makerProgress(e: ObservedEvent): void {
    const moved = this.missions.maker(e);
    if (moved) this.votes.progress(moved.path, moved.progress);
  }

  /** Turn what changed since the last flush into a delta, and tell the subscribers; none when nothing changed. */
  flush(): InspectorDelta | undefined {
    try {
      const now = this.clock.now();
      for (const s of this.sessions.takeDirty()) {
        try {
          if (!this.graph.apply(s, this.sessions, now, (err) => this.message(err))) continue;
          // An anonymous actor (its id is its session id) has no stable path to keep: once it
          // ends normally its node goes, or a long run would keep one node per actor it ever ran.
          if (s.xid === s.sid && !s.errored && !s.kids?.size && !this.sessions.isNamed(s.sid))
            this.graph.removeOwned(s.path!, s.sid);
          this.sessions.forget(s);
        } catch {
          this.internalErrors++;
        }
      }
      if (
        !this.graph.pending &&
        this.pending.length === 0 &&
        !this.votes.pending &&
        !this.approvals.pending
      )
        return undefined;
      const votes = this.votes.take();
      const { upserts, removes, definitions } = this.graph.takeChanges();
      const delta: InspectorDelta = {
        type: 'delta',
        seq: ++this.seq,
        upserts,
        removes,
        events: this.pending,
        votes,
        dropped: this.dropped,
      };
      if (definitions) delta.definitions = definitions;
      const approvals = this.approvals.take();
      if (approvals) delta.approvals = approvals;
      for (const ev of this.pending) this.recent.push(ev);
      this.pending = [];
      this.history.push(delta);
      for (const l of this.listeners) {
        try {
          l(delta);
        } catch {
          this.internalErrors++;
        }
      }
      return delta;
    } catch {
      this.internalErrors++;
      return undefined;
    }
  }

  /**
   * The whole graph, and the newest events that fit in SNAPSHOT_EVENT_BYTES (older ones come
   * from the mission's log, `maestro replay`). Flushes first, so it covers everything seen so far: ignore deltas up to its `seq`. */
  snapshot(): InspectorSnapshot {
    this.flush();
    return {
      type: 'snapshot',
      seq: this.seq,
      nodes: this.graph.all(),
      events: newestWithin(this.recent.from(0), SNAPSHOT_EVENT_BYTES),
      votes: this.votes.all(),
      approvals: this.approvals.all(),
      definitions: this.graph.allDefinitions(),
      dropped: this.dropped,
    };
  }

  /** The deltas after `seq`; undefined when some are no longer kept (or `seq` is not one of ours): take a snapshot. */
  since(seq: number): InspectorDelta[] | undefined {
    return this.history.since(seq, this.seq);
  }

  subscribe(listener: (d: InspectorDelta) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Flush every `flushMs` on the clock until `stop()`. */
  start(): void {
    if (this.timer !== undefined) return;
    const tick = () => {
      this.timer = undefined;
      this.flush();
      // A listener may have called stop() during this flush.
      if (this.running) this.schedule(tick);
    };
    this.running = true;
    this.schedule(tick);
  }

  stop(): void {
    this.running = false;
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(tick: () => void): void {
    this.timer = this.clock.setTimeout(tick, this.flushMs);
    // The hub must not keep a finished process alive.
    (this.timer as { unref?: () => void } | undefined)?.unref?.();
  }

  /** A fact or a root name moved sessions whose nodes were already under other paths. */
  private rename(sid: string, path: string, parent?: string): void {
    for (const moved of this.sessions.name(sid, path, parent))
      this.graph.removeOwned(moved.path, moved.sid);
  }

  private event(
    type: string,
    path: string | undefined,
    data: Record<string, unknown>,
    at: number,
    text?: string,
  ): void {
    if (this.pending.length >= this.maxEventsPerFlush) {
      this.dropped++;
      return;
    }
    const ev: InspectorEvent = { seq: ++this.eventSeq, at, type, data };
    if (path !== undefined) ev.path = path;
    if (text !== undefined) ev.text = text;
    this.pending.push(ev);
  }

  private message(err: unknown): string {
    const text = this.redact(errorMessage(err));
    return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
  }
}
