/**
 * `maestro submit FILE`: sends a mission file to the daemon and prints the new mission's id.
 * The file is read here and sent as text, so the daemon need not see this machine's files and
 * its errors name the file. `--follow` prints the mission's events on stderr until its end
 * through the renderer (words on a terminal, JSON lines otherwise), and the exit code is then
 * the mission's: 0 succeeded, 1 not.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { LoggedEvent } from '../log/eventLog.js';
import { UserError, errorMessage } from '../kernel/errors.js';
import { MaestroClient, resolveDaemon, type DaemonFlags } from '../daemon/daemonClient.js';
import type { Io } from './io.js';
import { progressPrinter } from './progress.js';
import { outputMode } from './render/outputMode.js';
import { prefixed, reasonText } from './render/prefix.js';

export interface SubmitFlags extends DaemonFlags {
  json?: boolean;
  input?: string;
  'mission-id'?: string;
  follow?: boolean;
  pretty?: boolean;
}

export async function submitCommand(file: string, flags: SubmitFlags, io: Io): Promise<number> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(
      `cannot read mission file '${file}': ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`,
      { cause: err },
    );
  }
  const client = new MaestroClient(resolveDaemon(flags));
  const summary = await client.submit({
    source,
    filename: basename(file),
    ...(flags.input === undefined ? {} : { input: flags.input }),
    ...(flags['mission-id'] === undefined ? {} : { id: flags['mission-id'] }),
  });
  io.out(flags.json ? JSON.stringify(summary, null, 2) : summary.id);
  if (!flags.follow) return 0;
  let last: LoggedEvent | undefined;
  const print = progressPrinter(io, flags);
  const words = outputMode(flags, io.tty?.err) === 'pretty';
  // A dropped connection is resumed where it stopped; `mission.suspended` is the daemon stopping.
  for await (const e of client.events(summary.id)) {
    last = e;
    print(e);
    // Under the daemon, a gate is answered with `maestro approve`: say so where it opens.
    if (words && e.type === 'approval.requested')
      io.err(`    answer it: maestro approve ${String(e.id)} (or --reject --feedback TEXT)`);
    if (e.type === 'mission.suspended') {
      io.err(
        `mission ${summary.id} suspended: the daemon stopped; it resumes where it was when the daemon starts again`,
      );
      return 1;
    }
  }
  const end = await client.status(summary.id);
  // The renderer said how it ended, unless the stream stopped short of `mission.finished`.
  // As JSON lines the stream is all there is: the last event (a start failure) already says it.
  if (
    words &&
    end.state !== 'succeeded' &&
    last?.type !== 'mission.finished' &&
    last?.type !== 'mission.start_failed'
  ) {
    io.err(prefixed(`mission ${end.id} ${end.state}`, end.error ? reasonText(end.error) : ''));
  }
  return end.state === 'succeeded' ? 0 : 1;
}
