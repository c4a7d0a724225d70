/**
 * kill -9 in the middle of a 50-file apply, 20 times (test/fixtures/workspaceCrash.ts in a child
 * process, SIGKILLed at a moment drawn from a seeded random source over the apply's measured
 * duration): after each, `Workspace.open` recovers, and the tree is wholly before or wholly after
 * (all 50 files compared byte for byte, no temp file left) and the log's last workspace event
 * says which.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, watch } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { Workspace } from '../../workspace/workspace.js';
import { CRASH_META, crashChanges, writeCrashTree } from '../fixtures/workspaceCrash.js';
import { trackChild } from '../helpers/childProcesses.js';
import { tempDir } from './workspaceRepo.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/workspaceCrash.ts');
const RUNS = 20;
const SEED = 14;

/** mulberry32: a small seeded source, so a failing draw can be run again. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Run {
  root: string;
  stateDir: string;
  logFile: string;
}

function freshRun(): Run {
  const root = tempDir('maestro-crash-');
  writeCrashTree(root);
  const stateDir = tempDir('maestro-crash-state-');
  return { root, stateDir, logFile: join(stateDir, 'missions', 'crash.jsonl') };
}

/** When to kill: so long after the child said `ready`, or after its journal line was written. */
type KillPlan = { from: 'ready' | 'journal'; afterMs: number } | undefined;

interface Timings {
  /** From `ready` to the journal line (`apply_started`) on disk. */
  toJournalMs?: number;
  /** From the journal line to `done`. */
  writeMs?: number;
  finished: boolean;
}

/** Starts the child and resolves once it exited, SIGKILLed as `plan` says. */
function runChild(run: Run, plan: KillPlan) {
  return new Promise<Timings>((resolve, reject) => {
    mkdirSync(dirname(run.logFile), { recursive: true });
    let readyAt: number | undefined;
    let journalAt: number | undefined;
    let doneAt: number | undefined;
    const kill = (from: 'ready' | 'journal') => {
      if (plan?.from === from) setTimeout(() => child.kill('SIGKILL'), plan.afterMs);
    };
    // inotify says when the log changed; the line itself says it is the journal's.
    const watcher = watch(dirname(run.logFile), () => {
      if (journalAt !== undefined) return;
      let text = '';
      try {
        text = readFileSync(run.logFile, 'utf8');
      } catch {
        return;
      }
      if (!text.includes('"workspace.apply_started"')) return;
      journalAt = performance.now();
      kill('journal');
    });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', FIXTURE, run.root, run.stateDir, run.logFile],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    trackChild(child);
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (readyAt === undefined && out.includes('ready\n')) {
        readyAt = performance.now();
        kill('ready');
      }
      if (doneAt === undefined && out.includes('done ')) doneAt = performance.now();
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      watcher.close();
      if (signal !== 'SIGKILL' && code !== 0)
        return reject(new Error(`crash fixture exited ${code}: ${err}`));
      resolve({
        toJournalMs:
          readyAt !== undefined && journalAt !== undefined ? journalAt - readyAt : undefined,
        writeMs: journalAt !== undefined && doneAt !== undefined ? doneAt - journalAt : undefined,
        finished: out.includes('done '),
      });
    });
  });
}

/** Which state the 50 files are in: wholly before, wholly after, or neither (a failure). */
function treeState(root: string): 'before' | 'after' | 'mixed' {
  const changes = crashChanges();
  const read = (p: string) => {
    try {
      return readFileSync(join(root, p));
    } catch {
      return null;
    }
  };
  const same = (a: Buffer | null, b: Buffer | null) =>
    a === null || b === null ? a === b : a.equals(b);
  const current = changes.map((c) => read(c.path));
  if (changes.every((c, i) => same(current[i]!, c.before))) return 'before';
  if (changes.every((c, i) => same(current[i]!, c.after))) return 'after';
  return 'mixed';
}

function tempFilesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('.tmp'));
}

/** Opens the workspace again (recovery) and checks the tree against the log's last word. */
async function recoverAndCheck(run: Run, at: string) {
  const log = new EventLog(run.logFile, 'crash').open();
  const ws = await Workspace.open(run.root, { stateDir: run.stateDir, log });
  const state = treeState(run.root);
  const last = ws.events().at(-1);
  ws.close();
  log.close();
  expect(state, at).not.toBe('mixed');
  expect(tempFilesIn(run.root), at).toEqual([]);
  // Wholly before includes the folders the edit would have made.
  if (state === 'before')
    expect(
      existsSync(join(run.root, 'new')) &&
        readdirSync(join(run.root, 'new'), { recursive: true, encoding: 'utf8' }),
      `${at}; last event ${last?.type}`,
    ).toBe(false);
  if (last === undefined) {
    expect(state, at).toBe('before');
    return 'notJournaled' as const;
  }
  if (last.type === 'workspace.rolled_back') {
    expect(state, at).toBe('before');
    expect(last, at).toMatchObject({
      recovered: true,
      hash: CRASH_META.hash,
      stats: CRASH_META.stats,
    });
    return 'rolledBack' as const;
  }
  expect(last.type, at).toBe('workspace.applied');
  expect(state, at).toBe('after');
  return last.type === 'workspace.applied' && last.recovered
    ? ('recoveredAfter' as const)
    : ('applied' as const);
}

describe('Workspace.apply killed with SIGKILL mid-apply', () => {
  it('should leave the tree wholly before or wholly after, and the log should say which, 20 times out of 20', async () => {
    const calibration = freshRun();
    const full = await runChild(calibration, undefined);
    expect(full.finished).toBe(true);
    expect(treeState(calibration.root)).toBe('after');
    const toJournal = full.toJournalMs ?? 60;
    const writing = full.writeMs ?? 60;

    const random = seeded(SEED);
    // One kill in four before the journal line (checks, backup), the rest over the writes as the
    // first apply timed them, and past them: an apply under load takes longer.
    const draws = Array.from({ length: RUNS }, (_, i) => ({
      from: i % 4 === 0 ? ('ready' as const) : ('journal' as const),
      fraction: random(),
    }));
    const tally = { notJournaled: 0, rolledBack: 0, recoveredAfter: 0, applied: 0 };
    // Two children at a time: each spends most of its life starting node and tsx.
    for (let i = 0; i < RUNS; i += 2) {
      const batch = draws.slice(i, i + 2).map((d, j) => {
        const plan = {
          from: d.from,
          afterMs: d.fraction * (d.from === 'ready' ? toJournal : writing * 2.5),
        };
        const run = freshRun();
        return runChild(run, plan).then((timings) => ({ run, plan, timings, index: i + j }));
      });
      for (const { run, plan, timings, index } of await Promise.all(batch)) {
        const outcome = await recoverAndCheck(
          run,
          `run ${index} (seed ${SEED}, kill ${plan.afterMs.toFixed(1)} ms after ${plan.from}, finished: ${timings.finished})`,
        );
        tally[outcome]++;
      }
    }
    console.info(
      `workspace crash: ${RUNS} kills (seed ${SEED}; the first apply: ${toJournal.toFixed(0)} ms to ` +
        `its journal line, ${writing.toFixed(0)} ms of writes): ` +
        `${tally.notJournaled + tally.rolledBack} before (${tally.notJournaled} killed before the journal, ` +
        `${tally.rolledBack} rolled back), ${tally.recoveredAfter + tally.applied} after ` +
        `(${tally.recoveredAfter} recovered, ${tally.applied} applied before the kill)`,
    );
    expect(tally.rolledBack + tally.recoveredAfter).toBeGreaterThan(0);
  }, 60_000);
});
