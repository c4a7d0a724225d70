/**
 * A mission's append-only event log: one JSONL file per mission under the state directory,
 * `<stateDir>/missions/<missionId>.jsonl`. Each line is one small event with a sequence number
 * and a timestamp; secrets are masked before the line is written. Lines are written with one
 * synchronous `write` each, so an event the process reported is in the file even if the process
 * dies right after (fsync batching comes with the daemon).
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { redact } from '../config/secrets.js';
import type { EventSink, MissionEvent } from '../supervisors/runtime.js';

export interface LoggedEvent extends MissionEvent {
  seq: number;
  ts: string;
  mission: string;
}

export class EventLog implements EventSink {
  private fd: number | undefined;
  private seq = 0;
  private readonly listeners: ((e: LoggedEvent) => void)[] = [];

  constructor(
    readonly file: string,
    readonly missionId: string,
    private readonly now: () => number = Date.now,
  ) {}

  static pathFor(stateDir: string, missionId: string): string {
    return join(stateDir, 'missions', `${missionId}.jsonl`);
  }

  /** Opens the file for appending, creating its folder; call before the first append. */
  open(): this {
    mkdirSync(dirname(this.file), { recursive: true });
    this.fd = openSync(this.file, 'a');
    return this;
  }

  append(event: MissionEvent): void {
    const logged: LoggedEvent = { seq: ++this.seq, ts: new Date(this.now()).toISOString(), mission: this.missionId, ...redact(event) };
    if (this.fd !== undefined) writeSync(this.fd, `${JSON.stringify(logged)}\n`);
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
    const lines = readFileSync(this.file, 'utf8').split('\n').filter((l) => l !== '');
    const last = lines.length - 1;
    const kept = lines.filter((l, i) => i === last || !markers.some((m) => l.includes(m)));
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, kept.map((l) => `${l}\n`).join(''));
    renameSync(tmp, this.file);
    this.fd = openSync(this.file, 'a');
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Every event in a log file, in order. A torn last line (a crash mid-write) is skipped. */
  static read(file: string): LoggedEvent[] {
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
    const out: LoggedEvent[] = [];
    lines.forEach((line, i) => {
      try {
        out.push(JSON.parse(line) as LoggedEvent);
      } catch (err) {
        if (i !== lines.length - 1) throw new Error(`${file}:${i + 1}: not a JSON event`, { cause: err });
      }
    });
    return out;
  }
}
