/**
 * The evidence tools: what a mission decided and on what grounds, from its log (`evidence_chain`:
 * votes, candidates tried, selections, architecture choices, gates asked and answered,
 * supervisors' restart decisions, plans), and what it cost (`metrics`: calls, tokens, cost,
 * samples per step, restarts, from its status). A host can show a person why a patch went in.
 */
import { z } from 'zod';
import type { LoggedEvent } from '../../log/eventLog.js';
import type { McpContext } from '../context.js';
import { defineTool, type McpTool } from '../tool.js';
import { missionId, eventView } from './missionTools.js';

/** The log's decisions: the events evidence_chain keeps. */
export const DECISION_TYPES: ReadonlySet<string> = new Set([
  'maker.vote',
  'workflow.candidate',
  'workflow.selection',
  'workflow.architecture',
  'approval.requested',
  'approval.answered',
  'approval.closed',
  'supervisor.decision',
  'plan.compiled',
  'plan.revised',
  'plan.rejected',
  'monitor.revise',
  'monitor.abort',
  'mission.finished',
]);

export function evidenceTools(ctx: McpContext): McpTool[] {
  return [
    defineTool({
      name: 'evidence_chain',
      group: 'evidence',
      readOnly: true,
      description:
        "A mission's decisions from its log: votes, candidates, selections, architecture, gates, restarts, plans, its end. nextSeq pages on.",
      input: z.strictObject({
        mission: missionId,
        afterSeq: z.int().min(0).default(0),
        limit: z.int().min(1).max(500).default(100),
      }),
      output: z.object({
        decisions: z.array(z.object({ seq: z.number(), type: z.string() }).loose()),
        nextSeq: z.number(),
        more: z.boolean(),
      }),
      run: async (a) => {
        const decisions: LoggedEvent[] = [];
        let after = a.afterSeq;
        let more = false;
        await ctx.missions.scan(a.mission, a.afterSeq, (e) => {
          if (decisions.length === a.limit) {
            more = true;
            return false;
          }
          after = e.seq;
          if (DECISION_TYPES.has(e.type)) decisions.push(e);
          return true;
        });
        return {
          decisions: decisions.map(eventView) as { seq: number; type: string }[],
          nextSeq: after,
          more,
        };
      },
    }),
    defineTool({
      name: 'metrics',
      group: 'evidence',
      readOnly: true,
      description:
        "A mission's agent calls, plan/workflow phase calls, failures, restarts, tokens, cost, samples; MAKER samples per step, red-flag rate.",
      input: z.strictObject({ mission: missionId }),
      output: z.object({
        state: z.string(),
        calls: z.number(),
        phaseCalls: z.number(),
        failedCalls: z.number(),
        restarts: z.number(),
        tokens: z.number(),
        costUsd: z.number(),
        samples: z.number(),
        wallTimeMs: z.number(),
        agents: z.array(
          z
            .object({
              path: z.string(),
              calls: z.number(),
              failures: z.number(),
              restarts: z.number(),
            })
            .loose(),
        ),
        maker: z.array(
          z
            .object({ stage: z.string(), samplesPerStep: z.number(), redFlagRate: z.number() })
            .loose(),
        ),
      }),
      run: async (a) => {
        const s = await ctx.missions.status(a.mission);
        const agents = s.agents ?? [];
        const sum = (f: (x: (typeof agents)[number]) => number) =>
          agents.reduce((n, x) => n + f(x), 0);
        // A plan's or a workflow's phases call their models themselves: their samples are in the log.
        let phaseCalls = 0;
        await ctx.missions.scan(a.mission, 0, (e) => {
          if (e.type === 'genius.phase' || e.type === 'genius.text') phaseCalls += e.samples;
          return true;
        });
        return {
          state: s.state,
          calls: sum((x) => x.calls),
          phaseCalls,
          failedCalls: sum((x) => x.failures),
          restarts: sum((x) => x.restarts),
          tokens: s.usage?.tokens ?? 0,
          costUsd: s.usage?.costUsd ?? 0,
          samples: s.usage?.samples ?? 0,
          wallTimeMs: s.usage?.wallTimeMs ?? 0,
          agents: agents.map((x) => ({ ...x })),
          maker: (s.maker ?? []).map((m) => ({ ...m })),
        };
      },
    }),
  ];
}
