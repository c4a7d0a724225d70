/**
 * The index of finished missions: `<state-dir>/index.jsonl`, one summary a line, appended with one
 * write when a mission is archived. A daemon starting reads it and the logs of the missions it
 * does not name (those not over, and any whose line a crash or a fault lost), instead of every
 * log: the API answers after one file read, not one per mission ever run. A line that does not
 * parse is skipped with a warning: its mission is read from its log and indexed again, so a
 * corrupt or truncated index loses nothing.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { MissionSummary } from './daemonApi.js';

export const INDEX_FILE = 'index.jsonl';
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
    const lines = readFileSync(this.file, 'utf8').split('\n');
    const bad: number[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let parsed: z.infer<typeof indexLine> | undefined;
      try {
        const r = indexLine.safeParse(JSON.parse(line));
        if (r.success) parsed = r.data;
      } catch {
        // not JSON: counted below
      }
      // A torn last line (a crash mid-append) is expected; any other bad line is reported.
      if (!parsed) {
        if (i !== lines.length - 1) bad.push(i + 1);
        return;
      }
      const { v: _v, ...summary } = parsed;
      out.set(summary.id, summary);
    });
    if (bad.length > 0)
      this.logger.warn(
        { file: this.file, lines: bad.slice(0, 10) },
        `daemon: ${bad.length} unreadable line(s) in the mission index skipped (${bad
          .slice(0, 10)
          .map((n) => `${this.file}:${n}`)
          .join(', ')}); those missions are read from their logs and indexed again`,
      );
    return out;
  }

  /** One line for a finished mission. A write that fails is told, and the log still has it all. */
  add(summary: MissionSummary): void {
    if (summary.state !== 'succeeded' && summary.state !== 'failed' && summary.state !== 'stopped')
      return;
    const { stage: _stage, ...kept } = summary;
    try {
      appendFileSync(this.file, `${JSON.stringify({ v: INDEX_FORMAT, ...kept })}\n`);
    } catch (err) {
      this.logger.warn(
        { file: this.file, err },
        'daemon: the mission index could not be written; the next start reads the log instead',
      );
    }
  }
}
