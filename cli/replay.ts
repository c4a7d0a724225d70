/**
 * `maestro replay MISSION`: a mission's history from its event log, one line per event with the
 * time since the mission started: what happened, when, and which supervisor decided what; a
 * MAKER task's progress at most once per second of the run. In words on a terminal; otherwise
 * (or with --json) the events as they are stored. MISSION is a mission id (looked up under the
 * state directory) or the path of a log file.
 */
import { existsSync } from 'node:fs';
import { EventLog } from '../log/eventLog.js';
import type { Io } from './io.js';
import { UsageError } from './io.js';
import { eventRenderer } from './render/eventRenderer.js';
import { formatMs } from './render/format.js';
import { outputMode } from './render/outputMode.js';

export interface ReplayFlags {
  'state-dir'?: string;
  json?: boolean;
  pretty?: boolean;
}

export function replayCommand(mission: string, flags: ReplayFlags, io: Io): number {
  const stateDir = flags['state-dir'] ?? process.env.MAESTRO_STATE_DIR ?? '.maestro';
  const file = mission.endsWith('.jsonl') ? mission : EventLog.pathFor(stateDir, mission);
  if (!existsSync(file))
    throw new UsageError(`maestro replay: no event log for '${mission}' (looked for ${file})`);
  const events = EventLog.read(file, (line, reason) =>
    io.err(`maestro replay: ${file}:${line}: corrupt line skipped (${reason})`),
  );
  if (outputMode(flags, io.tty?.out) === 'json') {
    for (const e of events) io.out(JSON.stringify(e));
    return 0;
  }
  const start = events.length ? Date.parse(events[0]!.ts) : 0;
  const render = eventRenderer({
    mode: 'pretty',
    detail: 'all',
    // The run's own time: a MAKER line per second of the run, however fast the replay.
    now: (e) => Date.parse(e.ts),
    write: (line, e) => io.out(`${`+${formatMs(Date.parse(e.ts) - start)}`.padStart(10)}  ${line}`),
  });
  for (const e of events) render(e);
  return 0;
}
