/**
 * The approvals panel: the gates waiting for an answer, from the missions' approval events (the
 * daemon's gates). A gate asked adds one, answered or closed (its mission ended) removes it; the
 * whole list goes in the next delta whenever it changed.
 */
import type { Clock } from '../kernel/clock.js';
import { atOf, type ObservedEvent, type Redact } from './hubEvents.js';
import type { ApprovalView } from './types.js';

export class ApprovalBoard {
  /** Approvals waiting for an answer, by id. */
  private readonly approvals = new Map<string, ApprovalView>();
  private changed = false;

  constructor(
    private readonly redact: Redact,
    private readonly clock: Clock,
  ) {}

  get pending(): boolean {
    return this.changed;
  }

  /** A gate asked, answered or closed (its mission ended): the pending list changes (the whole list goes in the next delta). */
  record(e: ObservedEvent): void {
    const id = (e as { id?: unknown }).id;
    if (typeof id !== 'string') return;
    if (e.type !== 'approval.requested') {
      this.changed = this.approvals.delete(id) || this.changed;
      return;
    }
    const { mission, stage, output } = e as {
      mission?: unknown;
      stage?: unknown;
      output?: unknown;
    };
    const text = typeof output === 'string' ? output : '';
    this.approvals.set(id, {
      id,
      path: this.redact(`mission/${String(mission)}/stage/${String(stage)}`),
      question: this.redact(text.length > 2000 ? `${text.slice(0, 2000)}…` : text),
      since: sinceOf(e, this.clock.now()),
    });
    this.changed = true;
  }

  /** The whole list when it changed since the last call, else undefined. */
  take(): ApprovalView[] | undefined {
    if (!this.changed) return undefined;
    this.changed = false;
    return this.all();
  }

  all(): ApprovalView[] {
    return [...this.approvals.values()];
  }

  /** Drop a mission's approvals (ids `<missionId>/…`). */
  forget(missionId: string): void {
    for (const id of [...this.approvals.keys()]) {
      if (id.startsWith(`${missionId}/`)) this.changed = this.approvals.delete(id) || this.changed;
    }
  }
}

/** When an approval was asked: its `requestedAt`, else the event's time, else now. */
function sinceOf(e: ObservedEvent, now: number): number {
  const { requestedAt, ts } = e as { requestedAt?: unknown; ts?: unknown };
  for (const v of [requestedAt, ts]) {
    const t = typeof v === 'string' ? Date.parse(v) : NaN;
    if (Number.isFinite(t)) return t;
  }
  return atOf(e, now);
}
