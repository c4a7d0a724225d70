/**
 * Before a daemon under NATS resumes anything: mission logs that JetStream holds and the state
 * directory lacks (a new disk), or holds shorter (an older copy), are written back from the
 * stream, so the daemon resumes from the longest history it can find. A local log at least as
 * long as the stream's is left alone: the file is the daemon's first truth.
 *
 * Anyone who may publish to the stream could add to it, so a copy is restored only when every
 * one of its records carries this daemon's signature and names the mission. One record that does
 * not (unsigned: a forgery, or a release from before signing; signed with another key; two
 * different records for one seq) and the whole copy is refused, with a warning: a history with a
 * forged event in it is not a history to resume, and the local log, if any, stays as it is.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { EventLog } from './eventLog.js';
import type { EventSigner } from '../transport/eventSignature.js';
import type { StreamRecord } from '../transport/natsEventStream.js';

export interface EventSource {
  missions(): Promise<string[]>;
  records(mission: string): Promise<StreamRecord[]>;
}

/** A mission whose stream copy was ahead of its local log but is not the daemon's own. */
export interface RefusedCopy {
  mission: string;
  /** The event seq of the first record refused, when it names one. */
  seq?: number;
  /** The stream sequence of that record. */
  streamSeq: number;
  reason: string;
  /** How many of the copy's records failed. */
  records: number;
}

export interface RestoreResult {
  restored: string[];
  refused: RefusedCopy[];
}

type Checked =
  | { ok: true; seq: number; streamSeq: number; data: string }
  | { ok: false; seq?: number; streamSeq: number; reason: string };

export async function restoreLogs(
  stateDir: string,
  source: EventSource,
  signer: EventSigner,
  logger: Logger,
): Promise<RestoreResult> {
  const out: RestoreResult = { restored: [], refused: [] };
  for (const id of await source.missions()) {
    const file = EventLog.pathFor(stateDir, id);
    const localSeq = existsSync(file) ? lastSeqOf(file, id) : 0;
    const checked = dedupe((await source.records(id)).map((r) => check(r, id, signer)));
    const bad = checked.filter((c) => !c.ok);
    const good = checked.filter((c) => c.ok).sort((a, b) => a.seq - b.seq);
    // Only a copy ahead of the local log would be used; one that is not changes nothing when
    // refused (an old release's unsigned copy of a complete log, a forgery below its end).
    const claimed = lastClaimed(checked);
    if (claimed <= localSeq) continue;
    if (bad.length) {
      const first = bad[0]!;
      const refusal = {
        mission: id,
        ...(first.seq !== undefined && { seq: first.seq }),
        streamSeq: first.streamSeq,
        reason: first.reason,
        records: bad.length,
      };
      logger.warn(
        { ...refusal, localSeq, hint: hintFor(first.reason) },
        'daemon: mission log not restored from the event stream: a record in it is not this daemon’s',
      );
      out.refused.push(refusal);
      continue;
    }
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.restore`;
    writeFileSync(tmp, good.map((e) => `${e.data}\n`).join(''));
    renameSync(tmp, file);
    logger.warn(
      { mission: id, localSeq, remoteSeq: claimed, events: good.length },
      'daemon: mission log restored from the event stream',
    );
    out.restored.push(id);
  }
  return out;
}

function check(r: StreamRecord, mission: string, signer: EventSigner): Checked {
  const seq = seqOf(r.data);
  const refuse = (reason: string): Checked => ({
    ok: false,
    ...(seq !== undefined && { seq }),
    streamSeq: r.streamSeq,
    reason,
  });
  const signature = signer.verify(r.data, r.signature);
  if (!signature.ok) return refuse(signature.reason);
  let event: { seq?: unknown; mission?: unknown };
  try {
    event = JSON.parse(r.data) as typeof event;
  } catch {
    return refuse('not JSON');
  }
  // Signed by this daemon, so only a bug of ours would get here; still, never restore it elsewhere.
  if (event.mission !== mission) return refuse(`names mission '${String(event.mission)}'`);
  if (seq === undefined) return refuse('no seq');
  return { ok: true, seq, streamSeq: r.streamSeq, data: r.data };
}

/** The highest seq the copy claims; a record that names none might be anything, so it counts as ahead. */
function lastClaimed(checked: Checked[]): number {
  let last = 0;
  for (const c of checked) last = Math.max(last, c.seq ?? Infinity);
  return last;
}

/** An event's seq, from an untrusted body: the log's writer always puts it first. */
function seqOf(data: string): number | undefined {
  const m = /^\{"seq":(\d{1,15}),/.exec(data);
  return m ? Number(m[1]) : undefined;
}

/**
 * The same record twice (a republish after the stream's de-duplication window) is kept once;
 * two different records for one seq are a conflict: neither can be trusted to be the history.
 */
function dedupe(checked: Checked[]): Checked[] {
  const bySeq = new Map<number, Checked & { ok: true }>();
  const out: Checked[] = [];
  for (const c of checked) {
    if (!c.ok) {
      out.push(c);
      continue;
    }
    const seen = bySeq.get(c.seq);
    if (seen === undefined) {
      bySeq.set(c.seq, c);
      out.push(c);
    } else if (seen.data !== c.data) {
      out.push({
        ok: false,
        seq: c.seq,
        streamSeq: c.streamSeq,
        reason: `two different records for seq ${c.seq}`,
      });
    }
  }
  return out;
}

function hintFor(reason: string): string {
  if (reason.startsWith('unsigned')) {
    return 'records without a signature were written by a release before event signing, or by another publisher; the local log, if any, resumes as it is; if the mission matters and only the stream has it, check the stream by hand';
  }
  if (reason.startsWith('signed with another key')) {
    return 'if this state directory is new, copy event-key from the one that wrote these events and restart; otherwise the records are not this daemon’s';
  }
  return 'the record was altered or forged; the local log, if any, resumes as it is';
}

function lastSeqOf(file: string, id: string): number {
  const log = new EventLog(file, id).open();
  const seq = log.lastSeq;
  log.close();
  return seq;
}
