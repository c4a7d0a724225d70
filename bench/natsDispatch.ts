/**
 * Maestro's dispatch over NATS against raw nats.js, in the same run: C requests in flight at a
 * time, N total, answered by two processes each. Raw: nats.js `request` to a responder that only
 * replies. Maestro: `callAgent` (budget check, protocol message, NatsTransport, zod on the reply)
 * to two `maestro worker` processes serving a simulated Hanoi model (zod on the request, the
 * provider call). The payloads are the same size (a Hanoi prompt out, a move back).
 *
 *   npx tsx bench/natsDispatch.ts [--requests 20000] [--concurrency 64] [--rounds 5] [--nats URL]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect, createInbox } from '@nats-io/transport-node';
import { callAgent } from '../actors/agentCall.js';
import { hanoiTask } from '../actors/tasks/index.js';
import { systemClock } from '../kernel/clock.js';
import { BudgetNode } from '../supervisors/budget.js';
import { parseNatsOptions } from '../transport/natsOptions.js';
import { NatsTransport } from '../transport/natsTransport.js';
import { startNatsServer } from '../test/helpers/natsServer.js';

const { values: a } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '5' },
    nats: { type: 'string' },
  },
});
const N = Number(a.requests);
const C = Number(a.concurrency);
const ROUNDS = Number(a.rounds);
const server = a.nats ? undefined : await startNatsServer();
const url = a.nats ?? server!.url;
const children: ChildProcess[] = [];
process.on('exit', () =>
  children.forEach((c) => {
    c.kill('SIGKILL');
  }),
);

function spawnReady(args: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const on = (d: Buffer) => {
      out += d;
      if (ready.test(out)) resolve(child);
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${out}`)));
  });
}

/** Runs `one()` N times with C in flight; returns requests per second. */
async function pump(one: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < N) {
        next++;
        await one();
      }
    }),
  );
  return N / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const prompt = hanoiTask.prompt(hanoiTask.initialState({ disks: 20 }), 0, undefined);
const payload = new TextEncoder().encode(
  JSON.stringify({
    v: 1,
    id: 'x'.repeat(60),
    provider: 'sim',
    request: { prompt, caller: 'bench', temperature: 0 },
  }),
);

// Raw ceiling.
await Promise.all(
  [0, 1].map(() => spawnReady(['--import', 'tsx', 'bench/rawResponder.ts', url], /ready/)),
);
const nc = await connect({ servers: url });
const rawCall = () => nc.request('bench.raw', payload, { timeout: 10_000 });
// A second ceiling without NATS.js's per-request bookkeeping: publish with a reply subject on one
// shared inbox subscription, as NatsTransport does. No timers: the upper bound of the wire.
const inbox = createInbox();
const waiting = new Map<string, () => void>();
let token = 0;
nc.subscribe(`${inbox}.*`, { callback: (_e, m) => waiting.get(m.subject)?.() });
const rawMuxCall = () =>
  new Promise<void>((resolve) => {
    const reply = `${inbox}.${++token}`;
    waiting.set(reply, () => {
      waiting.delete(reply);
      resolve();
    });
    nc.publish('bench.raw', payload, { reply });
  });

// Maestro.
const dir = mkdtempSync(join(tmpdir(), 'maestro-dispatch-'));
const config = join(dir, 'providers.yaml');
writeFileSync(
  config,
  'providers:\n  sim:\n    kind: simulated\n    errorRate: 0\n    task: { kind: hanoi }\n',
);
await Promise.all(
  ['w1', 'w2'].map((id) =>
    spawnReady(
      [
        ...(process.env.BENCH_PROF_WORKERS
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF_WORKERS}`]
          : []),
        'cli/dev.js',
        'worker',
        '--nats',
        url,
        '--capability',
        'sim',
        '--config',
        config,
        '--id',
        id,
        '--concurrency',
        String(C),
        '--log-level',
        'warn',
      ],
      /serving/,
    ),
  ),
);
const transport = await NatsTransport.connect(parseNatsOptions({ servers: url }), {
  strictPayloads: false,
});
const budget = BudgetNode.root('bench', {}, systemClock);
const agent = { id: 'a', provider: 'sim', capabilities: [], timeoutMs: 10_000 };
const maestroCall = () =>
  callAgent({ transport, agent, budget, caller: 'bench', prompt, temperature: 0 });
await pump(rawCall); // warm-up all three
await pump(rawMuxCall);
await pump(maestroCall);
// Alternate rounds: on two shared cores one round alone can be off by a third.
const rounds: { raw: number; mux: number; maestro: number }[] = [];
for (let i = 0; i < ROUNDS; i++)
  rounds.push({
    raw: await pump(rawCall),
    mux: await pump(rawMuxCall),
    maestro: await pump(maestroCall),
  });
const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const raw = median(rounds.map((r) => r.raw));
const maestro = median(rounds.map((r) => r.maestro));
const mux = median(rounds.map((r) => r.mux));
const ratio = median(rounds.map((r) => r.maestro / r.raw));
const muxRatio = median(rounds.map((r) => r.maestro / r.mux));
for (const [i, r] of rounds.entries()) {
  console.log(
    `round ${i + 1}: raw request ${Math.round(r.raw)}/s, raw publish+inbox ${Math.round(r.mux)}/s, maestro ${Math.round(r.maestro)}/s (${((r.maestro / r.raw) * 100).toFixed(1)}% of request, ${((r.maestro / r.mux) * 100).toFixed(1)}% of publish+inbox)`,
  );
}
console.log(
  `raw nats.js request/reply: ${Math.round(raw)} req/s median (${N} requests a round, ${C} in flight, 2 responder processes)`,
);
console.log(
  `maestro dispatch (callAgent → NatsTransport → 2 maestro workers): ${Math.round(maestro)} calls/s median`,
);
console.log(
  `raw publish + shared inbox (no per-request bookkeeping): ${Math.round(mux)} msgs/s median`,
);
console.log(
  `maestro/raw request: ${(ratio * 100).toFixed(1)}% median of ${ROUNDS} rounds (target ≥ 80%)`,
);
console.log(`maestro/raw publish+inbox: ${(muxRatio * 100).toFixed(1)}% median`);
await nc.close();
await transport.close();
children.forEach((c) => {
  c.kill('SIGTERM');
});
await Promise.all(
  children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r)))),
);
await server?.stop();
process.exit(0);
