/**
 * `maestro submit FILE`: sends a mission file to the daemon and prints the new mission's id.
 * The file is read here and sent as text, so the daemon need not see this machine's files and
 * its errors name the file. `--follow` prints the mission's events on stderr until its end, and
 * the exit code is then the mission's: 0 succeeded, 1 not.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { LoggedEvent } from '../actors/eventLog.js';
import { UserError, errorMessage } from '../config/errors.js';
import { DaemonClient, resolveDaemon, type DaemonFlags } from './daemonClient.js';
import type { Io } from './main.js';

export interface SubmitFlags extends DaemonFlags {
  json?: boolean;
  input?: string;
  'mission-id'?: string;
  follow?: boolean;
}

export async function submitCommand(file: string, flags: SubmitFlags, io: Io): Promise<number> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read mission file '${file}': ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`, { cause: err });
  }
  const client = new DaemonClient(resolveDaemon(flags));
  const summary = await client.submit({
    source,
    filename: basename(file),
    ...(flags.input === undefined ? {} : { input: flags.input }),
    ...(flags['mission-id'] === undefined ? {} : { id: flags['mission-id'] }),
  });
  io.out(flags.json ? JSON.stringify(summary, null, 2) : summary.id);
  if (!flags.follow) return 0;
  let last: LoggedEvent | undefined;
  try {
    await client.events(summary.id, 0, (e) => {
      last = e;
      io.err(eventLine(e));
    });
  } catch (err) {
    if (last?.type !== 'mission.suspended') throw err;
    io.err(`mission ${summary.id} suspended: the daemon stopped; it resumes where it was when the daemon starts again`);
    return 1;
  }
  const end = await client.status(summary.id);
  if (end.state !== 'succeeded') io.err(`mission ${end.id} ${end.state}${end.error ? `: ${end.error.reason}: ${end.error.message}` : ''}`);
  return end.state === 'succeeded' ? 0 : 1;
}

/** `12 stage.entered stage=research index=0 agents=["a","b"]`: one line, each value capped. */
export function eventLine(e: LoggedEvent): string {
  const { seq, ts: _ts, mission: _mission, type, ...fields } = e;
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${cap(typeof v === 'string' && /^\S+$/.test(v) ? v : JSON.stringify(v))}`);
  return [seq, type, ...parts].join(' ');
}

function cap(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
