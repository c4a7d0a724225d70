/**
 * The consult tools: one model's answer (`consult`), several at once (`ensemble`: N agents, or N
 * samples of one), and the coding workflow's selection engine over candidate patches a host
 * already has (`select_best`: each tried in a worktree of its own, checked in the sandbox, then
 * chosen by the evidence alone, Agentless's recipe).
 */
import { z } from 'zod';
import { workspaceSchema } from '../../config/workspace.js';
import { errorMessage } from '../../kernel/errors.js';
import { loadPromptLibrary, type PromptLibrary } from '../../actors/promptLibrary.js';
import { selectCandidate } from '../../actors/coding/selection.js';
import { tryCandidate } from '../../actors/coding/tryCandidate.js';
import type { CandidateEvidence } from '../../actors/coding/types.js';
import { editFromText } from '../../workspace/editText.js';
import { insideRoots, type McpContext } from '../context.js';
import { defineTool, type McpTool } from '../tool.js';
import { argv, workspaceArg } from './workspaceTools.js';

const prompt = z.string().min(1);
const agent = z.string().min(1);

const answerOut = z.object({
  agent: z.string(),
  text: z.string(),
  model: z.string(),
  tokens: z.number(),
  costUsd: z.number(),
  latencyMs: z.number(),
});

export function consultTools(ctx: McpContext): McpTool[] {
  let prompts: PromptLibrary | undefined;
  const promptOf = (a: {
    prompt?: string;
    template?: { name: string; vars: Record<string, string> };
  }) => {
    if (a.prompt !== undefined) return a.prompt;
    prompts ??= loadPromptLibrary();
    return prompts.render(a.template!.name, a.template!.vars).text;
  };
  const ask = async (
    id: string,
    text: string,
    caller: string,
    signal: AbortSignal,
    system?: string,
  ) => {
    const r = await ctx.catalog.ask(id, text, {
      caller,
      signal,
      ...(system !== undefined && { system }),
    });
    return {
      agent: id,
      text: r.text,
      model: r.model,
      tokens: r.usage.totalTokens,
      costUsd: r.costUsd,
      latencyMs: Math.round(r.latencyMs),
    };
  };
  return [
    defineTool({
      name: 'consult',
      group: 'consult',
      description:
        "Ask one agent of the server's agents file; role replaces its system prompt, template renders a prompt-library prompt.",
      input: z
        .strictObject({
          agent,
          prompt: prompt.optional(),
          template: z
            .strictObject({
              name: z.string().min(1),
              vars: z.record(z.string(), z.string()).default({}),
            })
            .optional(),
          role: z.string().optional(),
        })
        .refine((a) => (a.prompt === undefined) !== (a.template === undefined), {
          path: ['prompt'],
          message: 'expected prompt or template (one of them)',
        }),
      output: answerOut,
      run: (a, call) => ask(a.agent, promptOf(a), 'mcp/consult', call.signal, a.role),
    }),
    defineTool({
      name: 'ensemble',
      group: 'consult',
      description:
        'Ask several agents (or one agent several times) the same prompt in parallel; every answer, and each failure as its error.',
      input: z.strictObject({
        agents: z.array(agent).min(1).max(16),
        samples: z.int().min(1).max(16).default(1).describe('answers per agent'),
        prompt,
      }),
      output: z.object({
        answers: z.array(
          z.object({
            agent: z.string(),
            sample: z.number(),
            text: z.string().optional(),
            error: z.string().optional(),
          }),
        ),
        costUsd: z.number(),
      }),
      run: async (a, call) => {
        for (const id of a.agents) ctx.catalog.agent(id);
        const asks = a.agents.flatMap((id) =>
          Array.from({ length: a.samples }, (_, i) => [id, i + 1] as const),
        );
        let done = 0;
        let cost = 0;
        const answers = await Promise.all(
          asks.map(async ([id, sample]) => {
            try {
              const r = await ask(id, a.prompt, `mcp/ensemble#${sample}`, call.signal);
              cost += r.costUsd;
              return { agent: id, sample, text: r.text };
            } catch (err) {
              return { agent: id, sample, error: errorMessage(err) };
            } finally {
              call.progress('answers', ++done, asks.length);
            }
          }),
        );
        return { answers, costUsd: cost };
      },
    }),
    defineTool({
      name: 'select_best',
      group: 'consult',
      description:
        'Try candidate edits each in its own worktree, run the checks in the sandbox, and choose by the evidence (flagged, apply, tests, agreement, size).',
      input: z.strictObject({
        workspace: workspaceArg,
        candidates: z
          .array(z.strictObject({ patch: z.string().min(1), source: z.string().optional() }))
          .min(1)
          .max(16),
        test: argv.optional(),
        lint: argv.optional(),
        typecheck: argv.optional(),
        minAgreement: z.int().min(1).max(16).default(1),
      }),
      output: z.object({
        outcome: z.enum(['selected', 'tied', 'none_pass']),
        chosen: z.string().optional(),
        tied: z.array(z.string()).optional(),
        steps: z.array(z.object({ step: z.string(), kept: z.array(z.string()) }).loose()),
        candidates: z.array(z.object({ id: z.string() }).loose()),
      }),
      run: async (a, call) => {
        const root = insideRoots(ctx, a.workspace, 'workspace');
        const verify = Object.fromEntries(
          (['test', 'lint', 'typecheck'] as const).flatMap((k) =>
            a[k] ? [[k, { argv: a[k] }]] : [],
          ),
        );
        const config = workspaceSchema.parse({ path: root, verify });
        const ws = await ctx.workspace(root);
        const evidence: CandidateEvidence[] = [];
        const tag = `mcp-${Date.now().toString(36)}`;
        try {
          for (const [i, c] of a.candidates.entries()) {
            call.progress('candidates tried', i, a.candidates.length);
            const tried = await tryCandidate(
              ws,
              config,
              `${tag}-c${i + 1}`,
              c.source ?? `candidate ${i + 1}`,
              editFromText(c.patch),
              call.signal,
            );
            evidence.push({ ...tried.evidence, id: `c${i + 1}` });
          }
        } finally {
          for (const c of ws.candidates()) if (c.name.startsWith(tag)) await ws.removeCandidate(c);
        }
        const s = selectCandidate(evidence, {
          requireTests: a.test !== undefined,
          minAgreement: a.minAgreement,
        });
        return {
          ...s,
          steps: s.steps.map((step) => ({ ...step })),
          candidates: evidence.map(({ apply, ...e }) => ({
            ...e,
            apply: apply.ok ? { ok: true, stats: apply.stats, hash: apply.hash } : apply,
          })),
        };
      },
    }),
  ];
}
