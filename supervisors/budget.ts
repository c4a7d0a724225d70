/**
 * Budgets are limits like restart intensity: tokens, money, wall time and samples (model calls).
 * Each supervisor and worker has a node; a charge counts into the node and every ancestor, and
 * `check()` refuses work when the node or any ancestor is spent. Nodes outlive restarts (a
 * restarted child gets its old node back), because a restart cannot give back what was used.
 */
import { BudgetExceededError, type BudgetKind } from '../config/errors.js';
import type { Clock } from '../config/clock.js';

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

export class BudgetNode {
  private used = { tokens: 0, costUsd: 0, samples: 0 };
  private readonly startedAt: number;
  private readonly kids = new Map<string, BudgetNode>();
  /** Whether any limit is set: most nodes have none, and checking is on every model call's path. */
  private readonly limited: boolean;

  constructor(
    readonly path: string,
    readonly limits: BudgetLimits,
    private readonly clock: Clock,
    readonly parent?: BudgetNode,
    elapsedBeforeMs = 0,
  ) {
    this.startedAt = clock.now() - elapsedBeforeMs;
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
      node = new BudgetNode(`${this.path}/${name}`, limits, this.clock, this);
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

  usage(): BudgetUsage {
    return { ...this.used, wallTimeMs: this.clock.now() - this.startedAt };
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

  /** Ms until the nearest wall-time limit on the way to the root, or undefined if none. */
  wallTimeRemainingMs(): number | undefined {
    let min: number | undefined;
    for (let n: BudgetNode | undefined = this; n; n = n.parent) {
      if (n.limits.wallTimeMs === undefined) continue;
      const left = n.limits.wallTimeMs - (this.clock.now() - n.startedAt);
      min = min === undefined ? left : Math.min(min, left);
    }
    return min;
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
      if (limit !== undefined && used >= limit) return new BudgetExceededError(this.path, kind, limit, used);
    }
    return undefined;
  }
}
