/**
 * The cost of NATS authorization on Maestro's dispatch, in one run: two nats-servers, one open
 * and one with the block `maestro nats-config` writes; on each, two `maestro worker` processes
 * (on the second, each on its own restricted user and inbox) serving a simulated Hanoi model,
 * and `callAgent` from the daemon's user, C calls in flight, N a round. Rounds alternate
 * between the servers; medians are printed with the ratio.
 *
 *   npx tsx bench/natsAuth.ts [--requests 10000] [--concurrency 64] [--rounds 5]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { callAgent } from '../actors/agentCall.js';
import { hanoiTask } from '../actors/tasks/index.js';
import { systemClock } from '../kernel/clock.js';
import { BudgetNode } from '../supervisors/budget.js';
import {
  authorizationBlock,
  authorizedUsers,
  type NatsAuthorizedUser,
} from '../transport/natsPermissions.js';
import { parseNatsOptions } from '../transport/natsOptions.js';
import { NatsTransport } from '../transport/natsTransport.js';
import { startNatsServer } from '../test/helpers/natsServer.js';

const { values: a } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '5' },
  },
});
const N = Number(a.requests);
const C = Number(a.concurrency);
const ROUNDS = Number(a.rounds);
const children: ChildProcess[] = [];

const users = authorizedUsers({
  daemon: { user: 'daemon' },
  workers: [
    { user: 'w1', id: 'w1', capabilities: ['sim'] },
    { user: 'w2', id: 'w2', capabilities: ['sim'] },
  ],
  clients: [],
});
const who = (u: string) => users.find((x) => x.user === u)!;
const open = await startNatsServer();
const secured = await startNatsServer({ config: authorizationBlock(users) });

const dir = mkdtempSync(join(tmpdir(), 'maestro-auth-bench-'));
const config = join(dir, 'providers.yaml');
writeFileSync(
  config,
  'providers:\n  sim:\n    kind: simulated\n    errorRate: 0\n    task: { kind: hanoi }\n',
);

function worker(url: string, id: string, user?: NatsAuthorizedUser): Promise<void> {
  const auth = user ? ['--nats-user', user.user, '--nats-inbox-prefix', user.inboxPrefix] : [];
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
      config,
      '--id',
      id,
      '--concurrency',
      String(C),
      '--log-level',
      'warn',
      ...auth,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...(user && { MAESTRO_NATS_PASSWORD: user.password }) },
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d;
      if (/serving/.test(err)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`worker ${id} exited ${code}: ${err}`)));
  });
}
await Promise.all([
  worker(open.url, 'o1'),
  worker(open.url, 'o2'),
  worker(secured.url, 'w1', who('w1')),
  worker(secured.url, 'w2', who('w2')),
]);

const prompt = hanoiTask.prompt(hanoiTask.initialState({ disks: 20 }), 0, undefined);
const agent = { id: 'a', provider: 'sim', capabilities: [], timeoutMs: 10_000 };
const budget = BudgetNode.root('bench', {}, systemClock);
const d = who('daemon');
const openT = await NatsTransport.connect(parseNatsOptions({ servers: open.url }), {
  strictPayloads: false,
});
const authT = await NatsTransport.connect(
  parseNatsOptions({
    servers: secured.url,
    user: d.user,
    password: d.password,
    inboxPrefix: d.inboxPrefix,
  }),
  { strictPayloads: false },
);

async function pump(transport: NatsTransport): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next++ < N)
        await callAgent({ transport, agent, budget, caller: 'bench', prompt, temperature: 0 });
    }),
  );
  return N / (Number(process.hrtime.bigint() - t0) / 1e9);
}

await pump(openT);
await pump(authT);
const rounds: { open: number; auth: number }[] = [];
for (let i = 0; i < ROUNDS; i++) rounds.push({ open: await pump(openT), auth: await pump(authT) });
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
for (const [i, r] of rounds.entries())
  console.log(
    `round ${i + 1}: open ${Math.round(r.open)} calls/s, authorized ${Math.round(r.auth)} calls/s (${((r.auth / r.open) * 100).toFixed(1)}%)`,
  );
console.log(
  `maestro dispatch, open server: ${Math.round(median(rounds.map((r) => r.open)))} calls/s median (${N} a round, ${C} in flight, 2 workers)`,
);
console.log(
  `maestro dispatch, nats-config authorization: ${Math.round(median(rounds.map((r) => r.auth)))} calls/s median`,
);
console.log(
  `authorized/open: ${(median(rounds.map((r) => r.auth / r.open)) * 100).toFixed(1)}% median of ${ROUNDS} rounds`,
);
await openT.close();
await authT.close();
children.forEach((c) => {
  c.kill('SIGTERM');
});
await open.stop();
await secured.stop();
process.exit(0);
