/**
 * Chaos over NATS: a Hanoi MAKER mission whose samples go to `maestro worker` processes while
 * workers are SIGKILLed and replaced on a timer and the nats-server is restarted once midway.
 * Every decided move is checked against the true solution. A sample lost with its worker or its
 * server times out (the agent's timeoutMs) and the stage supervisor restarts the runner at the
 * same step; nothing else is retried.
 *
 *   npx tsx bench/chaos.ts [--steps 10000] [--kill-every-ms 2000] [--workers 2]
 *     [--timeout-ms 1000] [--latency-ms 1] [--error-rate 0.005] [--k 3] [--seed 1] [--json]
 *
 * Prints steps decided, wrong steps, lost steps (expected − decided), steps decided twice,
 * workers killed, server restarts, supervisor restarts and wall time; exits 0 only when wrong,
 * lost and twice are all 0. `runChaos` is also run, shorter, by test/integration/natsMission.test.ts.
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { LoggedEvent } from '../log/eventLog.js';
import { formatMove, hanoiSolution } from '../actors/tasks/index.js';
import { missionSchema } from '../config/mission.js';
import { runMission } from '../runner/runMission.js';
import { parseNatsOptions } from '../transport/natsOptions.js';
import { startNatsServer } from '../test/helpers/natsServer.js';
import { startWorker, stopAllWorkers, type WorkerProcess } from '../test/helpers/workerProcess.js';

export interface ChaosOptions {
  /** Steps to decide; the task has the fewest disks with 2^n − 1 ≥ steps. @default 10000 */
  steps?: number;
  /** @default 2000 */
  killEveryMs?: number;
  /** Workers serving at once (each killed one is replaced). @default 2 */
  workers?: number;
  /** The agent's call timeout: how long a sample lost with its worker holds its vote. @default 1000 */
  timeoutMs?: number;
  /** The simulated model's fixed latency per sample. @default 1 */
  latencyMs?: number;
  /** The simulated model's rate of (dominant) wrong answers. @default 0.005 */
  errorRate?: number;
  /** @default 3 */
  k?: number;
  /** @default 1 */
  seed?: number;
  /** Workers' registry heartbeat; a killed worker is reported lost after 3 missed beats. @default 500 */
  heartbeatMs?: number;
  /** Progress lines. @default none */
  log?: (line: string) => void;
}

export interface ChaosReport {
  steps: number;
  disks: number;
  k: number;
  decided: number;
  wrong: number;
  lost: number;
  twice: number;
  workersKilled: number;
  /** Kill ticks skipped because only one worker was serving (its replacement still starting). */
  killsSkipped: number;
  /** Killed workers the registry reported lost (a supervisor decision under `workers/<mission>`). */
  workersReportedLost: number;
  serverRestarts: number;
  supervisorRestarts: number;
  samples: number;
  wallMs: number;
  mission: { status: string; reason?: string; message?: string };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runChaos(options: ChaosOptions = {}): Promise<ChaosReport> {
  const steps = options.steps ?? 10_000;
  const killEveryMs = options.killEveryMs ?? 2000;
  const workers = options.workers ?? 2;
  const k = options.k ?? 3;
  const t0 = Date.now();
  const log = options.log
    ? (line: string) => options.log!(`${((Date.now() - t0) / 1000).toFixed(1)}s ${line}`)
    : () => {};
  const disks = Math.max(1, Math.ceil(Math.log2(steps + 1)));
  const total = 2 ** disks - 1;
  const dir = mkdtempSync(join(tmpdir(), 'maestro-chaos-'));
  const configFile = join(dir, 'chaos.json');
  const raw = {
    name: 'chaos',
    providers: {
      sim: {
        kind: 'simulated',
        seed: options.seed ?? 1,
        errorRate: options.errorRate ?? 0.005,
        crashRate: 0,
        latencyMs: { distribution: 'fixed', ms: options.latencyMs ?? 1 },
        task: { kind: 'hanoi', errorMode: 'dominant' },
      },
    },
    agents: [{ id: 'solver', provider: 'sim', timeoutMs: options.timeoutMs ?? 1000 }],
    stages: [
      {
        name: 'solve',
        maker: {
          task: { kind: 'hanoi', disks },
          agent: 'solver',
          k,
          maxSamples: 30,
          ...(steps < total && { maxSteps: steps }),
        },
        // Every lost sample is a restart: allow plenty, and back off while no worker answers at all.
        supervision: {
          intensity: 100_000,
          periodMs: 60_000,
          backoff: { minMs: 50, maxMs: 1000, randomFactor: 0.2 },
        },
      },
    ],
  };
  writeFileSync(configFile, JSON.stringify(raw, null, 2));
  const config = missionSchema.parse(raw);
  const truth: string[] = [];
  for (const move of hanoiSolution(disks)) {
    if (truth.length === steps) break;
    truth.push(formatMove(move));
  }

  const server = await startNatsServer();
  const pool: WorkerProcess[] = [];
  let done = false;
  let finished!: () => void;
  const finishedP = new Promise<void>((r) => (finished = r));
  let seq = 0;
  const spawnOne = async (): Promise<void> => {
    // A worker started while the server restarts cannot connect and exits: try again.
    while (!done) {
      try {
        const w = await startWorker({
          natsUrl: server.url,
          config: configFile,
          capabilities: ['sim'],
          id: `chaos-${++seq}`,
          heartbeatMs: options.heartbeatMs ?? 500,
        });
        if (done) void w.kill();
        else pool.push(w);
        log(`${w.id} serving`);
        return;
      } catch {
        await sleep(250);
      }
    }
  };

  const missionId = `chaos-${Date.now().toString(36)}`;
  const decidedAt = new Map<number, number>();
  const counts = {
    wrong: 0,
    twice: 0,
    killed: 0,
    skipped: 0,
    reportedLost: 0,
    serverRestarts: 0,
    restarts: 0,
  };
  let restart: Promise<void> | undefined;
  const onEvent = (e: LoggedEvent) => {
    if (e.type === 'maker.vote' && e.outcome === 'decided') {
      const step = e.step as number;
      const n = (decidedAt.get(step) ?? 0) + 1;
      decidedAt.set(step, n);
      if (n > 1) counts.twice++;
      if (truth[step] !== e.answer) counts.wrong++;
      if (!restart && decidedAt.size >= steps / 2) {
        log(`step ${step}: restarting nats-server`);
        counts.serverRestarts++;
        restart = server
          .restart()
          .catch((err: unknown) => log(`nats-server restart failed: ${String(err)}`));
      }
      if (step > 0 && step % 1000 === 0)
        log(
          `step ${step}: ${counts.killed} workers killed, ${counts.restarts} supervisor restarts`,
        );
    } else if (e.type === 'supervisor.decision') {
      if (e.action === 'restart' && String(e.supervisor).endsWith('/stage/solve')) {
        counts.restarts++;
        log(`restart at step ${decidedAt.size}: ${String(e.reason)}`);
      }
      if (e.supervisor === `workers/${missionId}` && String(e.reason).includes('missed_heartbeats'))
        counts.reportedLost++;
    }
  };

  const started = Date.now();
  try {
    await Promise.all(Array.from({ length: workers }, spawnOne));
    log(`${workers} workers serving on ${server.url}; a kill every ${killEveryMs} ms`);
    const killer = (async () => {
      const replacements: Promise<void>[] = [];
      while (!done) {
        await Promise.race([sleep(killEveryMs), finishedP]);
        // Never the last one serving: the point is to lose work in flight, not to starve the mission.
        if (done || pool.length < 2) {
          if (!done) counts.skipped++;
          continue;
        }
        const victim = pool.shift()!;
        void victim.kill('SIGKILL');
        counts.killed++;
        log(`killed ${victim.id} at step ${decidedAt.size}; ${pool.length} serving`);
        replacements.push(spawnOne());
      }
      await Promise.allSettled(replacements);
    })();
    const { output } = await runMission(config, {
      stateDir: dir,
      logger: pino({ level: 'silent' }),
      missionId,
      nats: parseNatsOptions({ servers: server.url, reconnectTimeWaitMs: 100 }),
      waitWorkersMs: 30_000,
      onEvent,
    }).finally(() => {
      done = true;
      finished();
    });
    await killer;
    await restart;
    const wallMs = Date.now() - started;
    return {
      steps,
      disks,
      k,
      decided: decidedAt.size,
      wrong: counts.wrong,
      lost: steps - decidedAt.size,
      twice: counts.twice,
      workersKilled: counts.killed,
      killsSkipped: counts.skipped,
      workersReportedLost: counts.reportedLost,
      serverRestarts: counts.serverRestarts,
      supervisorRestarts: counts.restarts,
      samples: output.usage.samples,
      wallMs,
      mission: {
        status: output.status,
        ...(output.error && { reason: output.error.reason, message: output.error.message }),
      },
    };
  } finally {
    done = true;
    finished();
    await stopAllWorkers();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printReport(
  r: ChaosReport,
  o: { killEveryMs: number; workers: number; timeoutMs: number },
): void {
  const rows: [string, string | number][] = [
    ['steps decided', `${r.decided} of ${r.steps} (${r.disks} disks, k ${r.k})`],
    ['wrong steps', r.wrong],
    ['lost steps', r.lost],
    ['steps decided twice', r.twice],
    [
      'workers killed',
      `${r.workersKilled} of ${o.workers} serving, one every ${o.killEveryMs} ms unless it was the last one serving (${r.killsSkipped} ticks skipped); ${r.workersReportedLost} reported lost by the registry`,
    ],
    ['server restarts', r.serverRestarts],
    ['supervisor restarts', `${r.supervisorRestarts} (agent timeout ${o.timeoutMs} ms)`],
    ['samples', r.samples],
    ['wall time', `${(r.wallMs / 1000).toFixed(1)} s`],
    ['mission', missionLine(r)],
  ];
  for (const [label, value] of rows) console.log(`${label.padEnd(20)} ${value}`);
  console.log(ok(r) ? 'PASS: zero wrong, lost and doubly decided steps' : 'FAIL');
}

/** A run of fewer steps than the task has ends at maxSteps: that is the run asked for, not a failure. */
function missionLine(r: ChaosReport): string {
  if (r.mission.status === 'failed' && r.mission.message?.startsWith(`maxSteps ${r.steps} reached`))
    return `stopped at maxSteps ${r.steps}, as asked`;
  return r.mission.status + (r.mission.message ? `: ${r.mission.message}` : '');
}

const ok = (r: ChaosReport) => r.wrong === 0 && r.lost === 0 && r.twice === 0;

async function main(): Promise<number> {
  const { values: a } = parseArgs({
    options: {
      steps: { type: 'string', default: '10000' },
      'kill-every-ms': { type: 'string', default: '2000' },
      workers: { type: 'string', default: '2' },
      'timeout-ms': { type: 'string', default: '1000' },
      'latency-ms': { type: 'string', default: '1' },
      'error-rate': { type: 'string', default: '0.005' },
      k: { type: 'string', default: '3' },
      seed: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
    },
  });
  const o = {
    steps: Number(a.steps),
    killEveryMs: Number(a['kill-every-ms']),
    workers: Number(a.workers),
    timeoutMs: Number(a['timeout-ms']),
    latencyMs: Number(a['latency-ms']),
    errorRate: Number(a['error-rate']),
    k: Number(a.k),
    seed: Number(a.seed),
  };
  for (const [name, v] of Object.entries(o)) {
    if (!Number.isFinite(v) || v < 0)
      throw new Error(`--${name}: expected a non-negative number, got ${String(v)}`);
  }
  const report = await runChaos({
    ...o,
    log: a.json ? undefined : (line) => console.error(`chaos: ${line}`),
  });
  if (a.json) console.log(JSON.stringify(report, null, 2));
  else printReport(report, o);
  return ok(report) ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(2);
    },
  );
}
