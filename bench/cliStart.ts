/**
 * How fast `maestro --help` starts: the median of 20 cold starts (a new node process each) of the
 * compiled bin (`cli/bin.js` → dist/) and of the TypeScript sources through tsx (`cli/dev.js`,
 * how the bin ran before it was compiled), interleaved so that both see the same machine.
 * Builds dist/ first when it is older than the sources. Target: compiled median under 300 ms.
 *
 *   npm run bench:start [-- --runs 20]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuilt, ROOT } from '../test/package/build.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
const TARGET_MS = 300;

const built = await ensureBuilt();
if (built) console.log(`built dist/ first (${built})`);

const entries = { compiled: 'cli/bin.js', tsx: 'cli/dev.js' } as const;
type Entry = keyof typeof entries;

function start(entry: Entry): number {
  const began = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, entries[entry]), '--help'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const ms = performance.now() - began;
  if (r.status !== 0 || !r.stdout.includes('Usage: maestro'))
    throw new Error(`${entries[entry]} --help failed (exit ${r.status}): ${r.stderr}`);
  return ms;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const times: Record<Entry, number[]> = { compiled: [], tsx: [] };
start('compiled'); // one warm-up each: the first run pays for the disk cache, not for Maestro
start('tsx');
for (let i = 0; i < runs; i++)
  for (const e of ['compiled', 'tsx'] as const) times[e].push(start(e));

for (const e of ['compiled', 'tsx'] as const) {
  const t = times[e];
  console.log(
    `maestro --help, ${e.padEnd(8)} (node ${entries[e]}): median ${median(t).toFixed(0)} ms, ` +
      `min ${Math.min(...t).toFixed(0)}, max ${Math.max(...t).toFixed(0)} over ${runs} cold starts`,
  );
}
const m = median(times.compiled);
console.log(
  `compiled is ${(median(times.tsx) / m).toFixed(1)}x faster; target < ${TARGET_MS} ms: ${m < TARGET_MS ? 'met' : 'MISSED'}`,
);
