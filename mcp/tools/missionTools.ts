/**
 * The mission tools: start a mission (a file under a root, or its text inline) and return its
 * handle at once, read its status, page through its event log, stop it. The mission runs in the
 * server's daemon (its own, or the one it is attached to), so it survives the host and the
 * server: its log is the durable record, and these tools read it.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { LoggedEvent } from '../../log/eventLog.js';
import { insideRoots, type McpContext } from '../context.js';
import { checkHostMission } from '../hostMission.js';
import { eventPage } from '../missionHost.js';
import { defineTool, type McpTool } from '../tool.js';
import { cut, cutStrings } from '../trim.js';

/** A mission id as the daemon makes or takes them. */
export const missionId = z.string().min(1);
/** Characters of one string in an event or a stage output before it is cut. */
export const STRING_CAP = 4000;

export const summaryOut = {
  id: z.string(),
  name: z.string(),
  state: z.string(),
  stage: z.string().optional(),
  stages: z.array(z.string()),
};

/** An event as a tool gives it: its envelope and its fields, long strings cut. */
export function eventView(e: LoggedEvent): Record<string, unknown> {
  return cutStrings({ ...e }, STRING_CAP) as Record<string, unknown>;
}

export function missionTools(ctx: McpContext): McpTool[] {
  return [
    defineTool({
      name: 'mission_run',
      group: 'missions',
      description:
        'Start a mission from a file under a root or inline YAML/JSON; returns its id at once. A bad file is an error naming file:line path.',
      input: z
        .strictObject({
          path: z.string().min(1).optional(),
          yaml: z.string().min(1).optional(),
          input: z.string().optional().describe('{{input}} of the stage prompts'),
          id: z.string().min(1).optional(),
        })
        .refine((a) => (a.path === undefined) !== (a.yaml === undefined), {
          path: ['path'],
          message: 'expected path or yaml (one of them)',
        }),
      output: z.object({ ...summaryOut, where: z.string() }),
      run: async (a) => {
        const path = a.path === undefined ? undefined : insideRoots(ctx, a.path, 'path');
        const text = path === undefined ? a.yaml! : readFileSync(path, 'utf8');
        checkHostMission(text, path ?? 'mission.yaml', ctx.catalog, ctx.allowEnv);
        // The text checked is the text submitted (the file is not read twice).
        const s = await ctx.missions.submit({
          source: text,
          filename: path ?? 'mission.yaml',
          ...(a.input !== undefined && { input: a.input }),
          ...(a.id !== undefined && { id: a.id }),
        });
        return { ...summaryFields(s), where: ctx.missions.where };
      },
    }),
    defineTool({
      name: 'mission_status',
      group: 'missions',
      readOnly: true,
      description:
        "A mission's state, stage, finished stages' output, result or error, usage, approvals and MAKER progress.",
      input: z.strictObject({ id: missionId }),
      output: z.object({
        ...summaryOut,
        result: z.string().optional(),
        error: z.object({ reason: z.string(), message: z.string() }).optional(),
        done: z.array(z.object({ name: z.string(), output: z.string() })),
        approvals: z.array(z.object({ id: z.string(), stage: z.string(), status: z.string() })),
        usage: z
          .object({ tokens: z.number(), costUsd: z.number(), samples: z.number() })
          .loose()
          .optional(),
        maker: z.array(z.object({ stage: z.string(), step: z.number() }).loose()).optional(),
      }),
      run: async (a) => {
        const s = await ctx.missions.status(a.id);
        return {
          ...summaryFields(s),
          ...(s.result !== undefined && { result: cut(s.result, STRING_CAP) }),
          ...(s.error && { error: s.error }),
          done: s.done.map((d) => ({ name: d.name, output: cut(d.output, STRING_CAP) })),
          approvals: s.approvals.map((p) => ({ id: p.id, stage: p.stage, status: p.status })),
          ...(s.usage && { usage: { ...s.usage } }),
          ...(s.maker && { maker: s.maker.map((m) => ({ ...m })) }),
        };
      },
    }),
    defineTool({
      name: 'mission_events',
      group: 'missions',
      readOnly: true,
      description:
        "A page of a mission's event log after afterSeq (long strings cut); nextSeq continues it.",
      input: z.strictObject({
        id: missionId,
        afterSeq: z.int().min(0).default(0),
        limit: z.int().min(1).max(500).default(100),
        types: z.array(z.string().min(1)).max(32).optional().describe('only these event types'),
      }),
      output: z.object({
        events: z.array(z.object({ seq: z.number(), type: z.string() }).loose()),
        nextSeq: z.number(),
      }),
      run: async (a) => {
        const page = await eventPage(ctx.missions, a.id, a.afterSeq, a.limit);
        const keep = a.types === undefined ? undefined : new Set(a.types);
        return {
          events: page.filter((e) => keep === undefined || keep.has(e.type)).map(eventView),
          nextSeq: page.at(-1)?.seq ?? a.afterSeq,
        } as { events: { seq: number; type: string }[]; nextSeq: number };
      },
    }),
    defineTool({
      name: 'mission_stop',
      group: 'missions',
      description: 'Ask a running mission to stop; it ends stopped once its tree has shut down.',
      input: z.strictObject({ id: missionId, reason: z.string().optional() }),
      output: z.object(summaryOut),
      run: async (a) =>
        summaryFields(await ctx.missions.stop(a.id, a.reason ?? 'stopped by an MCP host')),
    }),
  ];
}

export function summaryFields(s: {
  id: string;
  name: string;
  state: string;
  stage?: string;
  stages: string[];
}) {
  return {
    id: s.id,
    name: s.name,
    state: s.state,
    ...(s.stage !== undefined && { stage: s.stage }),
    stages: s.stages,
  };
}
