/**
 * The XState side of the hub: one record per live actor (session), the latest snapshot of each
 * (coalesced: a thousand snapshots between flushes are one), and the stable path each maps to.
 * Recording is all the inspect callback does; paths are resolved at flush time, once the
 * supervisors' lifecycle facts (which arrive after the actor exists) are in. A session ends when
 * a flush sees it no longer active; it is then forgotten, so memory follows the live actors.
 */
import { logicInfo } from './definitions.js';

export interface Session {
  readonly sid: string;
  /** The XState id, relative to the parent. */
  readonly xid: string;
  /** Registration order: a later incarnation at the same path wins the node. */
  readonly order: number;
  readonly parentSid?: string;
  readonly parent?: Session;
  logic: unknown;
  snapshot: unknown;
  /** Set by `xstate.error.actor.*`: a crashed machine emits no snapshot of its own. */
  errored: boolean;
  error?: unknown;
  dirty: boolean;
  /** Resolved at the first flush that sees it; undone when a fact moves it. */
  path?: string;
  kids?: Set<Session>;
}

/** A path given by a supervisor's fact or by `setRootPath`, with the fact's parent. */
interface Named {
  path: string;
  parent?: string;
}

/**
 * Names are forgotten with their sessions; this bounds the names of sessions never seen (a fact
 * from a system the hub does not inspect). Evicting the name of a live session that already
 * has its node costs nothing: its path is resolved once and kept on the session.
 */
const MAX_PENDING_NAMES = 100_000;

export class SessionTable {
  readonly live = new Map<string, Session>();
  private readonly named = new Map<string, Named>();
  private dirty: Session[] = [];
  private registered = 0;

  /** `@xstate.actor`: the actor exists (its snapshot does not yet). */
  register(ref: {
    sessionId?: unknown;
    id?: unknown;
    _parent?: { sessionId?: unknown };
    logic?: unknown;
  }): void {
    const sid = ref.sessionId;
    if (typeof sid !== 'string') return;
    const parentSid = ref._parent?.sessionId;
    const parent = typeof parentSid === 'string' ? this.live.get(parentSid) : undefined;
    const s: Session = {
      sid,
      xid: typeof ref.id === 'string' ? ref.id : sid,
      order: ++this.registered,
      ...(typeof parentSid === 'string' && { parentSid }),
      ...(parent && { parent }),
      logic: ref.logic,
      snapshot: undefined,
      errored: false,
      dirty: true,
    };
    this.live.set(sid, s);
    if (parent) (parent.kids ??= new Set()).add(s);
    this.dirty.push(s);
  }

  /** `@xstate.snapshot`: keep the latest only. The hot path: a lookup and two stores. */
  snapshot(sid: string, snapshot: unknown): void {
    const s = this.live.get(sid);
    if (s === undefined) return;
    s.snapshot = snapshot;
    if (!s.dirty) {
      s.dirty = true;
      this.dirty.push(s);
    }
  }

  crashed(sid: unknown, error: unknown): void {
    const s = typeof sid === 'string' ? this.live.get(sid) : undefined;
    if (s === undefined) return;
    s.errored = true;
    s.error = error;
    this.touch(s);
  }

  touch(s: Session): void {
    if (!s.dirty) {
      s.dirty = true;
      this.dirty.push(s);
    }
  }

  /** The sessions changed since the last call. */
  takeDirty(): Session[] {
    const out = this.dirty;
    this.dirty = [];
    for (const s of out) s.dirty = false;
    return out;
  }

  /**
   * Name a session's path. Returns the sessions (it and its descendants) whose path was already
   * resolved to something else: the caller removes their old nodes before they are re-resolved.
   */
  name(sid: string, path: string, parent?: string): { sid: string; path: string }[] {
    this.named.set(sid, parent === undefined ? { path } : { path, parent });
    if (this.named.size > MAX_PENDING_NAMES) this.named.delete(this.named.keys().next().value!);
    const s = this.live.get(sid);
    if (s?.path === undefined || s.path === path) return [];
    const moved: { sid: string; path: string }[] = [];
    const unresolve = (x: Session) => {
      if (x.path === undefined) return;
      moved.push({ sid: x.sid, path: x.path });
      x.path = undefined;
      this.touch(x);
      for (const k of x.kids ?? []) unresolve(k);
    };
    unresolve(s);
    return moved;
  }

  /** The stable path: the named one, else the parent's path and the XState id, else `<logic>/<session>`. */
  resolve(s: Session): string {
    if (s.path !== undefined) return s.path;
    const named = this.named.get(s.sid);
    let path: string;
    if (named) path = named.path;
    else if (s.parent) path = `${this.resolve(s.parent)}/${s.xid}`;
    else path = `${logicInfo(s.logic).name}/${s.sid}`;
    s.path = path;
    return path;
  }

  isNamed(sid: string): boolean {
    return this.named.has(sid);
  }

  /** The node's parent: the XState parent's path, else the fact's. */
  parentPathOf(s: Session): string | undefined {
    return s.parent ? this.resolve(s.parent) : this.named.get(s.sid)?.parent;
  }

  /** Whether `s` is an older incarnation than the live session `ownerSid` at the same path. */
  isSuperseded(s: Session, ownerSid: string | undefined): boolean {
    if (ownerSid === undefined || ownerSid === s.sid) return false;
    const owner = this.live.get(ownerSid);
    return owner !== undefined ? owner.order > s.order : this.named.has(ownerSid);
  }

  /**
   * Everything under a stable path (a mission the daemon let go): the names of its sessions,
   * which childStarted facts give whether or not anyone watched, and its sessions.
   */
  forgetUnder(root: string): void {
    const under = (path: string | undefined) =>
      path !== undefined && (path === root || path.startsWith(`${root}/`));
    for (const [sid, n] of this.named) if (under(n.path)) this.named.delete(sid);
    for (const s of this.live.values()) if (under(s.path)) this.forget(s);
  }

  /** A session that ended: forget it, keeping only what its live descendants need (its path). */
  forget(s: Session): void {
    this.live.delete(s.sid);
    this.named.delete(s.sid);
    s.parent?.kids?.delete(s);
    s.logic = undefined;
    s.snapshot = undefined;
    s.error = undefined;
  }
}
