/**
 * What every tool of `maestro mcp` works with: where missions go, the agents it may call, the
 * directories it may touch (`--root`), its state dir and logger. Made once per server process
 * and shared by every connection and request.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Logger } from 'pino';
import { UserError } from '../kernel/errors.js';
import { Workspace } from '../workspace/workspace.js';
import type { Catalog } from './catalog.js';
import type { MissionHost } from './missionHost.js';

export interface McpContext {
  missions: MissionHost;
  catalog: Catalog;
  /** Real paths of the directories tools may touch; a path elsewhere is refused. */
  roots: readonly string[];
  /** Variables of the server's environment any submitted mission may read (`--allow-env`). */
  allowEnv: readonly string[];
  /** Where the workspace tools keep their journal and backups (the daemon's, when embedded). */
  stateDir: string;
  logger: Logger;
  /** The workspace at `root` (a real path under a root), opened once and kept. */
  workspace(root: string): Promise<Workspace>;
  /** bubblewrap's path, for a test that needs it missing. @default /usr/bin/bwrap */
  bwrapPath?: string;
}

export type McpContextOptions = Omit<McpContext, 'workspace'>;

/** A context whose workspaces are opened on first use under `stateDir` and closed by `close`. */
export function mcpContext(options: McpContextOptions): McpContext & { close(): void } {
  const open = new Map<string, Promise<Workspace>>();
  return {
    ...options,
    workspace(root) {
      let ws = open.get(root);
      if (ws === undefined) {
        ws = Workspace.open(root, { stateDir: options.stateDir });
        ws.catch(() => open.delete(root));
        open.set(root, ws);
      }
      return ws;
    },
    close() {
      for (const ws of open.values())
        void ws.then(
          (w) => w.close(),
          () => undefined,
        );
      open.clear();
    },
  };
}

export class OutsideRootsError extends UserError {
  override name = 'OutsideRootsError';
  constructor(
    readonly field: string,
    readonly path: string,
    roots: readonly string[],
  ) {
    super(
      `${field}: '${path}' is not inside a directory this server may touch (${roots.map((r) => `'${r}'`).join(', ') || 'none'}; start maestro mcp with --root DIR)`,
    );
  }
}

/** `path` (absolute, or relative to the first root), real, if it is a root or inside one. */
export function insideRoots(ctx: Pick<McpContext, 'roots'>, path: string, field: string): string {
  const given = isAbsolute(path) ? path : resolve(ctx.roots[0] ?? process.cwd(), path);
  let real: string;
  try {
    real = realpathSync(given);
  } catch {
    throw new UserError(`${field}: '${path}' does not exist`);
  }
  const inside = ctx.roots.some((root) => {
    const rel = relative(root, real);
    return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
  });
  if (!inside) throw new OutsideRootsError(field, path, ctx.roots);
  return real;
}
