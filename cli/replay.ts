/**
 * `maestro replay MISSION`: a mission's history from its event log, one line per event, with the
 * time since the mission started: what happened, when, and which supervisor decided what.
 * MISSION is a mission id (looked up under the state directory) or the path of a log file.
 */
import { existsSync } from 'node:fs';
import { EventLog, type LoggedEvent } from '../actors/eventLog.js';
import type { Io } from './main.js';
import { UsageError } from './main.js';
import { decisionLine, formatMs } from './progress.js';

export interface ReplayFlags {
  'state-dir'?: string;
  json?: boolean;
}

export function replayCommand(mission: string, flags: ReplayFlags, io: Io): number {
  const stateDir = flags['state-dir'] ?? process.env.MAESTRO_STATE_DIR ?? '.maestro';
  const file = mission.endsWith('.jsonl') ? mission : EventLog.pathFor(stateDir, mission);
  if (!existsSync(file)) throw new UsageError(`maestro replay: no event log for '${mission}' (looked for ${file})`);
  const events = EventLog.read(file);
  if (flags.json) {
    for (const e of events) io.out(JSON.stringify(e));
    return 0;
  }
  const start = events.length ? Date.parse(events[0]!.ts) : 0;
  for (const e of events) {
    const line = describe(e);
    if (line !== undefined) io.out(`${`+${formatMs(Date.parse(e.ts) - start)}`.padStart(10)}  ${line}`);
  }
  return 0;
}

/** One line for an event; undefined for those not worth a line (each MAKER vote: see snapshots). */
export function describe(e: LoggedEvent): string | undefined {
  const prefix = `mission/${e.mission}/`;
  switch (e.type) {
    case 'mission.submitted':
      return undefined; // the config: `mission.started` names the stages
    case 'mission.started':
      return `mission ${e.mission} started: stages ${(e.stages as string[]).join(', ')}`;
    case 'mission.resumed':
      return `mission resumed at stage ${(e.stage as number) + 1}${(e.done as string[]).length ? ` (done: ${(e.done as string[]).join(', ')})` : ''}`;
    case 'mission.suspended':
      return 'mission suspended (the daemon stopped); it resumes where it was';
    case 'stage.entered':
      return `stage ${e.stage} entered (${(e.agents as string[]).join(', ')})${((e.attempt as number | undefined) ?? 1) > 1 ? `, attempt ${e.attempt}` : ''}`;
    case 'approval.requested':
      return `approval ${e.id} requested${e.timeoutAt ? ` (times out at ${e.timeoutAt}: ${e.onTimeout})` : ''}`;
    case 'approval.answered':
      return `approval ${e.id} ${e.decision === 'approve' ? 'approved' : 'rejected'} by ${e.by ?? 'someone'}${e.feedback ? `: ${e.feedback}` : ''}`;
    case 'stage.finished':
      return `stage ${e.stage} finished: ${e.answers} answer${e.answers === 1 ? '' : 's'}`;
    case 'agent.call':
      return e.ok ? `agent ${e.agent} answered via ${e.provider} (attempt ${e.attempt})` : `agent ${e.agent} failed via ${e.provider}: ${e.error}`;
    case 'supervisor.decision':
      return decisionLine(e, prefix) ?? `supervisor ${String(e.supervisor).replace(prefix, '')}: ${e.errorContext} ${e.action} (${e.reason})`;
    case 'maker.vote':
      return e.outcome === 'exhausted' ? `vote exhausted at step ${e.step} after ${e.samples} samples` : undefined;
    case 'maker.snapshot':
      return `MAKER snapshot at step ${e.step}: ${e.samples} samples so far`;
    case 'worker.joined':
      return `worker ${e.worker} joined (${(e.capabilities as string[]).join(', ')})`;
    case 'worker.left':
      return `worker ${e.worker} left`;
    case 'mission.finished': {
      const error = e.error as { reason: string; message: string } | undefined;
      return `mission ${e.status}${error ? `: ${error.reason}: ${error.message}` : ''}`;
    }
    default:
      return e.type;
  }
}
