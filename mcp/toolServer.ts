/**
 * Maestro's tool table as an MCP server, on the SDK's low-level `Server`: `tools/list` is the
 * table's listing, made once (byte-identical on every call), and `tools/call` is Maestro's own
 * path: an unknown tool, arguments over the size cap, arguments that fail their schema (worded
 * as the CLI words a config error: `vote arguments k: expected at least 1`) and a refusal from
 * the tool are all `isError` results, never protocol errors, so the model that called can read
 * them and try again; the server keeps serving. Results are masked for secrets before they go.
 *
 * One factory serves both protocol eras: the SDK builds a `Server` per connection (2025) or per
 * request (2026-07-28) from `serverFactory(...)`, and the tool table is shared.
 */
import { Server, type Tool } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import { z } from 'zod';
import { formatPath, parseConfigValue } from '../config/loader.js';
import { zodMessage } from '../config/zodMessage.js';
import { errorMessage, UserError } from '../kernel/errors.js';
import { redact } from '../kernel/secrets.js';
import type { McpTool, ToolCall } from './tool.js';

/** Arguments larger than this (as JSON) are refused before they are parsed. @default 1 MiB */
export const DEFAULT_MAX_ARGUMENT_BYTES = 1024 * 1024;
/** A progress notification at least this often while a tool runs, for a client that asked. */
export const PROGRESS_EVERY_MS = 5_000;

export type ListedTool = Tool;

export interface ToolServerOptions {
  name?: string;
  version: string;
  logger: Logger;
  maxArgumentBytes?: number;
  /** @default PROGRESS_EVERY_MS */
  progressEveryMs?: number;
}

export interface CallResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** The tools as `tools/list` gives them, in the table's order. */
export function listTools(tools: readonly McpTool[]): ListedTool[] {
  return tools.map((t) => ({
    name: t.name,
    description: t.description,
    inputSchema: jsonSchema(t.input, 'input'),
    outputSchema: jsonSchema(t.output, 'output'),
    ...((t.readOnly !== undefined || t.destructive !== undefined) && {
      annotations: {
        ...(t.readOnly !== undefined && { readOnlyHint: t.readOnly }),
        ...(t.destructive !== undefined && { destructiveHint: t.destructive }),
      },
    }),
  }));
}

/** The listing's size as a host's context pays for it: its JSON's characters / 4. */
export function listingTokens(tools: readonly McpTool[]): number {
  return Math.ceil(JSON.stringify({ tools: listTools(tools) }).length / 4);
}

/**
 * The schema as JSON Schema, without what costs a host's context and tells it little: the
 * `$schema` line, the safe-integer bounds zod adds to every `int`, `minLength: 1`; in output
 * schemas, `additionalProperties: false`, `required`, and below the top level only each field's type (the
 * server checks its output against the whole zod schema before it goes).
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Tool['inputSchema'] {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return compact(rest, io, 0) as Tool['inputSchema'];
}

function compact(node: unknown, io: 'input' | 'output', depth: number): unknown {
  if (Array.isArray(node)) return node.map((n) => compact(n, io, depth));
  if (node === null || typeof node !== 'object') return node;
  const n = node as Record<string, unknown>;
  if (io === 'output' && depth >= 2 && (n.type === 'object' || n.type === 'array'))
    return n.type === 'array' && n.items && typeof n.items === 'object'
      ? { type: 'array', items: { type: (n.items as { type?: unknown }).type ?? {} } }
      : { type: n.type };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(n)) {
    if ((k === 'maximum' || k === 'minimum') && Math.abs(v as number) === Number.MAX_SAFE_INTEGER)
      continue;
    if (k === 'minLength' && v === 1) continue;
    if (
      io === 'output' &&
      (k === 'additionalProperties' || k === 'propertyNames' || k === 'required')
    )
      continue;
    out[k] = compact(v, io, k === 'properties' || k === 'items' ? depth + 1 : depth);
  }
  return out;
}

/** A factory of servers over `tools`, for `serveStdio`, `createMcpHandler` or a linked transport. */
export function serverFactory(tools: readonly McpTool[], options: ToolServerOptions): () => Server {
  const byName = new Map(tools.map((t) => [t.name, t]));
  if (byName.size !== tools.length) throw new Error('two tools share a name');
  const listing = { tools: listTools(tools) };
  return () => {
    const server = new Server(
      { name: options.name ?? 'maestro', version: options.version },
      { capabilities: { tools: { listChanged: false } } },
    );
    server.setRequestHandler('tools/list', () => structuredClone(listing));
    server.setRequestHandler('tools/call', async (request, ctx) => {
      const token = ctx.mcpReq._meta?.progressToken;
      const progress =
        token === undefined
          ? undefined
          : progressSender(options.progressEveryMs ?? PROGRESS_EVERY_MS, (params) =>
              ctx.mcpReq
                .notify({
                  method: 'notifications/progress',
                  params: { progressToken: token, ...params },
                })
                .catch(() => undefined),
            );
      try {
        return await callTool(
          byName,
          request.params.name,
          request.params.arguments,
          { signal: ctx.mcpReq.signal, progress: progress?.send ?? (() => {}) },
          options,
        );
      } finally {
        await progress?.stop();
      }
    });
    return server;
  };
}

/** Runs tool `name` on `args` and words every failure as an `isError` result. */
export async function callTool(
  byName: ReadonlyMap<string, McpTool>,
  name: string,
  args: unknown,
  call: ToolCall,
  options: Pick<ToolServerOptions, 'logger' | 'maxArgumentBytes'>,
): Promise<CallResult> {
  const tool = byName.get(name);
  if (tool === undefined)
    return failure(`unknown tool '${name}': tools/list names the ${byName.size} tools`);
  const cap = options.maxArgumentBytes ?? DEFAULT_MAX_ARGUMENT_BYTES;
  const size = Buffer.byteLength(JSON.stringify(args ?? {}));
  if (size > cap) return failure(`${name} arguments: ${size} bytes, over the cap of ${cap} bytes`);
  try {
    const parsed = parseConfigValue(args ?? {}, `${name} arguments`, tool.input);
    const result = redact(await tool.run(parsed, call)) as Record<string, unknown>;
    const checked = tool.output.safeParse(result, { error: zodMessage });
    if (!checked.success) {
      // Ours, not the caller's: said on stderr, and to the caller as a failure.
      const where = checked.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
      options.logger.error(
        { tool: name, issues: where },
        `maestro mcp: ${name} gave a result its output schema refuses`,
      );
      return failure(
        `${name} failed: its result does not match its output schema (${where.join('; ')})`,
      );
    }
    return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
  } catch (err) {
    if (err instanceof UserError) return failure(err.message);
    if (call.signal.aborted) return failure(`${name}: cancelled`);
    options.logger.error({ err, tool: name }, `maestro mcp: tool ${name} failed`);
    return failure(`${name} failed: ${errorMessage(err)}`);
  }
}

function failure(message: string): CallResult {
  return { content: [{ type: 'text', text: redact(message) }], isError: true };
}

interface ProgressParams {
  progress: number;
  message: string;
}

/**
 * Progress notifications for one call: each `send`, and the last one again every
 * `everyMs` while nothing new comes (hosts give up on a silent call after 60 s). The
 * `progress` value counts notifications, so it only grows, as the protocol requires. `stop`
 * settles once every notification is sent: the result must not overtake them.
 */
function progressSender(
  everyMs: number,
  notify: (p: ProgressParams) => Promise<unknown>,
): {
  send: ToolCall['progress'];
  stop(): Promise<unknown>;
} {
  let n = 0;
  let last = 'working';
  let sent: Promise<unknown> = Promise.resolve();
  const emit = () => {
    n += 1;
    const params = { progress: n, message: last };
    sent = sent.then(() => notify(params));
  };
  const timer = setInterval(emit, everyMs);
  timer.unref();
  return {
    send(message, done, of) {
      last = done === undefined ? message : `${message} (${done}${of ? ` of ${of}` : ''})`;
      emit();
      timer.refresh();
    },
    stop: () => {
      clearInterval(timer);
      return sent;
    },
  };
}
