/**
 * `maestro mcp` for tests, with the SDK's own client as the peer: a root folder holding the
 * bugfix demo repository (a git repo with one off-by-one and its failing tests) and copies of
 * example missions, an agents file (the bugfix mission's agents plus simulated and scripted
 * ones for the consult and vote tools), a state dir, and a client connected in either protocol
 * era: 2025 over the SDK's linked in-memory transport, 2026-07-28 through the HTTP handler's
 * fetch face (no socket).
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpHandler, InMemoryTransport } from '@modelcontextprotocol/server';
import { pino } from 'pino';
import { parse } from 'yaml';
import { openMcp, type McpServerOptions, type OpenMcp } from '../../mcp/mcpServer.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export type Era = '2025' | '2026';

/** The bugfix demo's right fix, and a wrong one that passes the failing tests but breaks another. */
export const CAREFUL_PATCH =
  '--- a/src/range.js\n+++ b/src/range.js\n@@ -3,3 +3,3 @@\n   let total = 0;\n-  for (let i = a; i < b; i++) total += i;\n+  for (let i = a; i <= b; i++) total += i;\n   return total;\n';
export const HASTY_PATCH =
  'src/range.js\n<<<<<<< SEARCH\n  return total;\n=======\n  return total + b;\n>>>>>>> REPLACE\n';

/** The agents of the fixture's agents file besides the bugfix mission's. */
export const TEST_PROVIDERS = {
  sure: { kind: 'simulated', answers: ['42'] },
  split: { kind: 'simulated', seed: 3, answers: ['a', 'b', 'c'] },
  echo: { kind: 'scripted', responses: ['scripted answer'], onExhausted: 'repeat_last' },
  slow: { kind: 'simulated', answers: ['late'], latencyMs: { distribution: 'fixed', ms: 1500 } },
  // never called: its key variable is what a host's own mission must not reach
  paid: {
    kind: 'openai',
    baseURL: 'http://127.0.0.1:9/v1',
    apiKeyEnv: 'MAESTRO_TEST_OPENAI_KEY',
    model: 'm',
  },
};
/** The environment the fixture's servers run with: the agents file's key is set. */
export const TEST_ENV = { MAESTRO_TEST_OPENAI_KEY: 'sk-operator-key-0123456789' };

export interface McpFixture {
  dir: string;
  /** The root tools may touch. */
  root: string;
  /** The bugfix demo repository, under the root. */
  repo: string;
  stateDir: string;
  agentsFile: string;
  open: OpenMcp;
  connect(era: Era): Promise<Client>;
  /** Closes every client and the server (its daemon and lock); the files stay until `remove`. */
  close(): Promise<void>;
  remove(): void;
}

/**
 * Writes the fixture's files under a new temp dir: the root, the repo, the agents file; the state
 * dir beside the root, or inside it (`.maestro`, as `maestro mcp` run in a project makes it).
 */
export function mcpFiles(
  options: { stateInRoot?: boolean } = {},
): Pick<McpFixture, 'dir' | 'root' | 'repo' | 'stateDir' | 'agentsFile'> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'maestro-mcp-')));
  const root = join(dir, 'root');
  const repo = join(root, 'repo');
  execFileSync(process.execPath, [join(REPO_ROOT, 'examples/bugfix/prepare.mjs'), repo]);
  for (const f of ['hello.yaml', 'approval.yaml'])
    copyFileSync(join(REPO_ROOT, 'examples', f), join(root, f));
  const bugfix = parse(readFileSync(join(REPO_ROOT, 'examples/bugfix/mission.yaml'), 'utf8')) as {
    providers: Record<string, unknown>;
    agents: { id: string; provider: string }[];
  };
  const agentsFile = join(dir, 'agents.json');
  writeFileSync(
    agentsFile,
    JSON.stringify({
      name: 'agents',
      providers: { ...bugfix.providers, ...TEST_PROVIDERS },
      agents: [
        ...bugfix.agents,
        ...Object.keys(TEST_PROVIDERS).map((id) => ({ id, provider: id })),
      ],
      stages: [{ name: 'unused', prompt: 'x', agents: ['echo'] }],
    }),
  );
  const stateDir = options.stateInRoot ? join(root, '.maestro') : join(dir, 'state');
  return { dir, root, repo, stateDir, agentsFile };
}

export async function mcpFixture(
  options: Partial<Pick<McpServerOptions, 'bwrapPath' | 'env' | 'allowEnv'>> & {
    files?: ReturnType<typeof mcpFiles>;
  } = {},
): Promise<McpFixture> {
  const files = options.files ?? mcpFiles();
  const open = await openMcp({
    stateDir: files.stateDir,
    roots: [files.root],
    agentsFile: files.agentsFile,
    logger: pino({ level: 'silent' }),
    version: 'test',
    ...(options.bwrapPath !== undefined && { bwrapPath: options.bwrapPath }),
    env: options.env ?? { ...process.env, ...TEST_ENV },
    ...(options.allowEnv && { allowEnv: options.allowEnv }),
  });
  const clients: Client[] = [];
  const handler = createMcpHandler(open.factory);
  return {
    ...files,
    open,
    async connect(era) {
      let client: Client;
      if (era === '2025') {
        const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
        await open.factory().connect(serverSide);
        client = new Client({ name: 'test-host', version: '0' });
        await client.connect(clientSide);
      } else {
        client = new Client(
          { name: 'test-host', version: '0' },
          { versionNegotiation: { mode: 'auto' } },
        );
        await client.connect(
          new StreamableHTTPClientTransport(new URL('http://in-process/mcp'), {
            fetch: (url, init) => handler.fetch(new Request(url, init)),
          }),
        );
      }
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients.splice(0)) await c.close().catch(() => undefined);
      await handler.close();
      await open.close();
    },
    remove() {
      rmSync(files.dir, { recursive: true, force: true });
    },
  };
}

/** A tool call's structured result, or the test fails with the tool's error text. */
export async function callOk(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
  return r.structuredContent as Record<string, unknown>;
}

/** A tool call's error text, or the test fails with the result it got. */
export async function callError(client: Client, name: string, args: unknown): Promise<string> {
  const r = await client.callTool({ name, arguments: args as Record<string, unknown> });
  if (!r.isError) throw new Error(`${name} did not fail: ${JSON.stringify(r.structuredContent)}`);
  return (r.content as { type: string; text: string }[]).map((c) => c.text).join('\n');
}
