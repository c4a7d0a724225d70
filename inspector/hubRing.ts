/** A fixed-capacity ring: pushing past capacity overwrites the oldest item. O(1) push. */
export class Ring<T> {
  private readonly buf: T[] = [];
  private start = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.buf.length;
  }

  push(item: T): void {
    if (this.capacity <= 0) return;
    if (this.buf.length < this.capacity) this.buf.push(item);
    else {
      this.buf[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** The i-th item from the oldest. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.buf.length) return undefined;
    return this.buf[(this.start + i) % this.buf.length];
  }

  /** Items from the i-th oldest to the newest. */
  from(i: number): T[] {
    const out: T[] = [];
    for (let j = Math.max(0, i); j < this.buf.length; j++)
      out.push(this.buf[(this.start + j) % this.buf.length]!);
    return out;
  }
}

/**
 * The last deltas, for clients that resync: at most `capacity` of them, and at most `maxWeight`
 * in all by `weightOf` (the events they carry), so a burst of large deltas cannot hold the
 * memory of hundreds of flushes. A client asking for more than is kept gets a snapshot.
 */
export class DeltaHistory<D extends { seq: number }> {
  private readonly kept: D[] = [];
  private weight = 0;

  constructor(
    readonly capacity: number,
    private readonly maxWeight = Number.POSITIVE_INFINITY,
    private readonly weightOf: (delta: D) => number = () => 1,
  ) {}

  push(delta: D): void {
    if (this.capacity <= 0) return;
    this.kept.push(delta);
    this.weight += this.weightOf(delta);
    while (
      this.kept.length > this.capacity ||
      (this.weight > this.maxWeight && this.kept.length > 1)
    )
      this.weight -= this.weightOf(this.kept.shift()!);
  }

  /** The deltas after `seq` up to `current`; undefined when some are no longer kept or `seq` is not one of ours. */
  since(seq: number, current: number): D[] | undefined {
    if (!Number.isInteger(seq) || seq < 0 || seq > current) return undefined;
    if (seq === current) return [];
    const oldest = this.kept[0];
    if (oldest === undefined || seq < oldest.seq - 1) return undefined;
    return this.kept.slice(seq + 1 - oldest.seq);
  }
}

/**
 * What a snapshot's event list may weigh, serialized: a first message stays bounded whatever the
 * events carry (an agent's answer, up to MAX_STRING), with the nodes of the missions kept: 24 KB
 * of events and a daemon's 20 ended missions' nodes (about 25 KB) keep it under 64 KB.
 */
export const SNAPSHOT_EVENT_BYTES = 24 * 1024;

/** The newest of `events` whose JSON fits in `bytes`, in their order. */
export function newestWithin<E>(events: readonly E[], bytes: number): E[] {
  let used = 0;
  let from = events.length;
  while (from > 0) {
    const size = JSON.stringify(events[from - 1]).length + 1;
    if (used + size > bytes) break;
    used += size;
    from--;
  }
  return events.slice(from);
}
