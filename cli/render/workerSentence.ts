/**
 * Remote workers' events in words (under NATS): who joined, left, was lost or runs another
 * provider definition, and what happens to the durable calls a lost worker held: which call,
 * delivered again by when, as which attempt. Undefined for a type that is not a worker's.
 */
import type { LoggedEvent } from '../../log/eventLog.js';
import type { LoggedEventOf } from '../../log/missionLogEvent.js';
import { clockTime, formatMs, list, plural, shortPath } from './format.js';

export function workerSentence(e: LoggedEvent): string | undefined {
  switch (e.type) {
    case 'worker.joined':
      return `+ worker ${e.worker} joined (${list(e.capabilities)})`;
    case 'worker.left':
      return `− worker ${e.worker} left`;
    case 'worker.lost': {
      const silent =
        typeof e.silentForMs === 'number' ? `, silent for ${formatMs(e.silentForMs)}` : '';
      const calls =
        typeof e.calls === 'number'
          ? e.calls > 0
            ? `; ${plural(e.calls, 'call')} it held will be delivered again`
            : '; it held no durable call'
          : '';
      return `✗ worker ${e.worker} lost (${e.reason ?? 'no heartbeat'}${silent})${calls}`;
    }
    case 'worker.mismatch':
      return `⚠ worker ${e.worker} runs another definition of provider '${e.provider}': ${e.message}; it refuses this mission's calls`;
    case 'call.redelivery': {
      const call = callName(e);
      if (e.deadLetter)
        return `✗ ${call}, held by lost worker ${e.worker}, was on its last delivery (${e.maxDeliveries}): it goes to the dead letters and fails`;
      const by = Date.parse(String(e.redeliverBy));
      const when = Number.isFinite(by)
        ? ` by ${clockTime(by)} (in ${formatMs(Math.max(0, by - Date.parse(e.ts)))})`
        : '';
      return `↻ ${call}, held by lost worker ${e.worker}, is delivered again${when} as attempt ${e.attempt} of ${e.maxDeliveries}`;
    }
    case 'call.redelivered':
      return `↻ ${callName(e)} delivered again to worker ${e.worker} (attempt ${e.attempt} of ${e.maxDeliveries}; ${e.from} was lost)`;
    default:
      return undefined;
  }
}

/** `the call of stage/a/agent/b (provider p)`, or `a call to provider p` when it names no caller. */
function callName(e: LoggedEventOf<'call.redelivery' | 'call.redelivered'>): string {
  return e.caller === undefined
    ? `a call to provider '${e.provider}'`
    : `the call of ${shortPath(e.caller, e.mission)} (provider '${e.provider}')`;
}
