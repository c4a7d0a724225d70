/**
 * Stopping children, as OTP's shutdown/2 does it: brutal_kill at once; a timeout asks the child
 * to stop and kills it (reported as shutdown_error killed) if it has not ended in time; infinity
 * waits. A stop of several children (simple_one_for_one's all at once) waits for all of them.
 * One kill timer per distinct timeout, not one per child: XState scans every pending delayed event
 * of the system whenever an actor stops, so 10,000 per-child timers made a pool's shutdown
 * quadratic (about 15 s).
 */
import type { DecisionRecord, Effect, ErrorContext } from './effects.js';
import type { ChildRecord } from './childRecord.js';

/** What the supervisor core lends the stopping of its children. */
export interface StopHost {
  readonly children: ReadonlyMap<string, ChildRecord>;
  emit(e: Effect): void;
  /** The child's actor is gone: forget its ref, mark it terminated. */
  untrack(rec: ChildRecord): void;
  report(
    errorContext: ErrorContext,
    reason: string,
    rec: ChildRecord,
    action: DecisionRecord['action'],
  ): void;
  timerKey(prefix: string): string;
}

export class ChildStops {
  private waiting: { remaining: Set<string>; kills: Map<string, string[]> } | null = null;

  constructor(private readonly host: StopHost) {}

  /** A stop is under way: the supervisor's other operations wait for it. */
  get busy(): boolean {
    return this.waiting !== null;
  }

  run(ids: readonly string[]): void {
    const remaining = new Set<string>();
    const byTimeout = new Map<number, string[]>();
    for (const id of ids) {
      const rec = this.host.children.get(id);
      if (rec?.status !== 'running' || rec.refId === undefined) continue;
      if (rec.spec.shutdown === 'brutal_kill') {
        this.host.emit({ type: 'kill', refId: rec.refId });
        this.host.untrack(rec);
        continue;
      }
      rec.status = 'stopping';
      remaining.add(id);
      this.host.emit({ type: 'askShutdown', refId: rec.refId });
      if (typeof rec.spec.shutdown === 'number') {
        const group = byTimeout.get(rec.spec.shutdown) ?? [];
        if (group.length === 0) byTimeout.set(rec.spec.shutdown, group);
        group.push(id);
      }
    }
    const kills = new Map<string, string[]>();
    for (const [delayMs, group] of byTimeout) {
      const key = this.host.timerKey('kill');
      kills.set(key, group);
      this.host.emit({ type: 'timer', key, delayMs });
    }
    if (remaining.size > 0) this.waiting = { remaining, kills };
  }

  /** A shutdown timeout ran out: kill whoever of its children is still stopping. */
  killTimer(key: string): void {
    const ids = this.waiting?.kills.get(key);
    this.waiting?.kills.delete(key);
    for (const id of ids ?? []) {
      const rec = this.host.children.get(id);
      if (rec?.status !== 'stopping' || rec.refId === undefined) continue;
      this.host.report('shutdown_error', 'killed', rec, 'kill');
      this.host.emit({ type: 'kill', refId: rec.refId });
      this.host.untrack(rec);
      this.stopped(id);
    }
  }

  /** A child being stopped has ended. */
  stopped(id: string): void {
    if (!this.waiting) return;
    this.waiting.remaining.delete(id);
    if (this.waiting.remaining.size > 0) return;
    for (const key of this.waiting.kills.keys()) this.host.emit({ type: 'cancel', key });
    this.waiting = null;
  }
}
