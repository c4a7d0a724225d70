/**
 * What each architecture achieved, per repository: one line per outcome in
 * `<stateDir>/arch-stats.jsonl`, append-only, and its aggregate by (task family, stage,
 * topology, models). Rule A reads the single agent's measured success from it (`measuredFor`).
 * A torn or invalid line costs that outcome, never the file: it is reported with its line number and
 * skipped.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  ARCH_STAGES,
  type ArchStage,
  type Measured,
  TOPOLOGIES,
  type Topology,
} from './architecture.js';

export { MIN_RECORDS } from './architecture.js';

export const ARCH_STATS_FILE = 'arch-stats.jsonl';

const count = z.number().nonnegative();

export const archOutcomeLineSchema = z.strictObject({
  v: z.literal(1),
  ts: z.string().min(1),
  family: z.string().min(1),
  stage: z.enum(ARCH_STAGES),
  topology: z.enum(TOPOLOGIES),
  models: z.array(z.string().min(1)),
  success: z.boolean(),
  turns: count.optional(),
  tokens: count.optional(),
});

export type ArchOutcomeLine = z.output<typeof archOutcomeLineSchema>;

/** One outcome, as a caller records it (the version and, unless given, the time are added). */
export type ArchOutcome = Omit<ArchOutcomeLine, 'v' | 'ts'> & { ts?: string };

export interface ArchStatsRow {
  family: string;
  stage: ArchStage;
  topology: Topology;
  /** Sorted: the same models in any order are the same row. */
  models: string[];
  runs: number;
  successes: number;
  /** successes / runs. */
  rate: number;
  /** Over the outcomes that recorded them. */
  meanTokens?: number;
  meanTurns?: number;
}

export interface SkippedLine {
  line: number;
  why: string;
}

export interface ArchStats {
  file: string;
  /** Sorted by family, stage, topology, models. */
  rows: ArchStatsRow[];
  skipped: SkippedLine[];
}

export function archStatsFile(stateDir: string): string {
  return join(stateDir, ARCH_STATS_FILE);
}

/**
 * Appends one outcome as one write. After a torn last line (a crash mid-write) it starts a new
 * line, so the torn one stays the only casualty.
 */
export function recordOutcome(
  stateDir: string,
  outcome: ArchOutcome,
  now: () => Date = () => new Date(),
): ArchOutcomeLine {
  const line = archOutcomeLineSchema.parse({
    v: 1,
    ...outcome,
    ts: outcome.ts ?? now().toISOString(),
    models: [...outcome.models].sort(),
  });
  mkdirSync(stateDir, { recursive: true });
  const fd = openSync(archStatsFile(stateDir), 'a+');
  try {
    const text = `${JSON.stringify(line)}\n`;
    writeSync(fd, endsTorn(fd) ? `\n${text}` : text);
  } finally {
    closeSync(fd);
  }
  return line;
}

function endsTorn(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}

/** The outcomes aggregated; no file yet is no outcomes. */
export function readStats(stateDir: string): ArchStats {
  const file = archStatsFile(stateDir);
  const skipped: SkippedLine[] = [];
  const rows = new Map<string, Acc>();
  if (!existsSync(file)) return { file, rows: [], skipped };
  // Read whole, once: a line appended meanwhile is then either all there or not at all.
  const lines = readFileSync(file, 'utf8').split('\n');
  const tail = lines.pop();
  if (tail !== undefined && tail !== '')
    skipped.push({ line: lines.length + 1, why: 'torn (no newline at its end)' });
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const parsed = parseLine(line);
    if (typeof parsed === 'string') skipped.push({ line: i + 1, why: parsed });
    else add(rows, parsed);
  });
  skipped.sort((a, b) => a.line - b.line);
  return { file, rows: [...rows.values()].map(toRow).sort(byKey), skipped };
}

function parseLine(line: string): ArchOutcomeLine | string {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  const r = archOutcomeLineSchema.safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path.join('.') ?? '';
  return `${path === '' ? '' : `${path}: `}${issue?.message ?? 'invalid'}`;
}

interface Acc {
  key: Omit<ArchStatsRow, 'runs' | 'successes' | 'rate' | 'meanTokens' | 'meanTurns'>;
  runs: number;
  successes: number;
  tokens: number[];
  turns: number[];
}

function add(rows: Map<string, Acc>, o: ArchOutcomeLine): void {
  const models = [...o.models].sort();
  const id = JSON.stringify([o.family, o.stage, o.topology, models]);
  let acc = rows.get(id);
  if (!acc) {
    acc = {
      key: { family: o.family, stage: o.stage, topology: o.topology, models },
      runs: 0,
      successes: 0,
      tokens: [],
      turns: [],
    };
    rows.set(id, acc);
  }
  acc.runs++;
  if (o.success) acc.successes++;
  if (o.tokens !== undefined) acc.tokens.push(o.tokens);
  if (o.turns !== undefined) acc.turns.push(o.turns);
}

function toRow(a: Acc): ArchStatsRow {
  return {
    ...a.key,
    runs: a.runs,
    successes: a.successes,
    rate: a.successes / a.runs,
    ...(a.tokens.length ? { meanTokens: mean(a.tokens) } : {}),
    ...(a.turns.length ? { meanTurns: mean(a.turns) } : {}),
  };
}

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

function byKey(a: ArchStatsRow, b: ArchStatsRow): number {
  return (
    a.family.localeCompare(b.family) ||
    ARCH_STAGES.indexOf(a.stage) - ARCH_STAGES.indexOf(b.stage) ||
    TOPOLOGIES.indexOf(a.topology) - TOPOLOGIES.indexOf(b.topology) ||
    a.models.join(',').localeCompare(b.models.join(','))
  );
}

/**
 * The single agent's success on a family's stage, over every model set (or only `models`, in any
 * order): what classify's Rule A reads once `records` reaches MIN_RECORDS. No outcome: no rate.
 */
export function measuredFor(
  stats: Pick<ArchStats, 'rows'>,
  family: string,
  stage: ArchStage,
  models?: readonly string[],
): Measured {
  const want = models === undefined ? undefined : JSON.stringify([...models].sort());
  const rows = stats.rows.filter(
    (r) =>
      r.family === family &&
      r.stage === stage &&
      r.topology === 'single' &&
      (want === undefined || JSON.stringify(r.models) === want),
  );
  const runs = rows.reduce((s, r) => s + r.runs, 0);
  if (runs === 0) return { records: 0 };
  const successes = rows.reduce((s, r) => s + r.successes, 0);
  return { singleAgentSuccess: successes / runs, records: runs };
}
