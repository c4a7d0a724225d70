/**
 * The index of finished missions: `<state-dir>/index.jsonl`, one summary a line, appended with one
 * write when a mission is archived. A daemon starting reads it and the logs of the missions it
 * does not name (those not over, and any whose line a crash or a fault lost), instead of every
 * log: the API answers after one file read, not one per mission ever run. A line that does not
 * parse is skipped with a warning: its mission is read from its log and indexed again, so a
 * corrupt or truncated index loses nothing. A prune rewrites it (compacted: the missions kept, and
 * one line saying what the prune took and where), written whole and renamed over the old one.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { MissionSummary } from './daemonApi.js';

export const INDEX_FILE = 'index.jsonl';
/** Lines parsed between two yields of `readInSlices` (about 15 ms here). */
const SLICE = 5000;
const INDEX_FORMAT = 1;

const indexLine = z.object({
  v: z.literal(INDEX_FORMAT),
  id: z.string(),
  name: z.string(),
  state: z.enum(['succeeded', 'failed', 'stopped']),
  submittedAt: z.string(),
  finishedAt: z.string().optional(),
  stages: z.array(z.string()),
});

/** What a prune took: a record for the operator, skipped by the reader. */
const pruneLine = z.object({
  v: z.literal(INDEX_FORMAT),
  pruned: z.number().int(),
  at: z.string(),
  retain: z.string(),
  to: z.string(),
});

export interface PruneRecord {
  pruned: number;
  at: string;
  retain: string;
  to: string;
}

export class MissionIndex {
  private readonly file: string;

  constructor(
    stateDir: string,
    private readonly logger: Logger,
  ) {
    this.file = join(stateDir, INDEX_FILE);
  }

  /** The finished missions it names, by id (a later line for an id wins). */
  read(): Map<string, MissionSummary> {
    const out = new Map<string, MissionSummary>();
    if (!existsSync(this.file)) return out;
    for (const _ of this.parse(readFileSync(this.file, 'utf8'), out));
    return out;
  }

  /**
   * `read`, a few milliseconds at a time: a daemon answers requests while it reads an index of
   * 100,000 missions (about a second of JSON on these machines).
   */
  async readInSlices(): Promise<Map<string, MissionSummary>> {
    const out = new Map<string, MissionSummary>();
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
      throw err;
    }
    for (const _ of this.parse(text, out)) await new Promise((r) => setImmediate(r));
    return out;
  }

  /** Parses the index into `out`, pausing (a yield) every SLICE lines. */
  private *parse(text: string, out: Map<string, MissionSummary>): Generator<void> {
    const lines = text.split('\n');
    const bad: number[] = [];
    for (const [i, line] of lines.entries()) {
      if (i > 0 && i % SLICE === 0) yield;
      if (line.trim() === '') continue;
      let parsed: z.infer<typeof indexLine> | undefined;
      try {
        const json: unknown = JSON.parse(line);
        const r = indexLine.safeParse(json);
        if (r.success) parsed = r.data;
        else if (pruneLine.safeParse(json).success) continue;
      } catch {
        // not JSON: counted below
      }
      // A torn last line (a crash mid-append) is expected; any other bad line is reported.
      if (!parsed) {
        if (i !== lines.length - 1) bad.push(i + 1);
        continue;
      }
      const { v: _v, ...summary } = parsed;
      out.set(summary.id, summary);
    }
    if (bad.length > 0)
      this.logger.warn(
        { file: this.file, lines: bad.slice(0, 10) },
        `daemon: ${bad.length} unreadable line(s) in the mission index skipped (${bad
          .slice(0, 10)
          .map((n) => `${this.file}:${n}`)
          .join(', ')}); those missions are read from their logs and indexed again`,
      );
  }

  /**
   * The index of `kept` only, plus the prune's record: written to a temporary file and renamed,
   * so a crash leaves the old index or the new one, whole.
   */
  rewrite(kept: Iterable<MissionSummary>, record: PruneRecord): void {
    const lines: string[] = [];
    for (const s of kept) {
      const line = this.line(s);
      if (line) lines.push(line);
    }
    lines.push(JSON.stringify({ v: INDEX_FORMAT, ...record }));
    writeFileSync(`${this.file}.tmp`, `${lines.join('\n')}\n`);
    renameSync(`${this.file}.tmp`, this.file);
  }

  /** One line for a finished mission. A write that fails is told, and the log still has it all. */
  add(summary: MissionSummary): void {
    const line = this.line(summary);
    if (!line) return;
    try {
      appendFileSync(this.file, `${line}\n`);
    } catch (err) {
      this.logger.warn(
        { file: this.file, err },
        'daemon: the mission index could not be written; the next start reads the log instead',
      );
    }
  }

  private line(summary: MissionSummary): string | undefined {
    if (summary.state !== 'succeeded' && summary.state !== 'failed' && summary.state !== 'stopped')
      return undefined;
    const { stage: _stage, ...kept } = summary;
    return JSON.stringify({ v: INDEX_FORMAT, ...kept });
  }
}
