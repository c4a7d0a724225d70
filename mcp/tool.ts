/**
 * One MCP tool as Maestro defines it: a name, a group (seed 001's), a short exact description,
 * zod input and output schemas, and a `run` that is a thin adapter over what the runtime already
 * does. The tool server (toolServer.ts) turns a table of these into `tools/list` and
 * `tools/call`; a tool never sees the protocol.
 */
import type { z } from 'zod';

export const TOOL_GROUPS = [
  'consult',
  'consensus',
  'workspace',
  'workflow',
  'missions',
  'coordination',
  'evidence',
] as const;
export type ToolGroup = (typeof TOOL_GROUPS)[number];

/** What a running tool may do besides computing its result. */
export interface ToolCall {
  /** Aborted when the client cancels the call (or the connection goes). */
  signal: AbortSignal;
  /** Progress for a client that sent a progress token (a no-op otherwise). */
  progress(message: string, done?: number, total?: number): void;
}

export interface McpTool<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  group: ToolGroup;
  /** One or two sentences: what it does and what it returns. */
  description: string;
  input: I;
  output: O;
  /** Throws a `UserError` for a request that cannot be done (its message is the tool's error). */
  run(args: z.output<I>, call: ToolCall): Promise<z.input<O>>;
  /** Hints for hosts: a tool that changes nothing may be called without asking. */
  readOnly?: boolean;
  /** A hint for hosts: a person should confirm the call (it answers a human gate). */
  destructive?: boolean;
}

/** Types `run` against the schemas (the table holds tools of every shape). */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(
  tool: McpTool<I, O>,
): McpTool {
  return tool as unknown as McpTool;
}
