/**
 * `maestro mcp`: Maestro's skills as MCP tools for a host (a coding assistant, an IDE, an agent).
 * Over stdio (the default: the host spawns it) stdout carries JSON-RPC and nothing else; every
 * line Maestro says goes to stderr. With `--http [HOST:]PORT` it serves Streamable HTTP at /mcp
 * until SIGINT or SIGTERM. Either way the missions it starts live in its state dir (or in the
 * daemon named by `--daemon URL`), so they outlive the host and the server.
 */
import { realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLogger } from '../kernel/logger.js';
import { resolveDaemon } from '../daemon/daemonClient.js';
import { UsageError, type Io } from './io.js';
import { version } from './version.js';

export interface McpFlags {
  http?: string;
  root?: string[];
  agents?: string;
  daemon?: string;
  token?: string;
  'state-dir'?: string;
  'allow-env'?: string[];
  'log-level'?: string;
}

export async function mcpCommand(flags: McpFlags, io: Io, stop?: AbortSignal): Promise<number> {
  const stateDir = resolve(flags['state-dir'] ?? process.env.MAESTRO_STATE_DIR ?? '.maestro');
  const roots = (flags.root?.length ? flags.root : [process.cwd()]).map((r) => rootOf(r));
  const http = flags.http === undefined ? undefined : listenOf(flags.http);
  const token = flags.token ?? process.env.MAESTRO_MCP_TOKEN;
  // Never stdout: over stdio it is the protocol's.
  const logger = createLogger({ level: flags['log-level'] ?? 'info', pretty: false });
  const [{ openMcp }, { serveMcpHttp }] = await Promise.all([
    import('../mcp/mcpServer.js'),
    import('../mcp/mcpHttp.js'),
  ]);
  const mcp = await openMcp({
    stateDir,
    roots,
    ...(flags.agents !== undefined && { agentsFile: flags.agents }),
    ...(flags.daemon !== undefined && {
      daemon: resolveDaemon({ url: flags.daemon, 'state-dir': stateDir }),
    }),
    ...(flags['allow-env'] && { allowEnv: flags['allow-env'] }),
    logger,
    version: version(),
  });
  const where = flags.daemon === undefined ? `state in ${stateDir}` : `missions on ${flags.daemon}`;
  let close: () => Promise<void>;
  if (http) {
    const server = await serveMcpHttp(mcp.factory, { ...http, logger, ...(token && { token }) });
    io.err(
      `maestro mcp: ${mcp.tools.length} tools at ${server.url} (${where}; roots ${roots.join(', ')})`,
    );
    close = () => server.close();
  } else {
    const { serveStdio } = await import('@modelcontextprotocol/server/stdio');
    const served = serveStdio(mcp.factory, {
      onerror: (err) => logger.warn({ err }, 'maestro mcp: stdio'),
    });
    io.err(
      `maestro mcp: ${mcp.tools.length} tools over stdio (${where}; roots ${roots.join(', ')})`,
    );
    close = () => served.close();
  }
  await new Promise<void>((done) => {
    const end = () => done();
    process.once('SIGINT', end);
    process.once('SIGTERM', end);
    stop?.addEventListener('abort', end, { once: true });
    // A host that closes our stdin is gone.
    if (!http) process.stdin.once('end', end);
  });
  await close();
  await mcp.close();
  return 0;
}

function rootOf(dir: string): string {
  try {
    if (statSync(dir).isDirectory()) return realpathSync(dir);
  } catch {
    // said below
  }
  throw new UsageError(`maestro mcp: --root ${dir}: not a folder`, { command: 'mcp' });
}

function listenOf(value: string): { host: string; port: number } {
  const m = /^(?:(.+):)?(\d+)$/.exec(value);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port > 65535)
    throw new UsageError(`maestro mcp: --http: expected [HOST:]PORT, got '${value}'`, {
      command: 'mcp',
    });
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1'), port };
}
