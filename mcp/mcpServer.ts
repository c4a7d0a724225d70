/**
 * `maestro mcp`, assembled: the agents file read, the missions' host opened (a daemon of its own
 * on the state dir, holding its lock, resuming what a previous server left, or a running daemon
 * over HTTP), the tool table made over them, and a server factory for stdio, HTTP or a test's
 * linked transport. What the embedded daemon lets a submitted mission do is what the operator
 * gave the server: workspaces and files under the roots, the agents file's own commands and key
 * variables, and the variables named with `--allow-env`.
 */
import type { Server } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import { Daemon } from '../daemon/daemon.js';
import { MaestroClient } from '../daemon/daemonClient.js';
import { submitPolicySchema, type SubmitPolicy } from '../daemon/submitPolicy.js';
import { acquireStateLock, type StateLock } from '../log/stateLock.js';
import { ensureStateDir } from '../log/stateDir.js';
import { registerSecretEnv } from '../kernel/secrets.js';
import { Catalog } from './catalog.js';
import { mcpContext, type McpContext } from './context.js';
import { attachedHost, embeddedHost } from './missionHost.js';
import type { McpTool } from './tool.js';
import { serverFactory } from './toolServer.js';
import { maestroTools } from './tools/index.js';

export interface McpServerOptions {
  stateDir: string;
  /** Real paths of the directories tools may touch. */
  roots: string[];
  /** A mission file whose providers and agents the tools may call. */
  agentsFile?: string;
  /** A running daemon to send missions to, instead of one of the server's own. */
  daemon?: { url: string; token?: string };
  /** More variables of the server's environment a submitted mission may read. */
  allowEnv?: string[];
  logger: Logger;
  version: string;
  env?: NodeJS.ProcessEnv;
  bwrapPath?: string;
}

export interface OpenMcp {
  context: McpContext;
  tools: McpTool[];
  factory: () => Server;
  close(): Promise<void>;
}

export async function openMcp(options: McpServerOptions): Promise<OpenMcp> {
  const env = options.env ?? process.env;
  // What looks like a key in the environment is masked wherever it would go (attached, too).
  registerSecretEnv(Object.keys(env), env);
  const catalog = options.agentsFile
    ? await Catalog.load(options.agentsFile, env)
    : Catalog.empty();
  let lock: StateLock | undefined;
  let daemon: Daemon | undefined;
  if (!options.daemon) {
    ensureStateDir(options.stateDir, 'keep its missions, logs and workspace journals');
    lock = acquireStateLock(options.stateDir);
    try {
      daemon = new Daemon({
        stateDir: options.stateDir,
        logger: options.logger,
        env,
        submitPolicy: embeddedPolicy(catalog, options),
      });
      const { resumed } = daemon.start();
      if (resumed.length)
        options.logger.info({ resumed }, `maestro mcp: resumed ${resumed.length} mission(s)`);
    } catch (err) {
      lock.release();
      throw err;
    }
  }
  const context = mcpContext({
    missions: daemon ? embeddedHost(daemon) : attachedHost(new MaestroClient(options.daemon!)),
    catalog,
    roots: options.roots,
    allowEnv: options.allowEnv ?? [],
    stateDir: options.stateDir,
    logger: options.logger,
    ...(options.bwrapPath !== undefined && { bwrapPath: options.bwrapPath }),
  });
  const tools = maestroTools(context);
  return {
    context,
    tools,
    factory: serverFactory(tools, { version: options.version, logger: options.logger }),
    async close() {
      context.close();
      await catalog.close();
      await daemon?.shutdown();
      lock?.release();
    },
  };
}

/** The embedded daemon's submit policy: the roots, and what the agents file itself uses. */
export function embeddedPolicy(
  catalog: Catalog,
  options: Pick<McpServerOptions, 'roots' | 'allowEnv'>,
): SubmitPolicy {
  const providers = Object.values(catalog.config.providers);
  const defaults = submitPolicySchema.parse({});
  return submitPolicySchema.parse({
    // the agents file's own caps are the ceiling, where they are above the defaults
    maxAnswerBytes: Math.max(
      defaults.maxAnswerBytes,
      ...providers.map((p) => (p.kind === 'cli' ? p.maxOutputBytes : p.maxAnswerBytes)),
    ),
    maxPromptBytes: Math.max(defaults.maxPromptBytes, ...providers.map((p) => p.maxPromptBytes)),
    paths: options.roots,
    workspaces: options.roots,
    // The agents file's providers read these; a host's own mission may not (hostMission.ts).
    env: [...new Set([...catalog.variables(), ...(options.allowEnv ?? [])])],
    cli: providers.flatMap((p) =>
      p.kind === 'cli' && p.command.startsWith('/')
        ? [{ command: p.command, args: p.args, env: p.envAllowlist, ...(p.cwd && { cwd: p.cwd }) }]
        : [],
    ),
  });
}
