/**
 * The coordination tools: a task's features bounded and read (`classify_task`), the agent
 * topology the coding workflow would pick for a phase (`select_architecture`, Kim et al.'s
 * rules), and the outcomes recorded so far (`arch_stats`, the state dir's arch-stats.jsonl, as
 * `maestro arch stats`). A `family` makes the measured single-agent success count (Rule A).
 */
import { z } from 'zod';
import { WORKFLOW_PHASES } from '../../config/workflow.js';
import { classify, selectArchitecture } from '../../actors/coding/architecture.js';
import { measuredFor, readStats } from '../../actors/coding/archStats.js';
import type { McpContext } from '../context.js';
import { defineTool, type McpTool } from '../tool.js';

const unit = z.number().min(0).max(1).optional();
const features = z
  .strictObject({ decomposability: unit, sequentialDependency: unit, toolComplexity: unit })
  .describe('each in [0, 1]; a missing one counts as 0.5');
const family = z.string().min(1).optional().describe('task family in arch-stats');
const stage = z.enum(WORKFLOW_PHASES).default('implement');
const notes = { defaulted: z.array(z.string()), notes: z.array(z.string()) };

export function coordinationTools(ctx: McpContext): McpTool[] {
  const measured = (fam: string | undefined, st: (typeof WORKFLOW_PHASES)[number]) =>
    fam === undefined ? undefined : measuredFor(readStats(ctx.stateDir), fam, st);
  return [
    defineTool({
      name: 'classify_task',
      group: 'coordination',
      readOnly: true,
      description:
        "A task's features bounded to [0, 1], with the measured single-agent success of its family when enough outcomes back it.",
      input: z.strictObject({ features, family, stage }),
      output: z.object({
        features: z.object({
          decomposability: z.number(),
          sequentialDependency: z.number(),
          toolComplexity: z.number(),
        }),
        singleAgentSuccess: z.number().optional(),
        records: z.number(),
        ...notes,
      }),
      run: async (a) => {
        const { inputs: _, ...c } = classify(a.features, measured(a.family, a.stage));
        return c;
      },
    }),
    defineTool({
      name: 'select_architecture',
      group: 'coordination',
      readOnly: true,
      description:
        'The agent topology (single, independent, centralized, ...) for a workflow phase, the rule that chose it and why.',
      input: z.strictObject({ stage, features, family, verified: z.boolean().default(true) }),
      output: z.object({
        topology: z.string(),
        rule: z.string(),
        reason: z.string(),
        inputs: z.object({}).loose(),
      }),
      run: async (a) => {
        const m = measured(a.family, a.stage);
        const s = selectArchitecture({
          stage: a.stage,
          features: a.features,
          verified: a.verified,
          ...(m && { measured: m }),
        });
        return { ...s, inputs: { ...s.inputs } };
      },
    }),
    defineTool({
      name: 'arch_stats',
      group: 'coordination',
      readOnly: true,
      description:
        'Recorded workflow outcomes by family, phase, topology and models: runs, success rate, mean tokens.',
      input: z.strictObject({ family }),
      output: z.object({
        file: z.string(),
        rows: z.array(
          z
            .object({
              family: z.string(),
              stage: z.string(),
              topology: z.string(),
              runs: z.number(),
              rate: z.number(),
            })
            .loose(),
        ),
        skipped: z.number(),
      }),
      run: async (a) => {
        const s = readStats(ctx.stateDir);
        return {
          file: s.file,
          rows: s.rows
            .filter((r) => a.family === undefined || r.family === a.family)
            .map((r) => ({ ...r })),
          skipped: s.skipped.length,
        };
      },
    }),
  ];
}
