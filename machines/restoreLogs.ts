/**
 * Before a daemon under NATS resumes anything: mission logs that JetStream holds and the state
 * directory lacks (a new disk), or holds shorter (an older copy), are written back from the
 * stream, so the daemon resumes from the longest history it can find. A local log at least as
 * long as the stream's is left alone: the file is the daemon's first truth.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { EventLog } from '../actors/eventLog.js';

export interface EventSource {
  missions(): Promise<string[]>;
  read(mission: string): Promise<{ seq: number }[]>;
}

export async function restoreLogs(stateDir: string, source: EventSource, logger: Logger): Promise<string[]> {
  const restored: string[] = [];
  for (const id of await source.missions()) {
    const file = EventLog.pathFor(stateDir, id);
    const localSeq = existsSync(file) ? lastSeqOf(file, id) : 0;
    const events = await source.read(id);
    const remoteSeq = events.at(-1)?.seq ?? 0;
    if (remoteSeq <= localSeq) continue;
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.restore`;
    writeFileSync(tmp, events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    renameSync(tmp, file);
    logger.warn({ mission: id, localSeq, remoteSeq, events: events.length }, 'daemon: mission log restored from the event stream');
    restored.push(id);
  }
  return restored;
}

function lastSeqOf(file: string, id: string): number {
  const log = new EventLog(file, id).open();
  const seq = log.lastSeq;
  log.close();
  return seq;
}
