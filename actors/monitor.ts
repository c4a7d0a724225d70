/**
 * The paranoid monitor's pieces. `monitorLogic` ticks its parent every `intervalMs` on the
 * injected clock; on each tick the parent gathers `Telemetry`, checks `hardLimit` (the SLA and
 * the budgets: past one, the run is aborted without asking anyone) and otherwise may show
 * `formatTelemetry` to a reviewer agent, who says continue, revise or abort.
 */
import { fromCallback, type EventObject } from 'xstate';
import type { Clock } from '../kernel/clock.js';
import type { BudgetLimits, BudgetUsage } from '../supervisors/budget.js';

export interface TaskCounts {
  total: number;
  finished: number;
  failed: number;
  running: number;
  blocked: number;
}

export interface Telemetry {
  /** Since the run started. */
  elapsedMs: number;
  slaMs?: number;
  tasks: TaskCounts;
  restarts: number;
  usage: BudgetUsage;
  limits: BudgetLimits;
}

export type HardLimitReason = 'sla_exceeded' | 'budget_exceeded';

export interface HardLimit {
  reason: HardLimitReason;
  message: string;
}

export interface MonitorInput {
  clock: Clock;
  intervalMs: number;
}

export interface MonitorTickEvent {
  type: 'monitor.tick';
}

const BUDGET_KINDS = ['tokens', 'costUsd', 'samples', 'wallTimeMs'] as const;

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/**
 * The first hard limit reached, or undefined: the SLA, then tokens, costUsd, samples and
 * wallTimeMs. Reached means `used >= limit`, as for `BudgetNode`: nothing runs past a limit.
 */
export function hardLimit(t: Telemetry): HardLimit | undefined {
  if (t.slaMs !== undefined && t.elapsedMs >= t.slaMs) {
    return {
      reason: 'sla_exceeded',
      message: `sla_exceeded: ran ${t.elapsedMs} ms, SLA ${t.slaMs} ms`,
    };
  }
  for (const kind of BUDGET_KINDS) {
    const limit = t.limits[kind];
    const used = t.usage[kind];
    if (limit !== undefined && used >= limit) {
      return {
        reason: 'budget_exceeded',
        message: `budget_exceeded: ${kind} (used ${round(used)} of ${round(limit)})`,
      };
    }
  }
  return undefined;
}

/** A short text block for the reviewer's prompt. */
export function formatTelemetry(t: Telemetry): string {
  const { total, finished, failed, running, blocked } = t.tasks;
  const lines = [
    `elapsed: ${t.elapsedMs} ms${t.slaMs === undefined ? ' (no SLA)' : ` of ${t.slaMs} ms SLA`}`,
    `tasks: ${total} total, ${finished} finished, ${failed} failed, ${running} running, ${blocked} blocked`,
    `restarts: ${t.restarts}`,
  ];
  for (const kind of BUDGET_KINDS) {
    const limit = t.limits[kind];
    lines.push(
      `${kind}: ${round(t.usage[kind])}${limit === undefined ? ' (no limit)' : ` of ${round(limit)}`}`,
    );
  }
  return lines.join('\n');
}

/**
 * Sends `{ type: 'monitor.tick' }` to its parent at start + n × intervalMs (n = 1, 2, ...), on
 * the injected clock, so ticks do not drift; stopping clears the pending timer.
 */
export const monitorLogic = fromCallback<EventObject, MonitorInput>(({ input, sendBack }) => {
  const { clock, intervalMs } = input;
  const start = clock.now();
  let n = 0;
  let timer: unknown;
  let stopped = false;
  const schedule = (): void => {
    // A tick fired late (a stalled event loop) skips the ticks it missed rather than bursting.
    n = Math.max(n + 1, Math.floor((clock.now() - start) / intervalMs) + 1);
    timer = clock.setTimeout(tick, Math.max(0, start + n * intervalMs - clock.now()));
  };
  function tick(): void {
    if (stopped) return;
    // The next tick is set before this one is sent, so a parent that stops us on it clears it.
    schedule();
    sendBack({ type: 'monitor.tick' } satisfies MonitorTickEvent);
  }
  schedule();
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
});
