/**
 * The daemon's API while a CPU-bound mission runs: a real `maestro daemon` process, one MAKER
 * mission of 2^disks - 1 steps (default 16 disks: 65,535 steps) on a zero-latency simulated
 * model, and a GET /api/missions every 20 ms for as long as it runs. Prints the API's latency
 * (p50, p99, max) and the mission's steps per second, then the same with the mission's steps
 * run back to back for the baseline: requests to an idle daemon.
 *
 *   npx tsx bench/apiLatency.ts [--disks N] [--interval-ms 20] [--json]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DaemonClient } from '../daemon/daemonClient.js';

const { values } = parseArgs({
  options: {
    disks: { type: 'string' },
    'interval-ms': { type: 'string' },
    json: { type: 'boolean' },
  },
});
const disks = Number(values.disks ?? 16);
const steps = 2 ** disks - 1;
// A long interval measures the mission's own steps/s, without the cost of serving the requests.
const intervalMs = Number(values['interval-ms'] ?? 20);

const mission = `
name: cpu
providers:
  model: { kind: simulated, seed: 1, errorRate: 0, task: { kind: hanoi } }
agents: [{ id: solver, provider: model }]
stages:
  - name: solve
    maker: { task: { kind: hanoi, disks: ${disks} }, agent: solver, k: 1, maxSamples: 3 }
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? NaN;

const dir = mkdtempSync(join(tmpdir(), 'maestro-latency-'));
const child = spawn(
  process.execPath,
  ['cli/dev.js', 'daemon', '--state-dir', dir, '--listen', '0', '--log-level', 'warn'],
  { stdio: ['ignore', 'ignore', 'pipe'] },
);
let stderr = '';
child.stderr.on('data', (d) => (stderr += d));
try {
  const info = join(dir, 'daemon.json');
  for (let i = 0; !existsSync(info); i++) {
    if (i > 500) throw new Error(`daemon did not start:\n${stderr}`);
    await sleep(20);
  }
  const { url, token } = JSON.parse(readFileSync(info, 'utf8')) as { url: string; token: string };
  const client = new DaemonClient({ url, token });
  const get = async (): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(new URL('/api/missions', url), {
      headers: { authorization: `Bearer ${token}` },
    });
    await res.arrayBuffer();
    return performance.now() - t0;
  };

  const idle: number[] = [];
  for (let i = 0; i < 100; i++) {
    idle.push(await get());
    await sleep(5);
  }

  const { id } = await client.submit({ source: mission, filename: 'cpu.yaml' });
  const busy: number[] = [];
  let status = await client.status(id);
  while (status.state === 'running') {
    const next = sleep(intervalMs);
    busy.push(await get());
    status = await client.status(id);
    await next;
  }
  const state = status.state;
  // The mission's own time, from its record: the polling interval does not round it.
  const seconds = (Date.parse(status.finishedAt!) - Date.parse(status.submittedAt)) / 1000;
  const figures = {
    steps,
    missionState: state,
    missionSeconds: Number(seconds.toFixed(2)),
    stepsPerSecond: Math.round(steps / seconds),
    requests: busy.length,
    idleP50Ms: Number(pct(idle, 50).toFixed(1)),
    idleP99Ms: Number(pct(idle, 99).toFixed(1)),
    busyP50Ms: Number(pct(busy, 50).toFixed(1)),
    busyP99Ms: Number(pct(busy, 99).toFixed(1)),
    busyMaxMs: Number(Math.max(...busy).toFixed(1)),
  };
  if (values.json) console.log(JSON.stringify(figures));
  else {
    console.log(
      `mission: ${steps} MAKER steps on a zero-latency model, ${figures.missionState} in ${figures.missionSeconds} s (${figures.stepsPerSecond} steps/s)`,
    );
    console.log(
      `GET /api/missions, idle daemon:  p50 ${figures.idleP50Ms} ms, p99 ${figures.idleP99Ms} ms (100 requests)`,
    );
    console.log(
      `GET /api/missions, mission busy: p50 ${figures.busyP50Ms} ms, p99 ${figures.busyP99Ms} ms, max ${figures.busyMaxMs} ms (${figures.requests} requests, one every ${intervalMs} ms)`,
    );
  }
} finally {
  child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
