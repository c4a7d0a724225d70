/**
 * XState inspection attached to an actor system only while someone watches. Building an
 * inspection event for every transition, action and snapshot costs a MAKER step several percent
 * even when the callback does nothing, and the hub's value is in what it shows. So the hub gets
 * lifecycle facts and mission events always (cheap), and XState's inspection stream only while a
 * client is connected; on attach it walks the live tree once so the graph is current at once.
 */
import type { AnyActorRef, InspectionEvent, Subscription } from 'xstate';

interface Inspectable {
  sessionId: string;
  system: { inspect(observer: (e: InspectionEvent) => void): Subscription };
  getSnapshot(): unknown;
}

export class OnDemandInspection {
  private readonly roots = new Set<Inspectable>();
  private readonly subs = new Map<Inspectable, Subscription>();
  /** Roots by session id: the stable path each was named, and what forgets it. */
  private readonly named = new Map<string, string>();
  private readonly forgets = new Map<string, () => void>();
  private watchers = 0;

  constructor(private readonly inspect: (e: InspectionEvent) => void) {}

  /**
   * A root actor of a system to inspect while watched; the returned function forgets it (its
   * mission ended), so that nothing here keeps a finished mission's actors alive.
   */
  addRoot(root: AnyActorRef): () => void {
    const r = root as unknown as Inspectable;
    this.roots.add(r);
    if (this.watchers > 0) this.attach(r);
    const forget = () => {
      this.roots.delete(r);
      this.subs.get(r)?.unsubscribe();
      this.subs.delete(r);
      this.forgets.delete(r.sessionId);
      this.named.delete(r.sessionId);
    };
    this.forgets.set(r.sessionId, forget);
    return forget;
  }

  /** The stable path root session `sid` is drawn at (`mission/<id>`, `workers/<id>`). */
  nameRoot(sid: string, path: string): void {
    this.named.set(sid, path);
  }

  /** Forgets the roots named at these paths (a mission the hub lets go), added or not. */
  forgetRoots(paths: readonly string[]): void {
    for (const [sid, path] of [...this.named]) {
      if (!paths.includes(path)) continue;
      this.named.delete(sid);
      this.forgets.get(sid)?.();
    }
  }

  get watching(): boolean {
    return this.watchers > 0;
  }

  /** Someone watches until the returned function is called. */
  watch(): () => void {
    if (this.watchers++ === 0) for (const r of this.roots) this.attach(r);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.watchers > 0) return;
      for (const s of this.subs.values()) s.unsubscribe();
      this.subs.clear();
    };
  }

  private attach(root: Inspectable): void {
    if (this.subs.has(root)) return;
    this.walk(root as unknown as AnyActorRef, root.sessionId);
    this.subs.set(root, root.system.inspect(this.inspect));
  }

  /** What the hub would have seen: each live actor (parents first) and its current snapshot. */
  private walk(ref: AnyActorRef, rootId: string): void {
    const snapshot = ref.getSnapshot() as { children?: Record<string, AnyActorRef> } | undefined;
    this.inspect({ type: '@xstate.actor', actorRef: ref, rootId } as InspectionEvent);
    this.inspect({
      type: '@xstate.snapshot',
      actorRef: ref,
      rootId,
      snapshot,
      event: { type: 'xstate.init' },
    } as unknown as InspectionEvent);
    for (const child of Object.values(snapshot?.children ?? {}))
      if (child) this.walk(child, rootId);
  }
}
