/**
 * The older soak (`npm run bench:soak -- --in-process`): N missions, half prompt (hello.yaml)
 * and half MAKER (Hanoi, 4 disks) on a `Daemon` object in this process with the inspector hub,
 * no HTTP, the heap measured after a full GC at each fifth. What soak.ts ran before it spawned a
 * real daemon; kept to compare the two.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, sleep } from './soakHistory.js';

export const over = (s: string | undefined) =>
  s === 'succeeded' || s === 'failed' || s === 'stopped';
export const kb = (b: number) => (b / 1024).toFixed(2);
export const mb = (b: number) => (b / 2 ** 20).toFixed(1);

export async function inProcessSoak(
  n: number,
  inFlightHere: number,
  crashRate: number,
): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc)
    throw new Error('bench:soak --in-process needs --expose-gc (npm run bench:soak does it)');
  const [{ pino }, { Daemon }, { InspectorHub }] = await Promise.all([
    import('pino'),
    import('../daemon/daemon.js'),
    import('../inspector/hub.js'),
  ]);
  const hello = readFileSync(join(repoRoot, 'examples/hello.yaml'), 'utf8');
  const maker = (seed: number) => `name: soak-maker
providers:
  sim: { kind: simulated, seed: ${seed}, errorRate: 0.01, crashRate: ${crashRate}, task: { kind: hanoi, errorMode: dominant, redFlagRate: 0.01 } }
agents: [{ id: solver, provider: sim }]
stages: [{ name: solve, maker: { task: { kind: hanoi, disks: 4 }, agent: solver, k: 2, maxSamples: 20 } }]
`;
  const hub = new InspectorHub();
  hub.start();
  const ended: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'maestro-soak-'));
  const d = new Daemon({
    stateDir: dir,
    logger: pino({ level: 'silent' }),
    syncEveryMs: 0,
    observer: hub,
    mirror: (e) => {
      if (e.type !== 'mission.finished') return;
      ended.push(e.mission);
      while (ended.length > 20) hub.forgetMission(ended.shift()!);
    },
  });
  d.start();
  const heapAfterGc = async () => {
    for (let i = 0; i < 4; i++) {
      await sleep(10);
      gc();
    }
    return process.memoryUsage().heapUsed;
  };
  const seen = new Map<string, number>();
  const marks: string[] = [];
  let done = 0;
  let nextHere = 0;
  let firstMark: { done: number; heap: number } | undefined;
  const t0 = performance.now();
  const heap0 = await heapAfterGc();
  await Promise.all(
    Array.from({ length: inFlightHere }, async () => {
      while (nextHere < n) {
        const i = nextHere++;
        const { id } = await d.submit({ source: i % 2 ? maker(i) : hello, id: `soak-${i}` });
        for (;;) {
          const s = d.status(id);
          if (over(s.state)) {
            const key =
              s.state === 'succeeded' ? 'succeeded' : `failed (${s.error?.reason ?? s.state})`;
            seen.set(key, (seen.get(key) ?? 0) + 1);
            break;
          }
          await sleep(5);
        }
        if (++done % Math.max(1, Math.floor(n / 5)) === 0) {
          const mark = done;
          const heap = await heapAfterGc();
          firstMark ??= { done: mark, heap };
          marks.push(`${mark}: heap ${mb(heap)} MB, RSS ${mb(process.memoryUsage().rss)} MB`);
        }
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const heap1 = await heapAfterGc();
  await d.shutdown();
  hub.stop();
  rmSync(dir, { recursive: true, force: true });
  const failedHere = n - (seen.get('succeeded') ?? 0);
  const steady =
    firstMark && n > firstMark.done ? (heap1 - firstMark.heap) / (n - firstMark.done) : 0;
  console.log(
    `in-process soak: ${n} missions (half prompt, half MAKER at ${crashRate * 100}% crashing calls), ${inFlightHere} in flight`,
  );
  console.log(`outcomes: ${[...seen].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`failure rate: ${((failedHere / n) * 100).toFixed(2)}%`);
  console.log(`missions per minute: ${((n / secs) * 60).toFixed(0)} (${secs.toFixed(1)} s)`);
  console.log(`heap after a full GC, by missions finished: ${marks.join('; ')}`);
  console.log(
    `heap growth per finished mission after the first fifth: ${kb(steady)} KB (target <= 2 KB); whole run ${kb((heap1 - heap0) / n)} KB`,
  );
}
