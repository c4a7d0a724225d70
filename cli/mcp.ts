/**
 * `maestro mcp`: Maestro's skills as MCP tools for a host (a coding assistant, an IDE, an agent).
 * Over stdio (the default: the host spawns it) stdout carries JSON-RPC and nothing else; every
 * line Maestro says goes to stderr. With `--http [HOST:]PORT` it serves Streamable HTTP at /mcp
 * until SIGINT or SIGTERM. Either way the missions it starts live in its state dir (or in the
 * daemon named by `--daemon URL`), so they outlive the host and the server.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { errorMessage } from '../kernel/errors.js';
import { createLogger } from '../kernel/logger.js';
import { registerSecret } from '../kernel/secrets.js';
import { resolveDaemon } from '../daemon/daemonClient.js';
import { StateDirLockedError } from '../log/stateLock.js';
import { isLoopback } from '../mcp/mcpHttp.js';
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
  const roots = (flags.root?.length ? flags.root : [defaultRoot()]).map((r) => rootOf(r));
  const http = flags.http === undefined ? undefined : listenOf(flags.http);
  if (!http && flags.token !== undefined)
    throw new UsageError(
      "maestro mcp: --token is the bearer token of --http; a daemon's token (--daemon) comes from $MAESTRO_TOKEN or its daemon.json",
      { command: 'mcp' },
    );
  const token = http && (flags.token ?? process.env.MAESTRO_MCP_TOKEN);
  if (http && !token && !isLoopback(http.host))
    throw new UsageError(
      `maestro mcp: --http ${flags.http}: away from loopback a bearer token is required (--token or $MAESTRO_MCP_TOKEN)`,
      { command: 'mcp' },
    );
  // Never stdout: over stdio it is the protocol's.
  const logger = createLogger({ level: flags['log-level'] ?? 'info', pretty: false });
  const [{ openMcp }, { serveMcpHttp }] = await Promise.all([
    import('../mcp/mcpServer.js'),
    import('../mcp/mcpHttp.js'),
  ]);
  let mcp: Awaited<ReturnType<typeof openMcp>>;
  try {
    mcp = await openMcp({
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
  } catch (err) {
    if (err instanceof StateDirLockedError)
      throw new UsageError(
        `maestro mcp: ${err.message}. Each maestro mcp holds its state dir as a daemon does: give this one its own --state-dir, or run one maestro daemon and start each with --daemon URL`,
        { cause: err },
      );
    throw err;
  }
  const where = flags.daemon === undefined ? `state in ${stateDir}` : `missions on ${flags.daemon}`;
  let close: () => Promise<void>;
  try {
    if (http) {
      // A local process may not call the tools without the token either: one is made if none is given.
      const bearer = token || randomBytes(24).toString('base64url');
      registerSecret(bearer);
      const server = await serveMcpHttp(mcp.factory, { ...http, logger, token: bearer });
      const file = join(stateDir, 'mcp.json');
      mkdirSync(stateDir, { recursive: true });
      writeFileSync(file, JSON.stringify({ url: server.url, token: bearer, pid: process.pid }), {
        mode: 0o600,
      });
      io.err(
        `maestro mcp: ${mcp.tools.length} tools at ${server.url}, bearer token ${token ? 'as given' : `in ${file}`} (${where}; roots ${roots.join(', ')})`,
      );
      close = () => server.close();
    } else {
      const { serveStdio } = await import('@modelcontextprotocol/server/stdio');
      const served = serveStdio(mcp.factory, {
        // A line that is not JSON-RPC is dropped: said in one line, not as zod's whole report.
        onerror: (err) =>
          logger.warn(
            {
              error:
                err.name === 'ZodError'
                  ? 'not a JSON-RPC message'
                  : errorMessage(err).slice(0, 300),
            },
            'maestro mcp: stdio: a message was dropped',
          ),
      });
      io.err(
        `maestro mcp: ${mcp.tools.length} tools over stdio (${where}; roots ${roots.join(', ')})`,
      );
      close = () => served.close();
    }
  } catch (err) {
    await mcp.close();
    throw err;
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

/** The current directory, unless it is the whole disk or the home (a host started us anywhere). */
function defaultRoot(): string {
  const cwd = realpathSync(process.cwd());
  const home = homedir();
  if (cwd === '/' || (home && cwd === realpathSync(home)))
    throw new UsageError(
      `maestro mcp: no --root, and the current directory is ${cwd === '/' ? 'the root of the disk' : 'your home'}: name the folders the tools may touch with --root DIR`,
      { command: 'mcp' },
    );
  return cwd;
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
