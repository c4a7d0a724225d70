/**
 * What the sandbox adds to a verification: `true`, `node -e 0` and a small `node --test` suite
 * (3 tiny files in a temp dir), each run bare (a plain spawn, stdout piped, the same allowlisted
 * environment) and through
 * `runSandboxed` (bwrap, prlimit, the mounts and the environment allowlist), interleaved so both
 * see the same machine; the median of 20 each. Target: at most 30 ms added for `true`.
 *
 *   npm run bench:sandbox [-- --runs 20]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ENV, probeSandbox, runSandboxed } from '../sandbox/index.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
const TARGET_MS = 30;

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'maestro-bench-sandbox-')));
const head = "import test from 'node:test';\nimport assert from 'node:assert';\n";
for (const [i, body] of ['1 + 1, 2', "'a' + 'b', 'ab'", '[1, 2].length, 2'].entries())
  writeFileSync(
    join(dir, `t${i}.test.mjs`),
    `${head}test('t${i}', () => assert.equal(${body}));\n`,
  );

const cases = [
  { name: 'true', argv: ['true'] },
  { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
  { name: 'node --test (3 files)', argv: [process.execPath, '--test'] },
];

/**
 * The bare run gets the sandbox's environment too: tsx puts its loader in NODE_OPTIONS, and a
 * node started with it would time tsx, not the sandbox.
 */
const env = Object.fromEntries(
  DEFAULT_ENV.flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : [])),
);

function bare(argv: string[]): Promise<number> {
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.resume();
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(performance.now() - began)
        : reject(new Error(`${argv[0]} exited ${code}`)),
    );
  });
}

async function sandboxed(argv: string[]): Promise<number> {
  const began = performance.now();
  const r = await runSandboxed({ argv, cwd: dir, timeoutMs: 30_000 });
  if (r.exitCode !== 0)
    throw new Error(`${argv[0]} exited ${r.exitCode} in the sandbox: ${r.stderrTail}`);
  return performance.now() - began;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

try {
  await probeSandbox();
  let trueAdded = 0;
  for (const c of cases) {
    await bare(c.argv); // one warm-up each: the disk cache, not the sandbox
    await sandboxed(c.argv);
    const t = { bare: [] as number[], sandboxed: [] as number[] };
    for (let i = 0; i < runs; i++) {
      t.bare.push(await bare(c.argv));
      t.sandboxed.push(await sandboxed(c.argv));
    }
    const [b, s] = [median(t.bare), median(t.sandboxed)];
    if (c.name === 'true') trueAdded = s - b;
    console.log(
      `${c.name}: bare ${b.toFixed(1)} ms, sandboxed ${s.toFixed(1)} ms, added ${(s - b).toFixed(1)} ms (target <= ${TARGET_MS} ms for true)`,
    );
  }
  console.log(
    `median of ${runs} each; added for true ${trueAdded.toFixed(1)} ms: ${trueAdded <= TARGET_MS ? 'met' : 'MISSED'}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
