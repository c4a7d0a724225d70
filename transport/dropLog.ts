/**
 * Messages dropped for being malformed, counted per subject and logged at most once per
 * interval with the count since the last line: a flood of garbage costs a counter, not a
 * synchronous log line per message (which is what let a flood starve the calls behind it).
 */
import type { Logger } from 'pino';

export class DropLog {
  private readonly pending = new Map<string, { count: number; reason: string }>();
  private lastAt = -Infinity;
  total = 0;

  constructor(
    private readonly logger: Pick<Logger, 'warn'> | undefined,
    private readonly message: string,
    private readonly everyMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** One more dropped on `subject`; logs the counts so far when the interval has passed. */
  drop(subject: string, reason: string): void {
    this.total++;
    const p = this.pending.get(subject);
    if (p) p.count++;
    else if (this.pending.size < 1000) this.pending.set(subject, { count: 1, reason });
    const t = this.now();
    if (t - this.lastAt < this.everyMs) return;
    this.lastAt = t;
    for (const [s, { count, reason: r }] of this.pending)
      this.logger?.warn({ subject: s, dropped: count, reason: r, total: this.total }, this.message);
    this.pending.clear();
  }
}
