/**
 * Budgets are limits like restart intensity: tokens, money, wall time and samples (model calls).
 * Each supervisor and worker has a node; a charge counts into the node and every ancestor, and
 * `check()` refuses work when the node or any ancestor is spent. Nodes outlive restarts (a
 * restarted child gets its old node back), because a restart cannot give back what was used.
 *
 * A model call's tokens and cost are known only when it returns, so a call first `reserve()`s
 * its worst case (`worstCaseOfCall`) and settles on its real usage: calls in flight hold their
 * reservations, and one whose worst case would pass a limit is refused before it starts, so
 * however many run in parallel they cannot spend past a limit together.
 *
 * Wall time is machine time: while the tree is `pause()`d (a mission waiting for a person at an
 * approval gate, which has its own timeout) its clock stands still for every node of the tree.
 */
import { BudgetExceededError, type BudgetKind } from '../kernel/errors.js';
import type { Clock } from '../kernel/clock.js';
import type { Prices } from '../config/providers.js';

export interface BudgetLimits {
  tokens?: number;
  costUsd?: number;
  wallTimeMs?: number;
  samples?: number;
}

export interface BudgetUsage {
  tokens: number;
  costUsd: number;
  samples: number;
  wallTimeMs: number;
}

export interface Charge {
  tokens?: number;
  costUsd?: number;
  samples?: number;
}

/** A call's hold on its worst case, until it settles on what it really used. */
export interface Reservation {
  readonly charge: Readonly<Required<Charge>>;
  /** Gives back the reservation and charges what the call used (nothing, for a call that failed). Once. */
  settle(used?: Charge): void;
}

/**
 * Refused before the call: its worst case, on top of what was used and what calls in flight
 * hold, would pass a limit.
 */
export class BudgetReservationError extends BudgetExceededError {
  override name = 'BudgetReservationError';
  constructor(
    node: string,
    budget: BudgetKind,
    limit: number,
    used: number,
    readonly reserved: number,
    readonly wanted: number,
  ) {
    super(node, budget, limit, used);
    this.message = `budget_exceeded: ${budget} at '${node}' (used ${round(used)}, ${round(reserved)} held by calls in flight, this call may take ${round(wanted)}: more than ${round(limit)})`;
  }

  /** It would fit once the calls in flight settle (they may use far less than their worst case). */
  get fitsLater(): boolean {
    return this.reserved > 0 && this.used + this.wanted <= this.limit * (1 + 1e-12);
  }
}

/** Tokens the chat framing adds to each message (role markers), on top of its text. */
export const MESSAGE_OVERHEAD_TOKENS = 8;

/**
 * The most a call can spend: every byte of its messages a token (no byte-level BPE tokenizer
 * yields more tokens than bytes), plus the framing, plus `maxTokens` of answer, priced at the
 * provider's prices. With no `maxTokens` the answer has no bound: only the prompt is reserved.
 */
export function worstCaseOfCall(call: {
  messages: readonly string[];
  maxTokens?: number;
  prices?: Prices;
}): Required<Charge> {
  const prompt = call.messages.reduce(
    (n, m) => n + Buffer.byteLength(m, 'utf8') + MESSAGE_OVERHEAD_TOKENS,
    0,
  );
  const answer = call.maxTokens ?? 0;
  const p = call.prices ?? { inputPerMTok: 0, outputPerMTok: 0 };
  return {
    samples: 1,
    tokens: prompt + answer,
    costUsd: (prompt / 1e6) * p.inputPerMTok + (answer / 1e6) * p.outputPerMTok,
  };
}

/** While a wall-time recheck waits on a paused tree, it waits at least this long (it cannot run out meanwhile). */
export const PAUSED_RECHECK_MS = 1000;

/** The tree's machine time: the clock less the time it was paused. Shared by every node of one tree. */
class MachineTime {
  private pauses = 0;
  private pausedAt = 0;
  private excludedMs = 0;

  constructor(readonly clock: Clock) {}

  get paused(): boolean {
    return this.pauses > 0;
  }

  now(): number {
    const t = this.clock.now();
    return t - this.excludedMs - (this.pauses > 0 ? t - this.pausedAt : 0);
  }

  pause(): void {
    if (this.pauses++ === 0) this.pausedAt = this.clock.now();
  }

  resume(): void {
    if (this.pauses === 0) return;
    if (--this.pauses === 0) this.excludedMs += this.clock.now() - this.pausedAt;
  }
}

type Amounts = { tokens: number; costUsd: number; samples: number };
const KINDS = ['tokens', 'costUsd', 'samples'] as const;

export class BudgetNode {
  private used: Amounts = { tokens: 0, costUsd: 0, samples: 0 };
  /** What calls in flight under this node hold (tokens and cost; a sample is spent when reserved). */
  private held: Amounts = { tokens: 0, costUsd: 0, samples: 0 };
  /** Calls waiting for room that holds at or under this node may give back. */
  private readonly waiters = new Set<() => void>();
  private readonly startedAt: number;
  private readonly kids = new Map<string, BudgetNode>();
  /** Whether any limit is set: most nodes have none, and checking is on every model call's path. */
  private readonly limited: boolean;
  private readonly time: MachineTime;

  constructor(
    readonly path: string,
    readonly limits: BudgetLimits,
    clock: Clock,
    readonly parent?: BudgetNode,
    elapsedBeforeMs = 0,
  ) {
    this.time = parent?.time ?? new MachineTime(clock);
    this.startedAt = this.time.now() - elapsedBeforeMs;
    this.limited = Object.values(limits).some((v) => v !== undefined);
  }

  /**
   * `elapsedBeforeMs`: wall time already used (a resumed mission's time before its daemon
   * stopped), so its wall-time budget goes on rather than starting again. Time while nothing
   * ran (the daemon down) is not counted.
   */
  static root(path: string, limits: BudgetLimits, clock: Clock, elapsedBeforeMs = 0): BudgetNode {
    return new BudgetNode(path, limits, clock, undefined, elapsedBeforeMs);
  }

  /** The child's node; the same one on every restart. */
  child(name: string, limits: BudgetLimits = {}): BudgetNode {
    let node = this.kids.get(name);
    if (!node) {
      node = new BudgetNode(`${this.path}/${name}`, limits, this.time.clock, this);
      this.kids.set(name, node);
    }
    return node;
  }

  /** Forget a child's node (a temporary child that ended); its usage stays counted above. */
  release(name: string): void {
    this.kids.delete(name);
  }

  charge(c: Charge): void {
    for (let n: BudgetNode | undefined = this; n; n = n.parent) {
      n.used.tokens += c.tokens ?? 0;
      n.used.costUsd += c.costUsd ?? 0;
      n.used.samples += c.samples ?? 0;
    }
  }

  /**
   * Holds `worst` (a call's worst case) in this node and every ancestor, or throws a
   * BudgetReservationError naming the nearest node whose limit it would pass, holding nothing.
   * The sample is spent at once (a call made is a sample, whatever it returns).
   */
  reserve(worst: Charge): Reservation {
    const want: Amounts = {
      tokens: worst.tokens ?? 0,
      costUsd: worst.costUsd ?? 0,
      samples: worst.samples ?? 0,
    };
    for (let n: BudgetNode | undefined = this; n; n = n.parent) {
      if (!n.limited) continue;
      for (const kind of KINDS) {
        const limit = n.limits[kind];
        if (limit === undefined || want[kind] === 0) continue;
        if (n.used[kind] + n.held[kind] + want[kind] > limit * (1 + 1e-12)) {
          throw new BudgetReservationError(
            n.path,
            kind,
            limit,
            n.used[kind],
            n.held[kind],
            want[kind],
          );
        }
      }
    }
    this.hold(want.tokens, want.costUsd);
    this.charge({ samples: want.samples });
    let settled = false;
    return {
      charge: { ...want },
      settle: (used: Charge = {}) => {
        if (settled) return;
        settled = true;
        this.hold(-want.tokens, -want.costUsd);
        this.charge({ tokens: used.tokens, costUsd: used.costUsd });
        this.wakeWaiters();
      },
    };
  }

  /**
   * `reserve()`, waiting while it would fit once the calls in flight settle: a shortage only of
   * what others hold is temporary, so the call queues behind them instead of failing the stage.
   * Refused at once (BudgetReservationError) when it cannot fit even with nothing held, and with
   * the signal's reason when aborted while it waits.
   */
  async reserveWhenRoom(worst: Charge, signal?: AbortSignal): Promise<Reservation> {
    for (;;) {
      signal?.throwIfAborted();
      try {
        return this.reserve(worst);
      } catch (err) {
        if (!(err instanceof BudgetReservationError) || !err.fitsLater) throw err;
        await this.nextSettle(signal);
      }
    }
  }

  /** Resolves at the next settle of a call under this node or any ancestor (or on abort). */
  private nextSettle(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        signal?.removeEventListener('abort', wake);
        for (let n: BudgetNode | undefined = this; n; n = n.parent) n.waiters.delete(wake);
        resolve();
      };
      for (let n: BudgetNode | undefined = this; n; n = n.parent) n.waiters.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  /** What calls in flight hold now, at this node (its own and its descendants' calls). */
  reserved(): { tokens: number; costUsd: number } {
    return { tokens: this.held.tokens, costUsd: this.held.costUsd };
  }

  usage(): BudgetUsage {
    return { ...this.used, wallTimeMs: this.time.now() - this.startedAt };
  }

  /** Stops the wall-time clock of the whole tree (every node, up to the root) until `resume()`; pauses nest. */
  pause(): void {
    this.time.pause();
  }

  resume(): void {
    this.time.resume();
  }

  get paused(): boolean {
    return this.time.paused;
  }

  /** The first spent budget on the way from this node to the root, or undefined. */
  exceeded(): BudgetExceededError | undefined {
    for (let n: BudgetNode | undefined = this; n; n = n.parent) {
      if (!n.limited) continue;
      const e = n.ownExceeded();
      if (e) return e;
    }
    return undefined;
  }

  /** Throws BudgetExceededError when work must not start. */
  check(): void {
    const e = this.exceeded();
    if (e) throw e;
  }

  /**
   * Ms until the nearest wall-time limit on the way to the root, or undefined if none. While
   * the tree is paused no limit can be reached, so a timer armed on it waits at least
   * PAUSED_RECHECK_MS instead of spinning on a few ms left.
   */
  wallTimeRemainingMs(): number | undefined {
    let min: number | undefined;
    const now = this.time.now();
    for (let n: BudgetNode | undefined = this; n; n = n.parent) {
      if (n.limits.wallTimeMs === undefined) continue;
      const left = n.limits.wallTimeMs - (now - n.startedAt);
      min = min === undefined ? left : Math.min(min, left);
    }
    return min !== undefined && this.time.paused ? Math.max(min, PAUSED_RECHECK_MS) : min;
  }

  /** Room may have come free on this node and every ancestor: whoever waits there tries again. */
  private wakeWaiters(): void {
    for (let n: BudgetNode | undefined = this; n; n = n.parent) {
      if (n.waiters.size === 0) continue;
      for (const wake of [...n.waiters]) wake();
    }
  }

  private hold(tokens: number, costUsd: number): void {
    if (tokens === 0 && costUsd === 0) return;
    for (let n: BudgetNode | undefined = this; n; n = n.parent) {
      n.held.tokens += tokens;
      n.held.costUsd += costUsd;
    }
  }

  private ownExceeded(): BudgetExceededError | undefined {
    const u = this.usage();
    const checks: [BudgetKind, number | undefined, number][] = [
      ['tokens', this.limits.tokens, u.tokens],
      ['costUsd', this.limits.costUsd, u.costUsd],
      ['samples', this.limits.samples, u.samples],
      ['wallTimeMs', this.limits.wallTimeMs, u.wallTimeMs],
    ];
    for (const [kind, limit, used] of checks) {
      if (limit !== undefined && used >= limit)
        return new BudgetExceededError(this.path, kind, limit, used);
    }
    return undefined;
  }
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
