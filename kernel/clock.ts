/**
 * Time, injected. Supervisors, backoff, budgets and simulated models read the time and set
 * timers only through a `Clock`, so tests drive time with `ManualClock` instead of sleeping.
 * The shape is a superset of XState's clock (`setTimeout`/`clearTimeout`), so the same object is
 * passed to `createActor(logic, { clock })` and XState's delayed events follow it too.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

interface Timer {
  id: number;
  at: number;
  fn: (...args: unknown[]) => void;
}

/** A clock that moves only when told to. Timers fire in time order, ties in creation order. */
export class ManualClock implements Clock {
  private time: number;
  private nextId = 1;
  private timers: Timer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: (...args: unknown[]) => void, ms: number): number {
    const id = this.nextId++;
    this.timers.push({ id, at: this.time + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(id: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.length;
  }

  /** Move time forward by `ms`, firing every timer that falls due, including ones set meanwhile. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.nextDue(until);
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.fn();
    }
    this.time = until;
  }

  private nextDue(until: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) {
      if (t.at <= until && (!best || t.at < best.at || (t.at === best.at && t.id < best.id)))
        best = t;
    }
    return best;
  }
}
