/**
 * Resume from a long log: a Hanoi MAKER mission (20 disks) whose event log holds N decided steps
 * (default 1,000,000 `maker.vote` lines, the moves of the true solution), written as a crashed
 * daemon would leave it. A daemon starts on that state directory and resumes the mission; the
 * figure is the time from `start()` to the resumed mission's first new vote in the log.
 *
 * Two logs: one with a snapshot near the end (`--snapshot-at`, default 990,000: snapshot plus a
 * 10,000-vote tail), as the runtime writes it with compaction turned off; and one with no
 * snapshot at all, every vote replayed (the worst case).
 *
 *   npx tsx bench/resume.ts [--steps N] [--snapshot-at S] [--json]
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import {
  applyMove,
  formatMove,
  hanoiInitialState,
  hanoiSolution,
  type HanoiState,
} from '../actors/tasks/index.js';
import { EventLog } from '../log/eventLog.js';
import { missionSchema } from '../config/mission.js';
import { Daemon } from '../daemon/daemon.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string' },
    'snapshot-at': { type: 'string' },
    json: { type: 'boolean' },
  },
});
const steps = Number(values.steps ?? 1_000_000);
const snapshotAt = Number(values['snapshot-at'] ?? 990_000);
const DISKS = 20;

const config = missionSchema.parse({
  name: 'resume-bench',
  providers: { model: { kind: 'simulated', seed: 1, errorRate: 0.001, task: { kind: 'hanoi' } } },
  agents: [{ id: 'solver', provider: 'model' }],
  stages: [
    {
      name: 'solve',
      maker: {
        task: { kind: 'hanoi', disks: DISKS },
        agent: 'solver',
        k: 2,
        snapshotEvery: 10_000_000,
      },
    },
  ],
});

/** Writes the log a daemon would have left after `steps` decided steps, then a crash. */
function writeLog(dir: string, id: string, withSnapshot: boolean): { bytes: number } {
  const file = EventLog.pathFor(dir, id);
  const log = new EventLog(file, id).open();
  log.append({ type: 'mission.submitted', name: config.name, config, keySalt: 'bench' });
  log.append({ type: 'mission.started', name: config.name, stages: ['solve'] });
  log.append({
    type: 'stage.entered',
    stage: 'solve',
    index: 0,
    attempt: 1,
    agents: ['solver'],
    maker: 'hanoi',
  });
  log.close();
  const path = `mission/${id}/stage/solve/maker/solver`;
  const fd = openSync(file, 'a');
  let state: HanoiState = hanoiInitialState(DISKS);
  let seq = 3;
  let previous: string | undefined;
  let buf = '';
  const ts = new Date().toISOString();
  let step = 0;
  for (const move of hanoiSolution(DISKS)) {
    if (step === steps) break;
    if (withSnapshot && step === snapshotAt) {
      buf += `${JSON.stringify({ seq: ++seq, ts, mission: id, type: 'maker.snapshot', path, step, state, previous, samples: step * 2, flagged: 0, exhausted: 0 })}\n`;
    }
    const answer = formatMove(move);
    buf += `{"seq":${++seq},"ts":"${ts}","mission":"${id}","type":"maker.vote","path":"${path}","k":2,"step":${step},"outcome":"decided","samples":2,"margin":2,"answer":"${answer}"}\n`;
    state = applyMove(state, move);
    previous = answer;
    step++;
    if (buf.length > 1 << 20) {
      writeSync(fd, buf);
      buf = '';
    }
  }
  writeSync(fd, buf);
  closeSync(fd);
  return { bytes: statSync(file).size };
}

async function measure(
  withSnapshot: boolean,
): Promise<{ ms: number; bytes: number; resumedAt: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-resume-'));
  try {
    const id = withSnapshot ? 'with-snapshot' : 'no-snapshot';
    const { bytes } = writeLog(dir, id, withSnapshot);
    let started = 0;
    let resumedAt = -1;
    let done: (ms: number) => void = () => {};
    const firstVote = new Promise<number>((resolve) => (done = resolve));
    const noop = () => {};
    // Every event of the resumed mission passes here: the first new vote is the proof it went
    // on from the right step.
    const observer = {
      inspect: noop,
      childStarted: noop,
      setRootPath: noop,
      observe: (e: { type: string; step?: unknown }) => {
        if (resumedAt === -1 && e.type === 'maker.vote') {
          resumedAt = e.step as number;
          done(performance.now() - started);
        }
      },
    };
    const daemon = new Daemon({ stateDir: dir, logger: pino({ level: 'silent' }), observer });
    started = performance.now();
    const { resumed } = daemon.start();
    if (!resumed.includes(id)) throw new Error(`mission ${id} was not resumed`);
    const ms = await firstVote;
    await daemon.shutdown();
    return { ms, bytes, resumedAt };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const snap = await measure(true);
const full = await measure(false);
const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
const lines = [
  `resume: log of ${steps} decided steps (hanoi ${DISKS} disks)`,
  `  snapshot at step ${snapshotAt} + ${steps - snapshotAt}-vote tail (${mb(snap.bytes)} MiB): first new vote at step ${snap.resumedAt} after ${snap.ms.toFixed(0)} ms`,
  `  no snapshot, all ${steps} votes replayed (${mb(full.bytes)} MiB): first new vote at step ${full.resumedAt} after ${full.ms.toFixed(0)} ms`,
  `  target: < 5000 ms`,
];
if (values.json)
  console.log(
    JSON.stringify({
      steps,
      snapshotAt,
      withSnapshotMs: snap.ms,
      noSnapshotMs: full.ms,
      bytes: snap.bytes,
    }),
  );
else for (const l of lines) console.log(l);
