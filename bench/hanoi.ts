/**
 * The MAKER benchmark: Towers of Hanoi through the real runtime (mission → stage supervisor →
 * task statechart → vote statechart → sampler → in-memory transport → provider service →
 * simulated model), every move checked against the true solution; then the same votes as a
 * plain loop with no actors, no transport and no event log, as the baseline, in the same run.
 *
 *   npm run bench:hanoi -- --disks 20 --error-rate 0.0022 --k auto [--target 0.95]
 *     [--latency-ms L] [--max-steps N] [--mode dominant|varied|correlated] [--red-flag-rate R]
 *     [--seed S] [--no-baseline] [--json]
 *     [--transport nats --workers N [--nats URL] [--compare-steps N]]
 *     [--inspector off|noop|idle|client|page|compare]
 *
 * `--inspector compare` runs the same steps three times in one process: inspector off, on with
 * no client, on with one ws client reading every delta, and on with the page open in chromium
 * drawing the vote's statechart diagram live, and prints the slowdowns against off.
 *
 * With `--transport nats` the samples go over NATS (request/reply, queue group maestro.providers)
 * to N `maestro worker` processes, and the same mission also runs on the in-memory transport for
 * `--compare-steps` steps (default 100,000) to show the latency NATS adds, in the same run.
 *
 * Over 400 lines: one benchmark's script, read top to bottom (flags, the runs it compares in one
 * process, the figures it prints); its pieces are used nowhere else, and split into files the
 * comparison each figure belongs to would be harder to follow.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { calibrate, expectedSamplesPerStep } from '../actors/maker/calibrator.js';
import { createRedFlagger } from '../actors/maker/redFlag.js';
import { VoteTally } from '../actors/maker/voteTally.js';
import { mulberry32 } from '../actors/providers/random.js';
import { formatMove, hanoiSolution, hanoiTask, type HanoiState } from '../actors/tasks/index.js';
import { hanoiSimulatedAnswer, type HanoiErrorMode } from '../actors/tasks/hanoiSimulator.js';
import { missionSchema } from '../config/mission.js';
import { runMission } from '../runner/runMission.js';
import { connect } from '@nats-io/transport-node';
import { WebSocket } from 'ws';
import { InspectorHub } from '../inspector/hub.js';
import { startInspectorServer } from '../inspector/server.js';
import { parseNatsOptions } from '../transport/natsOptions.js';
import { startNatsServer } from '../test/helpers/natsServer.js';

const { values: a } = parseArgs({
  options: {
    disks: { type: 'string', default: '20' },
    'error-rate': { type: 'string', default: '0.0022' },
    k: { type: 'string', default: 'auto' },
    target: { type: 'string', default: '0.95' },
    'latency-ms': { type: 'string', default: '0' },
    'max-steps': { type: 'string' },
    mode: { type: 'string', default: 'dominant' },
    'red-flag-rate': { type: 'string', default: '0' },
    'max-chars': { type: 'string', default: '1500' },
    seed: { type: 'string', default: '1' },
    'no-baseline': { type: 'boolean', default: false },
    transport: { type: 'string', default: 'memory' },
    workers: { type: 'string', default: '2' },
    nats: { type: 'string' },
    'compare-steps': { type: 'string', default: '100000' },
    inspector: { type: 'string', default: 'off' },
    json: { type: 'boolean', default: false },
  },
});
const disks = Number(a.disks);
const errorRate = Number(a['error-rate']);
const target = Number(a.target);
const latencyMs = Number(a['latency-ms']);
const redFlagRate = Number(a['red-flag-rate']);
const mode = a.mode as HanoiErrorMode;
const seed = Number(a.seed);
const totalSteps = 2 ** disks - 1;
const maxSteps = a['max-steps'] ? Math.min(Number(a['max-steps']), totalSteps) : totalSteps;
const k = a.k === 'auto' ? calibrate({ errorRate, steps: totalSteps, target }).k : Number(a.k);
const theory = expectedSamplesPerStep(1 - errorRate, k, redFlagRate);
const log = (line: string) => a.json || console.log(line);

/** Walks the true solution alongside the run and counts the moves that differ from it. */
function checker() {
  const truth = hanoiSolution(disks);
  let wrong = 0;
  let checked = 0;
  return {
    check(answer: string) {
      const t = truth.next();
      checked++;
      if (t.done || formatMove(t.value) !== answer) wrong++;
    },
    get wrong() {
      return wrong;
    },
    get checked() {
      return checked;
    },
  };
}

const useNats = a.transport === 'nats';
if (a.transport !== 'memory' && !useNats)
  throw new Error(`--transport: expected memory or nats, got '${a.transport}'`);

/** A nats-server of our own (unless --nats) and N `maestro worker` processes serving `sim`. */
async function natsWorkers(providers: unknown) {
  const server = a.nats ? undefined : await startNatsServer();
  const url = a.nats ?? server!.url;
  const dir = mkdtempSync(join(tmpdir(), 'maestro-hanoi-nats-'));
  const file = join(dir, 'providers.json');
  writeFileSync(file, JSON.stringify({ providers }));
  const children: ChildProcess[] = [];
  process.on('exit', () =>
    children.forEach((c) => {
      c.kill('SIGKILL');
    }),
  );
  await Promise.all(
    Array.from({ length: Number(a.workers) }, (_, i) => {
      const child = spawn(
        process.execPath,
        [
          'cli/dev.js',
          'worker',
          '--nats',
          url,
          '--capability',
          'sim',
          '--config',
          file,
          '--id',
          `bench-w${i + 1}`,
          '--concurrency',
          '32',
          '--log-level',
          'warn',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      children.push(child);
      return new Promise<void>((resolve, reject) => {
        let err = '';
        child.stderr!.on('data', (d) => {
          err += d;
          if (err.includes('serving')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${err}`)));
      });
    }),
  );
  return {
    url,
    async stop() {
      children.forEach((c) => {
        c.kill('SIGTERM');
      });
      await Promise.all(
        children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r)))),
      );
      await server?.stop();
    },
  };
}

/** An inspector for a run: the hub, its server, and (for 'client') one ws client reading every delta. */
async function inspectorFor(mode: string) {
  if (mode === 'off') return undefined;
  if (mode === 'noop') {
    // XState's own cost of inspection: every event built and handed to a callback that does nothing.
    const noop = () => {};
    return {
      hub: { inspect: noop, childStarted: noop, observe: noop, setRootPath: noop },
      received: 0,
      close: async () => {},
    };
  }
  const hub = new InspectorHub();
  hub.start();
  const server = await startInspectorServer(hub, {});
  let client: WebSocket | undefined;
  let received = 0;
  let closePage: (() => Promise<void>) | undefined;
  if (mode === 'page') closePage = await openPage(server);
  if (mode === 'client') {
    client = new WebSocket(`${server.url.replace('http', 'ws')}ws`);
    client.on('message', () => received++);
    await new Promise((resolve) => client!.once('message', resolve));
  }
  return {
    hub,
    get received() {
      return received;
    },
    async close() {
      client?.close();
      await closePage?.();
      hub.stop();
      await server.close();
    },
  };
}

/**
 * The page in chromium, as a person watching would have it: opened on the vote's node
 * (`#node=`), so its statechart diagram (laid out by ELK) is drawn and lit on every step.
 * Chromium runs on its own, not driven over CDP: a driver in this process would relay every ws
 * frame of the page to it, a cost of the measurement, not of the inspector. Chromium's own CPU
 * shows in the wall time (two cores), not in this process's CPU time.
 */
async function openPage(server: { url: string; stats(): { clients: number } }) {
  const profile = mkdtempSync(join(tmpdir(), 'maestro-hanoi-chromium-'));
  const node = encodeURIComponent('mission/bench/stage/solve/maker/solver/vote');
  const chromium = spawn(
    process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      '--window-size=1400,900',
      `${server.url}#node=${node}`,
    ],
    // Its own process group: the renderer and GPU processes go with it.
    { stdio: 'ignore', detached: true },
  );
  const deadline = Date.now() + 30_000;
  while (server.stats().clients === 0) {
    if (Date.now() > deadline || chromium.exitCode !== null)
      throw new Error('the inspector page in chromium did not connect within 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  // The page's scripts and ELK loaded and parsed before the run starts.
  await new Promise((r) => setTimeout(r, 1500));
  return async () => {
    const exited = new Promise((r) => chromium.once('exit', r));
    process.kill(-chromium.pid!, 'SIGKILL');
    await exited;
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
}

async function runtimeRun(steps: number, natsUrl?: string, inspectorMode = 'off') {
  const inspector = await inspectorFor(inspectorMode);
  const stateDir = mkdtempSync(join(tmpdir(), 'maestro-hanoi-'));
  const config = missionSchema.parse({
    name: 'hanoi-bench',
    providers: providersConfig,
    agents: [{ id: 'solver', provider: 'sim' }],
    stages: [
      {
        name: 'solve',
        maker: {
          task: { kind: 'hanoi', disks },
          agent: 'solver',
          k,
          maxSamples: 100,
          redFlag: { maxChars: Number(a['max-chars']) },
          maxSteps: steps === totalSteps ? undefined : steps,
        },
        supervision: { intensity: 3, periodMs: 60_000 },
      },
    ],
  });
  const check = checker();
  let samples = 0;
  let flagged = 0;
  let exhausted = 0;
  let peakRss = 0;
  const rssAt: Record<string, number> = {};
  const quarter = Math.max(1, Math.floor(steps / 4));
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const { output, eventLogFile } = await runMission(config, {
    stateDir,
    logger: pino({ level: 'silent' }),
    missionId: 'bench',
    ...(inspector && { observer: inspector.hub }),
    ...(natsUrl && { nats: parseNatsOptions({ servers: natsUrl }), waitWorkersMs: 30_000 }),
    onEvent: (e) => {
      if (e.type !== 'maker.vote') return;
      samples += e.samples as number;
      for (const n of Object.values((e.flagged as Record<string, number>) ?? {})) flagged += n;
      if (e.outcome === 'exhausted') {
        exhausted++;
        return;
      }
      check.check(e.answer as string);
      if (check.checked % 1000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
      if (check.checked % quarter === 0)
        rssAt[`${Math.round((100 * check.checked) / steps)}%`] = Math.round(
          process.memoryUsage().rss / 2 ** 20,
        );
    },
  }).catch((err) => {
    throw err;
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  await inspector?.close();
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const logBytes = statSync(eventLogFile).size;
  rmSync(stateDir, { recursive: true, force: true });
  return {
    status: output.status,
    error: output.error,
    steps: check.checked,
    wrong: check.wrong,
    seconds,
    cpuSeconds,
    samples,
    flagged,
    exhausted,
    peakRssMb: Math.round(peakRss / 2 ** 20),
    rssMbAt: rssAt,
    eventLogBytes: logBytes,
  };
}

/** The same votes with nothing around them: prompt, sample, red-flag, tally, apply. */
function baselineRun() {
  const random = mulberry32(seed);
  const judge = createRedFlagger<HanoiState>({ maxChars: Number(a['max-chars']) }, (text, state) =>
    hanoiTask.parse(text, state),
  );
  const check = checker();
  let state = hanoiTask.initialState({ disks });
  let previous: string | undefined;
  let samples = 0;
  let flagged = 0;
  let exhausted = 0;
  const started = process.hrtime.bigint();
  for (let step = 0; step < maxSteps && !hanoiTask.isDone(state, step); step++) {
    const prompt = hanoiTask.prompt(state, step, previous);
    const tally = new VoteTally<{ nextState: HanoiState }>();
    let winner: string | undefined;
    let drawn = 0;
    while (winner === undefined && drawn < 100) {
      drawn++;
      const judged = judge(
        hanoiSimulatedAnswer(prompt, random, { errorRate, errorMode: mode, redFlagRate }),
        state,
      );
      if (!judged.ok) flagged++;
      else {
        tally.add(judged.parse.answer, judged.parse);
        winner = tally.winner(k);
      }
    }
    samples += drawn;
    if (winner === undefined) {
      exhausted++;
      step--;
      continue;
    }
    check.check(winner);
    state = tally.parseOf(winner)!.nextState;
    previous = winner;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { steps: check.checked, wrong: check.wrong, seconds, samples, flagged, exhausted };
}

/** The ceiling: raw nats.js requests (a Hanoi prompt out, a move back) to two bare responder processes. */
async function rawRequestRate(url: string, n = 20_000, inFlight = 64): Promise<number> {
  const responders = [0, 1].map(() =>
    spawn(process.execPath, ['--import', 'tsx', 'bench/rawResponder.ts', url], {
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );
  await Promise.all(
    responders.map((c) => new Promise((resolve) => c.stdout!.once('data', resolve))),
  );
  const nc = await connect({ servers: url });
  const payload = new TextEncoder().encode(
    JSON.stringify({
      v: 1,
      id: 'x'.repeat(60),
      provider: 'sim',
      request: { prompt: hanoiTask.prompt(hanoiTask.initialState({ disks }), 0, undefined) },
    }),
  );
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < n) await nc.request('bench.raw', payload, { timeout: 10_000 });
    }),
  );
  const rate = n / (Number(process.hrtime.bigint() - t0) / 1e9);
  await nc.close();
  responders.forEach((c) => {
    c.kill('SIGTERM');
  });
  return rate;
}

const providersConfig = {
  sim: {
    kind: 'simulated',
    seed,
    errorRate,
    latencyMs: { distribution: 'fixed', ms: latencyMs },
    task: { kind: 'hanoi', errorMode: mode, redFlagRate },
  },
};
let r: Awaited<ReturnType<typeof runtimeRun>>;
let memory: Awaited<ReturnType<typeof runtimeRun>> | undefined;
let rawRate: number | undefined;
const perStepUs = (x: { seconds: number; steps: number }) =>
  (x.seconds * 1e6) / Math.max(1, x.steps);
if (a.inspector === 'compare') {
  // A warm-up run (the JIT), then the three modes alternated three times; the median of each.
  await runtimeRun(Math.ceil(maxSteps / 5), undefined, 'client');
  // Wall time swings ±20% between identical runs on these VMs; the process's CPU time per step
  // (user + system: this process does all the work of the in-memory runtime) is steadier.
  const runs: Record<string, { wall: number; cpu: number }[]> = {
    off: [],
    noop: [],
    idle: [],
    client: [],
    page: [],
  };
  const modes = ['off', 'noop', 'idle', 'client', 'page'];
  for (let round = 0; round < 3; round++) {
    // Each round starts at another mode: a run's place in the sequence (the heap the ones before
    // it left, the machine warming up) must not count as its mode's cost.
    for (const mode of [...modes.slice(round), ...modes.slice(0, round)]) {
      const run = await runtimeRun(maxSteps, undefined, mode);
      const wall = perStepUs(run);
      const cpu = (run.cpuSeconds * 1e6) / Math.max(1, run.steps);
      runs[mode]!.push({ wall, cpu });
      log(
        `inspector ${mode.padEnd(6)} round ${round + 1}: ${run.steps} steps, ${wall.toFixed(1)} µs/step wall, ${cpu.toFixed(1)} µs/step CPU, wrong steps ${run.wrong}`,
      );
    }
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const wall = Object.fromEntries(
    Object.entries(runs).map(([m, xs]) => [m, median(xs.map((x) => x.wall))]),
  );
  const cpu = Object.fromEntries(
    Object.entries(runs).map(([m, xs]) => [m, median(xs.map((x) => x.cpu))]),
  );
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  log(
    `XState inspection alone (a no-op inspect callback): ${pct(cpu.noop! / cpu.off! - 1)} CPU per step, ${pct(wall.noop! / wall.off! - 1)} wall`,
  );
  log(
    `inspector on, no client: ${pct(cpu.idle! / cpu.off! - 1)} CPU per step, ${pct(wall.idle! / wall.off! - 1)} wall, against off (target < +2%)`,
  );
  log(
    `inspector on, one ws client: ${pct(cpu.client! / cpu.off! - 1)} CPU per step, ${pct(wall.client! / wall.off! - 1)} wall, against off (target < +20%)`,
  );
  log(
    `inspector on, the page in chromium drawing the vote's diagram: ${pct(cpu.page! / cpu.off! - 1)} CPU per step (this process), ${pct(wall.page! / wall.off! - 1)} wall, against off (target < +20%)`,
  );
  process.exit(0);
}
if (useNats) {
  const net = await natsWorkers(providersConfig);
  r = await runtimeRun(maxSteps, net.url);
  rawRate = await rawRequestRate(net.url);
  await net.stop();
  memory = await runtimeRun(Math.min(maxSteps, Number(a['compare-steps'])));
} else r = await runtimeRun(maxSteps, undefined, a.inspector);
const b = a['no-baseline'] || latencyMs > 0 ? undefined : baselineRun();
const result = {
  disks,
  totalSteps,
  k,
  errorRate,
  target,
  latencyMs,
  mode,
  redFlagRate,
  seed,
  transport: a.transport,
  workers: useNats ? Number(a.workers) : 0,
  rawNatsRequestsPerSecond: rawRate,
  memory: memory && {
    steps: memory.steps,
    seconds: memory.seconds,
    perStepUs: perStepUs(memory),
    samplesPerSecond: memory.samples / memory.seconds,
  },
  theorySamplesPerStep: theory,
  runtime: {
    ...r,
    stepsPerSecond: r.steps / r.seconds,
    samplesPerStep: r.samples / Math.max(1, r.steps),
    perStepUs: perStepUs(r),
  },
  baseline: b && {
    ...b,
    stepsPerSecond: b.steps / b.seconds,
    samplesPerStep: b.samples / Math.max(1, b.steps),
    perStepUs: perStepUs(b),
  },
  ratio: b && perStepUs(r) / perStepUs(b),
};

if (a.json) console.log(JSON.stringify(result, null, 2));
else {
  const rt = result.runtime;
  log(
    `hanoi ${disks} disks: ${totalSteps} steps, k=${k}${a.k === 'auto' ? ` (auto: error rate ${errorRate}, target ${target})` : ''}, mode ${mode}, red-flag rate ${redFlagRate}, latency ${latencyMs} ms`,
  );
  const stoppedAsAsked =
    maxSteps < totalSteps &&
    r.steps === maxSteps &&
    r.error?.message.includes(`maxSteps ${maxSteps}`);
  const status = stoppedAsAsked
    ? `stopped at --max-steps ${maxSteps} as asked`
    : `status ${r.status}${r.error ? ` (${r.error.reason}: ${r.error.message})` : ''}`;
  log(
    `runtime: ${rt.steps} steps in ${rt.seconds.toFixed(1)} s (${Math.round(rt.stepsPerSecond)} steps/s, ${rt.perStepUs.toFixed(1)} µs/step), ${status}`,
  );
  log(
    `wrong steps: ${rt.wrong}; samples/step ${rt.samplesPerStep.toFixed(4)} (theory ${theory.toFixed(4)}, ${(((rt.samplesPerStep - theory) / theory) * 100).toFixed(2)}%); red-flagged ${rt.flagged}; exhausted votes ${rt.exhausted}`,
  );
  log(
    `peak RSS ${rt.peakRssMb} MB; RSS by progress ${JSON.stringify(rt.rssMbAt)}; event log ${(rt.eventLogBytes / 1024).toFixed(0)} KiB on disk`,
  );
  if (memory) {
    const added = rt.perStepUs - perStepUs(memory);
    log(
      `over NATS with ${a.workers} worker processes: ${Math.round(r.samples / r.seconds)} samples/s; in-memory, same run, ${memory.steps} steps: ${perStepUs(memory).toFixed(1)} µs/step, ${Math.round(memory.samples / memory.seconds)} samples/s`,
    );
    log(
      `latency NATS adds: ${added.toFixed(1)} µs per step (the first k samples go out in parallel), ${(added / rt.samplesPerStep).toFixed(1)} µs per sample`,
    );
    if (rawRate)
      log(
        `raw nats.js request rate, same server, 64 in flight: ${Math.round(rawRate)} req/s (the ceiling; a vote's samples are at most k in flight, so the run is latency-bound)`,
      );
  }
  if (latencyMs > 0)
    log(
      `wall time per step ${(rt.perStepUs / 1000).toFixed(1)} ms = ${(rt.perStepUs / 1000 / latencyMs).toFixed(3)} × latency`,
    );
  if (result.baseline) {
    const bl = result.baseline;
    log(
      `baseline (plain loop, no actors): ${bl.steps} steps in ${bl.seconds.toFixed(1)} s (${Math.round(bl.stepsPerSecond)} steps/s, ${bl.perStepUs.toFixed(1)} µs/step), wrong steps ${bl.wrong}, samples/step ${bl.samplesPerStep.toFixed(4)}`,
    );
    log(
      `runtime/baseline per step: ${result.ratio!.toFixed(1)}x (${(rt.perStepUs - bl.perStepUs).toFixed(1)} µs of runtime per step)`,
    );
  }
}
