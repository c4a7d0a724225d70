/**
 * The consensus tools, MAKER's: `vote` draws samples of one agent until an answer is k votes
 * ahead of every other (first-to-ahead-by-k), red-flagged samples discarded and counted, and
 * says `exhausted` when the sample budget runs out first (never a plurality passed off as a
 * decision); `red_flag_check` judges one text by the same rules; `calibrate` gives k_min, the
 * samples per step and the cost for an error rate or measured counts.
 */
import { z } from 'zod';
import { errorMessage, UserError } from '../../kernel/errors.js';
import { calibrate } from '../../actors/maker/calibrator.js';
import { createRedFlagger, type RedFlagger } from '../../actors/maker/redFlag.js';
import { VoteTally } from '../../actors/maker/voteTally.js';
import type { McpContext } from '../context.js';
import { defineTool, type McpTool } from '../tool.js';

const rules = {
  maxChars: z.int().positive().optional(),
  maxTokens: z.int().positive().optional(),
  patterns: z.array(z.string().min(1)).max(16).optional().describe('regexes that flag a sample'),
  extract: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('regex whose first group is the answer; a sample it misses is flagged'),
};
type Rules = { maxChars?: number; maxTokens?: number; patterns?: string[]; extract?: string };

/** The red-flagger for `rules`: the answer is the text trimmed, or `extract`'s first group. */
function flagger(r: Rules): RedFlagger<null> {
  const compile = (source: string, field: string) => {
    try {
      return new RegExp(source);
    } catch (err) {
      throw new UserError(`${field}: not a regular expression: ${errorMessage(err)}`);
    }
  };
  for (const [i, p] of (r.patterns ?? []).entries()) compile(p, `patterns[${i}]`);
  const extract = r.extract === undefined ? undefined : compile(r.extract, 'extract');
  return createRedFlagger<null>(
    {
      ...(r.maxChars && { maxChars: r.maxChars }),
      ...(r.maxTokens && { maxTokens: r.maxTokens }),
      ...(r.patterns && { patterns: r.patterns }),
    },
    (text) => {
      if (extract === undefined) {
        const answer = text.trim();
        return answer === '' ? { error: 'empty answer' } : { answer, nextState: null };
      }
      const m = extract.exec(text);
      const answer = (m?.[1] ?? m?.[0])?.trim();
      return answer ? { answer, nextState: null } : { error: `no match for /${extract.source}/` };
    },
  );
}

export function consensusTools(ctx: McpContext): McpTool[] {
  return [
    defineTool({
      name: 'vote',
      group: 'consensus',
      description:
        'Sample an agent until one answer is k votes ahead (MAKER); red-flagged samples are discarded. outcome: decided, or exhausted (never a plurality).',
      input: z.strictObject({
        agent: z.string().min(1),
        prompt: z.string().min(1),
        k: z.int().min(1).max(20).default(3),
        maxSamples: z.int().min(1).max(500).default(30),
        ...rules,
      }),
      output: z.object({
        outcome: z.enum(['decided', 'exhausted']),
        winner: z.string().optional(),
        margin: z.number(),
        votes: z.record(z.string(), z.number()),
        samples: z.number(),
        redFlags: z.record(z.string(), z.number()),
        costUsd: z.number(),
      }),
      run: async (a, call) => {
        ctx.catalog.agent(a.agent);
        const judge = flagger(a);
        const tally = new VoteTally<null>();
        const redFlags: Record<string, number> = {};
        let samples = 0;
        let cost = 0;
        let lastLost = '';
        while (samples < a.maxSamples && tally.winner(a.k) === undefined) {
          // The fewest draws that could decide: k − margin, in parallel, within the budget.
          const n = Math.min(a.k - tally.margin, a.maxSamples - samples);
          const drawn = await Promise.all(
            Array.from({ length: n }, (_, i) =>
              ctx.catalog
                .ask(a.agent, a.prompt, {
                  caller: `mcp/vote#${samples + i + 1}`,
                  signal: call.signal,
                })
                .then(
                  (r) => {
                    cost += r.costUsd;
                    return judge(r.text, null, r.usage.completionTokens);
                  },
                  (err) => {
                    if (call.signal.aborted) throw err;
                    lastLost = errorMessage(err);
                    return {
                      ok: false as const,
                      reason: 'lost' as const,
                      detail: errorMessage(err),
                    };
                  },
                ),
            ),
          );
          samples += n;
          for (const j of drawn)
            if (j.ok) tally.add(j.parse.answer, null);
            else redFlags[j.reason] = (redFlags[j.reason] ?? 0) + 1;
          call.progress(
            `samples, leader ${tally.leaderVotes} ahead by ${tally.margin}`,
            samples,
            a.maxSamples,
          );
        }
        const winner = tally.winner(a.k);
        if (tally.votes === 0 && redFlags['lost'] === samples)
          throw new UserError(
            `vote: every one of the ${samples} samples failed (${lastLost}): no vote was cast`,
          );
        return {
          outcome: winner === undefined ? ('exhausted' as const) : ('decided' as const),
          ...(winner !== undefined && { winner }),
          margin: tally.margin,
          votes: tally.tallies(),
          samples,
          redFlags,
          costUsd: cost,
        };
      },
    }),
    defineTool({
      name: 'red_flag_check',
      group: 'consensus',
      readOnly: true,
      description:
        "Judge one sample by vote's red-flag rules: flagged with the reason, or the answer it would vote for.",
      input: z.strictObject({ text: z.string(), ...rules }),
      output: z.object({
        flagged: z.boolean(),
        reason: z.string().optional(),
        detail: z.string().optional(),
        answer: z.string().optional(),
      }),
      run: async (a) => {
        const j = flagger(a)(a.text, null);
        return j.ok
          ? { flagged: false, answer: j.parse.answer }
          : { flagged: true, reason: j.reason, detail: j.detail };
      },
    }),
    defineTool({
      name: 'calibrate',
      group: 'consensus',
      readOnly: true,
      description:
        'k_min for a task of s steps to succeed with probability target, from an error rate or successes/trials; samples per step and cost.',
      input: z.strictObject({
        steps: z.int().positive(),
        target: z.number().gt(0).lt(1),
        errorRate: z.number().min(0).lt(1).optional(),
        successes: z.int().min(0).optional(),
        trials: z.int().positive().optional(),
        redFlagRate: z.number().min(0).lt(1).default(0),
        costPerSampleUsd: z.number().min(0).optional(),
      }),
      output: z.object({
        p: z.number(),
        pLow: z.number().optional(),
        k: z.number(),
        pFull: z.number(),
        expectedSamplesPerStep: z.number(),
        expectedSamples: z.number(),
        expectedCostUsd: z.number().optional(),
      }),
      run: async (a) => {
        const { costPerSampleUsd, ...input } = a;
        const c = calibrate(input);
        const expectedSamples = c.expectedSamplesPerStep * a.steps;
        return {
          p: c.p,
          ...(c.pLow !== undefined && { pLow: c.pLow }),
          k: c.k,
          pFull: c.pFull,
          expectedSamplesPerStep: c.expectedSamplesPerStep,
          expectedSamples,
          ...(costPerSampleUsd !== undefined && {
            expectedCostUsd: expectedSamples * costPerSampleUsd,
          }),
        };
      },
    }),
  ];
}
