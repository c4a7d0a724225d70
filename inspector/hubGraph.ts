/**
 * The hub's graph: nodes by stable path, and which of them changed or went away since the last
 * flush. A flush costs what changed, never the size of the graph: a pool of ten thousand
 * workers where one moved sends one node.
 */
import { DefinitionRegistry, logicInfo } from './definitions.js';
import type { Session, SessionTable } from './hubSessions.js';
import type { InspectorNode, StateDef } from './types.js';

const STATUSES = new Set(['active', 'done', 'error', 'stopped']);
/** A mission's status once its log says it ended. */
const OUTCOME_STATUS: Partial<
  Record<NonNullable<InspectorNode['outcome']>, InspectorNode['status']>
> = { succeeded: 'done', failed: 'error', stopped: 'stopped', suspended: 'stopped' };
const MISSION_SUPERVISOR = /^(mission\/[^/]+)\/supervisor$/;

/**
 * The mission `mission/<id>/supervisor` is the supervisor of: a mission's own supervisor is
 * drawn as the mission's node (the stages are the mission's children), not as a row of its own.
 */
export function missionOfSupervisor(path: string): string | undefined {
  return MISSION_SUPERVISOR.exec(path)?.[1];
}

/** A parent path as the page draws it: a mission's supervisor is its mission. */
const shownParent = (parent: string): string => missionOfSupervisor(parent) ?? parent;

interface NodeEntry {
  node: InspectorNode;
  /** `<parent>\0<logic>`, once counted towards its parent's pool. */
  poolKey?: string;
  /** Sent in a delta: clients know it, so its removal must be sent too. */
  sent?: boolean;
}

export interface GraphChanges {
  upserts: InspectorNode[];
  removes: string[];
  definitions?: Record<string, StateDef>;
}

export class NodeGraph {
  private readonly nodes = new Map<string, NodeEntry>();
  private readonly changed = new Set<string>();
  private readonly removed = new Set<string>();
  private readonly definitions = new DefinitionRegistry();
  private newDefinitions: Record<string, StateDef> | undefined;
  private readonly poolSizes = new Map<string, number>();

  constructor(
    private readonly poolThreshold: number,
    /** Told once when a parent's children of one logic first outnumber the threshold. */
    private readonly onPool: (parent: string, logic: string, children: number) => void,
  ) {}

  get size(): number {
    return this.nodes.size;
  }

  get pending(): boolean {
    return this.changed.size > 0 || this.removed.size > 0 || this.newDefinitions !== undefined;
  }

  has(path: string): boolean {
    return this.nodes.has(path);
  }

  /** The node at `path`, created with `init` when new. */
  node(
    path: string,
    init: Pick<InspectorNode, 'kind' | 'logic' | 'parent'>,
    now: number,
  ): InspectorNode {
    let entry = this.nodes.get(path);
    if (!entry) {
      const node: InspectorNode = {
        id: path,
        kind: init.kind,
        logic: init.logic,
        status: 'active',
        restarts: 0,
        updatedAt: now,
      };
      if (init.parent !== undefined) node.parent = shownParent(init.parent);
      entry = { node };
      this.nodes.set(path, entry);
      this.changed.add(path);
    }
    return entry.node;
  }

  get(path: string): InspectorNode | undefined {
    return this.nodes.get(path)?.node;
  }

  touch(path: string, now: number): void {
    const entry = this.nodes.get(path);
    if (!entry) return;
    entry.node.updatedAt = now;
    this.changed.add(path);
    // A mission's supervisor shows on its mission's node.
    const mission = missionOfSupervisor(path);
    if (mission !== undefined && this.nodes.has(mission)) this.changed.add(mission);
  }

  /** Sets facts the mission's log gives (its outcome, trace id, budget) on a node, made when new. */
  patch(
    path: string,
    init: Pick<InspectorNode, 'kind' | 'logic' | 'parent'>,
    fields: Partial<Pick<InspectorNode, 'outcome' | 'traceId' | 'budget'>>,
    now: number,
  ): void {
    const node = this.node(path, init, now);
    Object.assign(node, fields);
    this.touch(path, now);
  }

  /**
   * A mission ended (or was suspended): no node under it still runs. Nodes still active (their
   * end was not seen: no client watched, or they were stopped with the mission) take `status`,
   * and a machine that ended done shows its final state when its chart has just one.
   */
  settle(root: string, status: 'done' | 'stopped', now: number): void {
    for (const [p, entry] of this.nodes) {
      if (p !== root && !p.startsWith(`${root}/`)) continue;
      const node = entry.node;
      if (node.status === 'active') {
        node.status = status;
        this.touch(p, now);
      }
      if (node.status === 'done' && node.definition !== undefined) {
        const final = onlyFinalState(this.definitions.byKey.get(node.definition));
        if (final !== undefined && node.value !== final) {
          node.value = final;
          this.touch(p, now);
        }
      }
    }
  }

  /** A mission's end: its chart's state, when the chart has one by its outcome's name. */
  finalState(path: string, state: string, now: number): void {
    const node = this.get(path);
    const def =
      node?.definition === undefined ? undefined : this.definitions.byKey.get(node.definition);
    if (!node || !def?.states?.some((s) => s.key === state) || node.value === state) return;
    node.value = state;
    this.touch(path, now);
  }

  /**
   * A machine's definition known without inspection (the supervisor's fact carries the logic):
   * an actor that ended unseen is still drawn as its statechart.
   */
  describe(path: string, logic: unknown, now: number): void {
    const info = logicInfo(logic);
    if (!info.machine) return;
    const node = this.node(path, { kind: info.kind, logic: info.name }, now);
    const { key, added } = this.definitions.keyOf(info.machine);
    if (added) (this.newDefinitions ??= {})[key] = added;
    if (node.definition === key && node.logic === info.name) return;
    node.definition = key;
    node.logic = info.name;
    if (node.kind === 'worker') node.kind = info.kind;
    this.touch(path, now);
  }

  /**
   * A supervisor's fact: session `sid` now runs at `path`. Returns the previous session and the
   * new count when this is a new incarnation; it counts even when the supervisor restarted it
   * for a sibling's crash (rest_for_one), which the supervisor's own count does not.
   */
  incarnation(
    path: string,
    sid: string,
    kind: 'supervisor' | 'worker',
    parent: string | undefined,
    restarts: number,
    now: number,
  ): { previous: string; restarts: number } | undefined {
    const node = this.node(path, { kind, logic: kind, parent }, now);
    const previous = node.sessionId;
    const restarted = previous !== undefined && previous !== sid;
    node.restarts = restarted ? Math.max(restarts, node.restarts + 1) : restarts;
    node.sessionId = sid;
    node.status = 'active';
    this.touch(path, now);
    return restarted ? { previous, restarts: node.restarts } : undefined;
  }

  /** When the node at `path` (if any) last crashed, and why. */
  failed(path: string, lastError: NonNullable<InspectorNode['lastError']>, now: number): void {
    const node = this.get(path);
    if (!node) return;
    node.lastError = lastError;
    this.touch(path, now);
  }

  /**
   * How the node's current incarnation ended, known from a supervisor's decision: what the hub
   * has when XState inspection was not attached (no client watched) when the actor ended.
   */
  ended(
    path: string,
    status: 'done' | 'error' | 'stopped',
    sessionId: string | undefined,
    now: number,
  ): void {
    const node = this.get(path);
    if (node?.status !== 'active') return;
    if (sessionId !== undefined && node.sessionId !== undefined && node.sessionId !== sessionId)
      return;
    node.status = status;
    this.touch(path, now);
  }

  /** A remote worker joined (again: a restart) or left. */
  remote(path: string, parent: string, joined: boolean, now: number): void {
    const existed = this.nodes.has(path);
    const node = this.node(path, { kind: 'remote', logic: 'remote', parent }, now);
    if (!joined) node.status = 'stopped';
    else {
      if (existed && node.status !== 'active') node.restarts++;
      node.status = 'active';
    }
    this.touch(path, now);
  }

  /** Remove the node at `path` if it still belongs to session `sid`. */
  removeOwned(path: string, sid: string): void {
    const entry = this.nodes.get(path);
    if (entry?.node.sessionId !== sid) return;
    this.nodes.delete(path);
    this.changed.delete(path);
    if (entry.sent) this.removed.add(path);
    if (entry.poolKey !== undefined)
      this.poolSizes.set(entry.poolKey, (this.poolSizes.get(entry.poolKey) ?? 1) - 1);
  }

  /** Remove the node at `path` and every node under it (a finished mission the hub lets go). Returns how many went. */
  removeSubtree(path: string): number {
    let n = 0;
    for (const [p, entry] of this.nodes) {
      if (p !== path && !p.startsWith(`${path}/`)) continue;
      this.nodes.delete(p);
      this.changed.delete(p);
      if (entry.sent) this.removed.add(p);
      if (entry.poolKey !== undefined)
        this.poolSizes.set(entry.poolKey, (this.poolSizes.get(entry.poolKey) ?? 1) - 1);
      n++;
    }
    return n;
  }

  /** A session changed: bring its node up to date. Returns whether the session has ended. */
  apply(
    s: Session,
    sessions: SessionTable,
    now: number,
    message: (err: unknown) => string,
  ): boolean {
    const info = logicInfo(s.logic);
    const path = sessions.resolve(s);
    const parent = sessions.parentPathOf(s);
    const snap = s.snapshot as { status?: unknown; value?: unknown } | undefined;
    const status: InspectorNode['status'] = s.errored
      ? 'error'
      : snap && STATUSES.has(snap.status as string)
        ? (snap.status as InspectorNode['status'])
        : 'active';
    const node = this.node(path, { kind: info.kind, logic: info.name, parent }, now);
    if (sessions.isSuperseded(s, node.sessionId)) {
      // An older incarnation ending after the new one started: only its crash is news.
      if (s.errored) {
        node.lastError = { at: now, message: message(s.error) };
        this.touch(path, now);
      }
      return status !== 'active';
    }
    let changed =
      node.sessionId !== s.sid ||
      node.status !== status ||
      node.kind !== info.kind ||
      node.logic !== info.name;
    node.sessionId = s.sid;
    node.status = status;
    node.kind = info.kind;
    node.logic = info.name;
    if (parent !== undefined && node.parent !== shownParent(parent)) {
      node.parent = shownParent(parent);
      changed = true;
    }
    if (info.machine) {
      const { key, added } = this.definitions.keyOf(info.machine);
      if (added) (this.newDefinitions ??= {})[key] = added;
      if (node.definition !== key) changed = true;
      node.definition = key;
      if (snap && 'value' in snap && !sameValue(node.value, snap.value)) {
        node.value = snap.value;
        changed = true;
      }
    }
    if (s.errored) {
      node.lastError = { at: now, message: message(s.error) };
      changed = true;
    }
    const entry = this.nodes.get(path)!;
    if (entry.poolKey === undefined && node.parent !== undefined)
      this.countPool(entry, node.parent, info.name);
    if (changed) this.touch(path, now);
    return status !== 'active';
  }

  /** What changed since the last call, as copies. */
  takeChanges(): GraphChanges {
    const upserts: InspectorNode[] = [];
    for (const p of this.changed) {
      const entry = this.nodes.get(p);
      if (!entry || missionOfSupervisor(p) !== undefined) continue;
      entry.sent = true;
      upserts.push(this.shown(entry.node));
    }
    const out: GraphChanges = {
      upserts,
      removes: [...this.removed].filter((p) => !this.nodes.has(p)),
    };
    if (this.newDefinitions) out.definitions = this.newDefinitions;
    this.changed.clear();
    this.removed.clear();
    this.newDefinitions = undefined;
    return out;
  }

  /** Every node, as copies. */
  all(): InspectorNode[] {
    const out: InspectorNode[] = [];
    for (const [p, e] of this.nodes)
      if (missionOfSupervisor(p) === undefined) out.push(this.shown(e.node));
    return out;
  }

  /**
   * A mission resumed (a daemon's restart, a suspension's end): it runs again, and the children
   * its new runtime starts are first incarnations there, not restarts.
   */
  reopen(root: string, now: number): void {
    for (const [p, entry] of this.nodes) {
      if (p !== root && !p.startsWith(`${root}/`)) continue;
      delete entry.node.sessionId;
      if (p === root) entry.node.status = 'active';
      this.touch(p, now);
    }
  }

  /** A copy of `node` as clients get it: a mission's node carries its supervisor's facts. */
  private shown(node: InspectorNode): InspectorNode {
    const copy = { ...node };
    if (node.kind !== 'mission') return copy;
    // Its end as its log says it: the machine's own final snapshot is `done` even when it failed.
    const ended = node.outcome === undefined ? undefined : OUTCOME_STATUS[node.outcome];
    if (ended !== undefined) copy.status = ended;
    const sup = this.nodes.get(`${node.id}/supervisor`)?.node;
    if (sup) {
      copy.supervisor = { status: sup.status, restarts: sup.restarts };
      if (sup.lastError) copy.supervisor.lastError = sup.lastError;
    }
    return copy;
  }

  allDefinitions(): Record<string, StateDef> {
    return Object.fromEntries(this.definitions.byKey);
  }

  private countPool(entry: NodeEntry, parent: string, logic: string): void {
    entry.poolKey = `${parent}\u0000${logic}`;
    const n = (this.poolSizes.get(entry.poolKey) ?? 0) + 1;
    this.poolSizes.set(entry.poolKey, n);
    if (n === this.poolThreshold + 1) this.onPool(parent, logic, n);
  }
}

/** State values are strings or small objects; XState makes a new object only on a transition. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The machine's one top-level final state, when it has exactly one (its end is then known). */
function onlyFinalState(def: StateDef | undefined): string | undefined {
  const finals = (def?.states ?? []).filter((s) => s.type === 'final');
  return finals.length === 1 ? finals[0]!.key : undefined;
}
