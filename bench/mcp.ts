/**
 * What a tool call through `maestro mcp` costs a host (issue 16's "Measure"): the round trip of a
 * trivial tool (`red_flag_check` on a short text: no model, no disk) over stdio and over
 * Streamable HTTP on loopback, each on a `maestro mcp` child process as a host starts it, with
 * the SDK's own client — median and p99 of `--calls` calls after a warm-up; HTTP in both protocol
 * eras (2025 stateless POSTs, 2026-07-28). Then the `tools/list` a host reads into its context,
 * in tokens (characters / 4), as listed in each era. Target: under 5 ms median on loopback.
 *
 *   npx tsx bench/mcp.ts [--calls 1000] [--warmup 50]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

const { values: a } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '50' },
  },
});
const CALLS = Number(a.calls);
const WARMUP = Number(a.warmup);
const DEV = fileURLToPath(new URL('../cli/dev.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'maestro-bench-mcp-'));
const base = ['mcp', '--root', dir, '--log-level', 'warn'];

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function roundTrips(client: Client): Promise<{ median: number; p99: number }> {
  const call = () =>
    client.callTool({ name: 'red_flag_check', arguments: { text: 'the answer: 7' } });
  for (let i = 0; i < WARMUP; i++) await call();
  const ms: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t = performance.now();
    const r = await call();
    ms.push(performance.now() - t);
    if (r.isError) throw new Error(`red_flag_check failed: ${JSON.stringify(r.content)}`);
  }
  ms.sort((x, y) => x - y);
  return { median: quantile(ms, 0.5), p99: quantile(ms, 0.99) };
}

const line = (what: string, r: { median: number; p99: number }) =>
  console.log(
    `${what.padEnd(34)} median ${r.median.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   (${CALLS} calls)`,
  );
const tokens = async (client: Client) =>
  Math.ceil(JSON.stringify((await client.listTools()).tools).length / 4);

try {
  console.log(
    `maestro mcp: round trip of a trivial tool (red_flag_check), node ${process.version}`,
  );
  const stdio = new Client({ name: 'bench', version: '0' });
  await stdio.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [DEV, ...base, '--state-dir', join(dir, 's1')],
    }),
  );
  line('stdio (2025-11-25)', await roundTrips(stdio));
  const listed2025 = await tokens(stdio);
  await stdio.close();

  const httpState = join(dir, 's2');
  const child = spawn(
    process.execPath,
    [DEV, ...base, '--state-dir', httpState, '--http', '127.0.0.1:0'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /tools at (http:\/\/\S+\/mcp),/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`maestro mcp --http exited ${code}: ${err}`)));
  });
  try {
    for (const auto of [false, true]) {
      const http = new Client(
        { name: 'bench', version: '0' },
        auto ? { versionNegotiation: { mode: 'auto' } } : {},
      );
      // the token the server made for itself, where a host finds it
      const { token } = JSON.parse(readFileSync(join(httpState, 'mcp.json'), 'utf8')) as {
        token: string;
      };
      await http.connect(
        new StreamableHTTPClientTransport(new URL(url), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      line(`http loopback (${http.getNegotiatedProtocolVersion()})`, await roundTrips(http));
      if (auto)
        console.log(
          `tools/list: ${listed2025} tokens (2025-11-25), ${await tokens(http)} tokens (2026-07-28); cap 5000`,
        );
      await http.close();
    }
  } finally {
    child.kill('SIGTERM');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
