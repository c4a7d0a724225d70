/**
 * A mission's append-only event log: one JSONL file per mission under the state directory,
 * `<stateDir>/missions/<missionId>.jsonl`. Each line is one small event with a sequence number
 * and a timestamp; secrets are masked before the line is written. Lines are written with one
 * synchronous `write` each, so an event the process reported is in the file even if the process
 * is killed right after; with `syncEveryMs`, an `fdatasync` at most that long after a write makes
 * it survive a machine crash too, one sync for every batch of writes rather than one per event.
 * Reopening a log goes on after its last complete line: a torn last line (the process died
 * mid-write) is cut off, and sequence numbers continue.
 */
import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { isDiskFault, LogWriteError } from './logWriteError.js';
import { completeLength, lineBefore } from './logLines.js';
import { redact } from '../kernel/secrets.js';
import type { EventSink } from './eventSink.js';
import {
  LOG_FORMAT,
  parseLogLine,
  type LoggedEvent,
  type MissionLogEvent,
} from './missionLogEvent.js';

export type { LoggedEvent } from './missionLogEvent.js';

export interface EventLogOptions {
  /** fdatasync at most this long after a write. @default none: written, not synced */
  syncEveryMs?: number;
}

export class EventLog implements EventSink {
  /** Told how long each fdatasync took, in ms (the daemon's metrics). @default none */
  static syncObserver: ((ms: number) => void) | undefined;
  private fd: number | undefined;
  private seq = 0;
  private readonly listeners: ((e: LoggedEvent) => void)[] = [];
  private syncTimer: NodeJS.Timeout | undefined;
  /** Bytes of whole lines in the file: where a failed write is cut back to. */
  private size = 0;
  private writeFault: LogWriteError | undefined;
  private readonly faultListeners: ((fault: LogWriteError) => void)[] = [];
  /** Bytes of a torn last line cut off when the log was opened. */
  tornBytes = 0;
  /** Events not written because the log had failed before them. */
  dropped = 0;

  constructor(
    readonly file: string,
    readonly missionId: string,
    private readonly now: () => number = Date.now,
    private readonly options: EventLogOptions = {},
  ) {}

  /** The sequence number of the last event written. */
  get lastSeq(): number {
    return this.seq;
  }

  static pathFor(stateDir: string, missionId: string): string {
    return join(stateDir, 'missions', `${missionId}.jsonl`);
  }

  /** Opens the file for appending, creating its folder; call before the first append. */
  open(): this {
    mkdirSync(dirname(this.file), { recursive: true });
    this.fd = openSync(this.file, 'a+');
    this.recoverTail(this.fd);
    this.size = fstatSync(this.fd).size;
    return this;
  }

  /**
   * The disk fault that stopped this log, if one did. From the first failed write on, nothing
   * more is written (the log stays a prefix of what happened, with no gap): appends are dropped
   * and counted, and the owner is told once through `onFault`, to suspend the mission.
   */
  get fault(): LogWriteError | undefined {
    return this.writeFault;
  }

  onFault(listener: (fault: LogWriteError) => void): void {
    this.faultListeners.push(listener);
  }

  /** A write or sync that failed: a disk fault stops the log; anything else is ours, thrown. */
  private failed(err: unknown, eventType: string | undefined): void {
    if (!isDiskFault(err)) throw err;
    if (this.fd !== undefined) {
      try {
        ftruncateSync(this.fd, this.size); // a partial line goes: the log ends on its last whole line
      } catch {
        // The next open cuts a torn last line anyway.
      }
    }
    this.writeFault ??= new LogWriteError(
      this.file,
      (err as NodeJS.ErrnoException).code!,
      eventType,
      { cause: err },
    );
    for (const l of this.faultListeners) {
      try {
        l(this.writeFault);
      } catch {
        // A listener must never break the mission.
      }
    }
    this.faultListeners.length = 0;
  }

  /** Cuts a torn last line off and reads the last sequence number, from the end of the file only. */
  private recoverTail(fd: number): void {
    const size = fstatSync(fd).size;
    const whole = completeLength(fd);
    if (whole < size) {
      this.tornBytes = size - whole;
      ftruncateSync(fd, whole);
      fdatasyncSync(fd);
    }
    const m = /^\{"seq":(\d+),/.exec(lineBefore(fd, whole)?.slice(0, 32) ?? '');
    this.seq = m ? Number(m[1]) : 0;
  }

  append(event: MissionLogEvent): void {
    if (this.writeFault) {
      this.dropped++;
      return;
    }
    const seq = ++this.seq;
    const ts = new Date(this.now()).toISOString();
    const body = redact(event);
    // Listeners get the event as appended; the line also says its format (`v`).
    const logged = { seq, ts, mission: this.missionId, ...body } as LoggedEvent;
    if (this.fd !== undefined) {
      // The envelope first, so a line's seq is read from its first bytes (recoverTail).
      const head = `{"seq":${seq},"ts":"${ts}","mission":${JSON.stringify(this.missionId)}`;
      const line = Buffer.from(`${head},"v":${LOG_FORMAT},${JSON.stringify(body).slice(1)}\n`);
      try {
        for (let at = 0; at < line.length; ) at += writeSync(this.fd, line, at, line.length - at);
      } catch (err) {
        this.seq--;
        this.dropped++;
        return this.failed(err, event.type);
      }
      this.size += line.length;
      if (this.options.syncEveryMs !== undefined && this.syncTimer === undefined) {
        this.syncTimer = setTimeout(() => this.sync(), this.options.syncEveryMs);
        this.syncTimer.unref();
      }
    }
    for (const l of this.listeners) {
      try {
        l(logged);
      } catch {
        // A listener (progress output, the inspector) must never break the mission.
      }
    }
  }

  /** Called with every event after it is written (progress output, the inspector). */
  onEvent(listener: (e: LoggedEvent) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Rewrites the log without the events of `dropTypes`, except the last event written (the
   * snapshot that makes them redundant). Written to a temporary file and renamed over the log,
   * so a crash leaves either the old log or the new one. Sequence numbers go on.
   */
  compact(dropTypes: readonly string[]): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    const markers = dropTypes.map((t) => `"type":${JSON.stringify(t)}`);
    const lines = readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    const last = lines.length - 1;
    const kept = lines.filter((l, i) => i === last || !markers.some((m) => l.includes(m)));
    const tmp = `${this.file}.tmp`;
    try {
      writeFileSync(tmp, kept.map((l) => `${l}\n`).join(''));
      if (this.options.syncEveryMs !== undefined) {
        // The new log must be on disk before it replaces the old one.
        const fd = openSync(tmp, 'r+');
        fdatasyncSync(fd);
        closeSync(fd);
      }
      renameSync(tmp, this.file);
    } catch (err) {
      // No room for the compacted copy: the log stays whole and uncompacted (the next append
      // on this disk will say what is wrong).
      rmSync(tmp, { force: true });
      if (!isDiskFault(err)) throw err;
    } finally {
      this.fd = openSync(this.file, 'a+');
      this.size = fstatSync(this.fd).size;
    }
  }

  /** Makes everything written so far durable now (a checkpoint). */
  sync(): void {
    if (this.syncTimer !== undefined) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    if (this.fd === undefined || this.writeFault) return;
    try {
      const started = performance.now();
      fdatasyncSync(this.fd);
      EventLog.syncObserver?.(performance.now() - started);
    } catch (err) {
      this.failed(err, undefined);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    if (this.options.syncEveryMs !== undefined) this.sync();
    closeSync(this.fd);
    this.fd = undefined;
  }

  /**
   * Every event in a log file, in order. A torn last line (a crash mid-write) is skipped; so is a
   * corrupt line elsewhere (not JSON, not an event, or one that fails its schema: see
   * `parseLogLine`), told to `onCorrupt` with its 1-based line number and why, so one bad line
   * never hides the rest of a log.
   */
  static read(
    file: string,
    onCorrupt?: (line: number, reason: string) => void,
    parse: (line: string) => LoggedEvent | string = parseLogLine,
  ): LoggedEvent[] {
    const lines = readFileSync(file, 'utf8').split('\n');
    const last = lines.length - 1; // after the final newline: '' for a whole log, the torn line otherwise
    const out: LoggedEvent[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const event = parse(line);
      if (typeof event !== 'string') out.push(event);
      else if (i !== last) onCorrupt?.(i + 1, event);
    });
    return out;
  }
}
