/**
 * Memory of a daemon holding idle missions: a real `maestro daemon` process, N missions submitted
 * over its HTTP API (default 100), each waiting at an approval gate (idle: alive, durable, doing
 * nothing). Prints the daemon's RSS with no mission, with N, and per mission; then stops it with
 * SIGTERM and checks it suspends them all and exits 0.
 *
 *   npx tsx bench/daemonIdle.ts [--missions N] [--json]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DaemonClient } from '../daemon/daemonClient.js';

const { values } = parseArgs({
  options: { missions: { type: 'string' }, json: { type: 'boolean' } },
});
const n = Number(values.missions ?? 100);

const mission = `
name: idle
providers:
  planner: { kind: scripted, responses: ["a plan to approve"] }
agents:
  - { id: architect, provider: planner }
stages:
  - { name: plan, prompt: "plan {{input}}", agents: [architect], approval: true }
  - { name: build, prompt: "build {{previous}}", agents: [architect] }
`;

const rssMb = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'maestro-idle-'));
const child = spawn(
  process.execPath,
  ['cli/dev.js', 'daemon', '--state-dir', dir, '--listen', '0', '--log-level', 'warn'],
  { stdio: ['ignore', 'ignore', 'pipe'] },
);
let stderr = '';
child.stderr.on('data', (d) => (stderr += d));
const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
try {
  const info = join(dir, 'daemon.json');
  for (let i = 0; !existsSync(info); i++) {
    if (i > 300) throw new Error(`daemon did not start: ${stderr}`);
    await sleep(50);
  }
  const { url, token } = JSON.parse(readFileSync(info, 'utf8')) as { url: string; token: string };
  const client = new DaemonClient({ url, token });
  await sleep(1000);
  const empty = rssMb(child.pid!);
  const t0 = performance.now();
  for (let i = 0; i < n; i++)
    await client.submit({
      source: mission,
      filename: 'idle.yaml',
      id: `idle-${i}`,
      input: String(i),
    });
  for (let i = 0; (await client.approvals()).length < n; i++) {
    if (i > 600) throw new Error('missions did not all reach their approval gate');
    await sleep(50);
  }
  const submitMs = performance.now() - t0;
  // Let the garbage of the submissions go before measuring what stays.
  await sleep(3000);
  const full = rssMb(child.pid!);
  const t1 = performance.now();
  child.kill('SIGTERM');
  const code = await exited;
  const stopMs = performance.now() - t1;
  const suspended = Array.from({ length: n }, (_, i) =>
    readFileSync(join(dir, 'missions', `idle-${i}.jsonl`), 'utf8').includes(
      '"type":"mission.suspended"',
    ),
  ).filter(Boolean).length;
  const out = {
    missions: n,
    emptyRssMb: empty,
    rssMb: full,
    perMissionKb: ((full - empty) * 1024) / n,
    submitMs,
    stopMs,
    exitCode: code,
    suspended,
  };
  if (values.json) console.log(JSON.stringify(out));
  else {
    console.log(`daemon idle: ${n} missions waiting at an approval gate`);
    console.log(
      `  RSS: ${empty.toFixed(1)} MB with none, ${full.toFixed(1)} MB with ${n} (${out.perMissionKb.toFixed(0)} KB per mission); target < 200 MB`,
    );
    console.log(
      `  submitted and at their gates in ${(submitMs / 1000).toFixed(1)} s; SIGTERM → exit ${code} in ${stopMs.toFixed(0)} ms, ${suspended}/${n} suspended`,
    );
  }
} finally {
  if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
