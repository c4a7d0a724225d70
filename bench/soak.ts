/**
 * A daemon over many missions, in one process: does its memory stay flat, and do missions with
 * failing calls finish at the default restart limits? `npm run bench:soak -- [--missions N]
 * [--in-flight M] [--crash-rate R]` (defaults 2,000, 16, 0.05).
 *
 * Half the missions are prompt missions (examples/hello.yaml), half small MAKER tasks (Hanoi, 4
 * disks) whose simulated model crashes on R of its calls (a retryable provider error), all at
 * the default supervision (OTP's intensity 1 in 5 s). The inspector hub observes them and forgets
 * each one past the last 20 ended, as `maestro daemon` wires it. After each fifth of the run:
 * heap after a full GC and RSS. Printed: submitted, succeeded, failed (by reason), missions per
 * minute, heap growth per finished mission (target <= 2 KB).
 *
 * Not measured here (the issue's full soak): a real daemon process over HTTP, a SIGTERM and a
 * kill -9 mid-run, start time with 100,000 missions in history (no history index yet).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Daemon } from '../daemon/daemon.js';
import { InspectorHub } from '../inspector/hub.js';

const { values } = parseArgs({
  options: {
    missions: { type: 'string', default: '2000' },
    'in-flight': { type: 'string', default: '16' },
    'crash-rate': { type: 'string', default: '0.05' },
  },
});
const total = Number(values.missions);
const inFlight = Number(values['in-flight']);
const crashRate = Number(values['crash-rate']);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('bench:soak needs --expose-gc (npm run bench:soak does it)');

const hello = readFileSync('examples/hello.yaml', 'utf8');
const maker = `name: soak-maker
providers:
  sim:
    kind: simulated
    seed: SEED
    errorRate: 0.01
    crashRate: ${crashRate}
    task: { kind: hanoi, errorMode: dominant, redFlagRate: 0.01 }
agents:
  - { id: solver, provider: sim }
stages:
  - name: solve
    maker: { task: { kind: hanoi, disks: 4 }, agent: solver, k: 2, maxSamples: 20 }
`;

const hub = new InspectorHub();
hub.start();
const ended: string[] = [];
const daemon = new Daemon({
  stateDir: mkdtempSync(join(tmpdir(), 'maestro-soak-')),
  logger: pino({ level: 'silent' }),
  syncEveryMs: 0,
  observer: hub,
  mirror: (e) => {
    if (e.type !== 'mission.finished') return;
    ended.push(e.mission);
    while (ended.length > 20) hub.forgetMission(ended.shift()!);
  },
});
daemon.start();

async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 10));
    gc!();
  }
  return process.memoryUsage().heapUsed;
}

const outcomes = new Map<string, number>();
let submitted = 0;
let done = 0;
const started = performance.now();
const heap0 = await heapAfterGc();
const marks: string[] = [];
/** The first fifth fills what is bounded (the inspector's rings, the last 20 ended): growth after it is the steady state. */
let firstMark: { done: number; heap: number } | undefined;

async function one(i: number): Promise<void> {
  const isMaker = i % 2 === 1;
  const source = isMaker ? maker.replace('SEED', String(i)) : hello;
  const { id } = await daemon.submit({ source, id: `soak-${i}` });
  submitted++;
  for (;;) {
    const s = daemon.status(id);
    if (s.state === 'succeeded' || s.state === 'failed' || s.state === 'stopped') {
      const key = s.state === 'succeeded' ? 'succeeded' : `failed (${s.error?.reason ?? s.state})`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      return;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

let next = 0;
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (next < total) {
      await one(next++);
      done++;
      if (done % Math.max(1, Math.floor(total / 5)) === 0) {
        const heap = await heapAfterGc();
        firstMark ??= { done, heap };
        marks.push(
          `${done}: heap ${(heap / 2 ** 20).toFixed(1)} MB, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
        );
      }
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const heap1 = await heapAfterGc();
await daemon.shutdown();
hub.stop();

const failed = total - (outcomes.get('succeeded') ?? 0);
console.log(
  `soak: ${total} missions (half prompt, half MAKER at ${crashRate * 100}% crashing calls), ${inFlight} in flight, default restart limits`,
);
console.log(
  `submitted ${submitted}, ${[...outcomes].map(([k, n]) => `${k} ${n}`).join(', ')}; failure rate ${((failed / total) * 100).toFixed(2)}%`,
);
console.log(`${((total / seconds) * 60).toFixed(0)} missions/min (${seconds.toFixed(1)} s)`);
console.log(`heap after a full GC, by missions finished: ${marks.join('; ')}`);
const steady =
  firstMark && total > firstMark.done ? (heap1 - firstMark.heap) / (total - firstMark.done) : 0;
console.log(
  `heap growth per finished mission after the first fifth: ${(steady / 1024).toFixed(2)} KB (target <= 2 KB); over the whole run ${((heap1 - heap0) / total / 1024).toFixed(2)} KB (${(heap0 / 2 ** 20).toFixed(1)} MB before, ${(heap1 / 2 ** 20).toFixed(1)} MB after, bounded buffers filling included)`,
);
