/**
 * The mission file: providers, agents, stages, supervision and budgets. Defaults are applied by
 * the schema and documented with `@default`; the cross-field rules (missionRules.ts: every
 * agent's provider exists, every stage's agents exist, names are unique, known placeholders)
 * run with it, each with the path of the field.
 */
import { z } from 'zod';
import { makerSchema } from './maker.js';
import { workspaceSchema } from './workspace.js';
import { ID_MAX_LENGTH, missionRules, providerBoundMs, type RuleOptions } from './missionRules.js';
import { approvalSchema } from './approval.js';
import { planSchema } from './plan.js';
import { workflowSchema } from './workflow.js';
import { councilSchema } from './council.js';
import { providerConfigSchema, type ProviderConfig } from './providers.js';

export { providerBoundMs };

/**
 * Ids become NATS subject tokens and path segments: letters, digits, `_` and `-`. A new mission's
 * ids are at most ID_MAX_LENGTH characters, so a log's file name stays far below 255; that limit
 * is a rule of missionRules.ts (not of this schema), so that a log written before it still resumes.
 */
// (maxLength as metadata: editors see the limit in the JSON Schema; the rule enforces it.)
const idChars = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, _ or - only')
  .meta({ maxLength: ID_MAX_LENGTH });
/** Whether `s` is made of an id's characters only (a path segment: no `/`, no `.`), whatever its length. */
export const hasIdChars = (s: string): boolean => idChars.safeParse(s).success;
/** An id given on its own (a submission's mission id): the characters and the length. */
export const idSchema = idChars.max(ID_MAX_LENGTH, `expected at most ${ID_MAX_LENGTH} characters`);

export const budgetSchema = z.strictObject({
  /** Total tokens (prompt + completion) over every model call in the subtree. */
  tokens: z.int().positive().optional(),
  /** US dollars, from the providers' prices. */
  costUsd: z.number().positive().optional(),
  /** Wall time from the subtree's start. */
  wallTimeMs: z.int().positive().optional(),
  /** Number of model calls. */
  samples: z.int().positive().optional(),
});
export type BudgetConfig = z.output<typeof budgetSchema>;

export const backoffSchema = z
  .strictObject({
    minMs: z.int().nonnegative(),
    maxMs: z.int().nonnegative(),
    /** @default 0 */
    randomFactor: z.number().nonnegative().default(0),
    /** @default maxMs */
    resetAfterMs: z.int().positive().optional(),
  })
  .refine((b) => b.maxMs >= b.minMs, { path: ['maxMs'], message: 'must be at least minMs' });

/** How a stage supervises its agent workers (OTP's flags and child spec fields). */
export const stageSupervisionSchema = z.strictObject({
  /** @default 'one_for_one' */
  strategy: z.enum(['one_for_one', 'one_for_all', 'rest_for_one']).default('one_for_one'),
  /** Restarts allowed within periodMs before the stage fails. @default 1 */
  intensity: z.int().nonnegative().default(1),
  /** @default 5000 */
  periodMs: z.int().positive().default(5000),
  /**
   * Restarts allowed over the stage's whole run, however far apart (intensity is per period: an
   * agent failing less often than that is restarted forever without this). @default no bound
   */
  maxRestarts: z.int().nonnegative().optional(),
  /** transient: a crashed agent is restarted, a finished one is not; temporary: never restarted. @default 'transient' */
  restart: z.enum(['transient', 'temporary']).default('transient'),
  /** How long an agent may take to stop when asked before it is killed. @default 5000 */
  shutdownMs: z.int().nonnegative().default(5000),
  backoff: backoffSchema.optional(),
});

/** How the mission supervises its stages. */
export const missionSupervisionSchema = z.strictObject({
  /** Restarts of failed stages allowed within periodMs before the mission fails. @default 1 */
  intensity: z.int().nonnegative().default(1),
  /** @default 5000 */
  periodMs: z.int().positive().default(5000),
});

export const agentSchema = z.strictObject({
  id: idChars,
  /** Key of an entry in `providers`. */
  provider: idChars,
  /** Overrides the provider's model. */
  model: z.string().min(1).optional(),
  /** The agent's system prompt. */
  role: z.string().optional(),
  /** What the agent can do (`code`, `research`, …): a plan's tasks go to an agent with the capabilities they need. @default none */
  capabilities: z.array(z.string().min(1)).default([]),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.int().positive().optional(),
  /**
   * How long one call may take, over the transport, before it counts as a crash. Never shorter
   * than the provider may take (a call given up on would run on, unpaid for and then repeated).
   * @default the provider's own bound (see `providerBoundMs`), or 120000 for scripted and simulated
   */
  timeoutMs: z.int().positive().optional(),
});
export type AgentConfig = z.output<typeof agentSchema>;

export { approvalSchema, type ApprovalConfig } from './approval.js';

export const stageSchema = z.strictObject({
  name: idChars,
  /** `{{input}}` is the mission's input, `{{previous}}` the previous stage's output (appended when absent); any other `{{name}}` is refused. */
  prompt: z.string().min(1).optional(),
  /** Ids of the agents that answer this stage's prompt, in parallel. */
  agents: z.array(idChars).min(1, 'expected at least 1 agent').optional(),
  /** Instead of prompt and agents: a step-by-step task decided by MAKER voting. */
  maker: makerSchema.optional(),
  /** Instead of prompt and agents: a goal the planner plans, runs as a graph of tasks, and synthesizes. */
  plan: planSchema.optional(),
  /**
   * Instead of prompt and agents: a bug or a change taken through analyze → hypothesize →
   * implement → debug → improve on the mission's workspace, a gate after each phase.
   */
  workflow: workflowSchema.optional(),
  /** Instead of agents: a council of members that deliberate in rounds to an exact quorum. */
  council: councilSchema.optional(),
  /** @default OTP's defaults: one_for_one, 1 restart in 5000 ms, transient agents */
  supervision: stageSupervisionSchema.default(() => stageSupervisionSchema.parse({})),
  budget: budgetSchema.optional(),
  /** Wait for a person to approve the stage's output before the mission goes on (`true` for the defaults). */
  approval: z
    .union([z.literal(true).transform(() => approvalSchema.parse({})), approvalSchema])
    .optional(),
});
export type StageConfig = z.output<typeof stageSchema>;

const missionFields = z.strictObject({
  name: idChars,
  description: z.string().optional(),
  /** Text for `{{input}}` in stage prompts; `maestro run --input` overrides it. */
  input: z.string().optional(),
  providers: z
    .record(idChars, providerConfigSchema)
    .refine((p) => Object.keys(p).length > 0, 'expected at least 1 provider'),
  agents: z.array(agentSchema).min(1, 'expected at least 1 agent'),
  stages: z.array(stageSchema).min(1, 'expected at least 1 stage'),
  /** @default intensity 1 in 5000 ms */
  supervision: missionSupervisionSchema.default(() => missionSupervisionSchema.parse({})),
  budget: budgetSchema.optional(),
  /** The repository the mission's agents change, its path rules, sandbox and verification commands. */
  workspace: workspaceSchema.optional(),
});

// `when`: the rules run even where the schema refused parts, so every problem comes in one pass.
const withRules = (options: RuleOptions) =>
  missionFields.superRefine(
    (m, ctx) => {
      for (const issue of missionRules(m, options))
        ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
    },
    { when: () => true },
  );

/** A mission file: the schema, then every cross-field rule. */
export const missionSchema = withRules({});

/**
 * An agents file (`maestro mcp --agents FILE`): the providers and agents of a mission file, with
 * the same rules; its name and stages may be left out, so any mission file is one too.
 */
export const agentsFileSchema = missionFields.partial({ name: true, stages: true }).superRefine(
  (m, ctx) => {
    for (const issue of missionRules(m))
      ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
  },
  { when: () => true },
);
export type AgentsFileConfig = z.output<typeof agentsFileSchema>;

/**
 * A mission config read back from its event log (`mission.submitted`). It was accepted when it
 * was submitted, so a rule added since that only concerns writing the file (placeholders: an
 * old mission's literal `{{x}}` went to the model as text, and still does) cannot stop it from
 * resuming.
 */
export const loggedMissionSchema = withRules({ placeholders: false });

export type MissionConfig = z.output<typeof missionSchema>;
export type MissionConfigInput = z.input<typeof missionSchema>;

/** An agent's call timeout over the transport: its own, or its provider's bound plus a margin. */
export function agentTimeoutMs(agent: AgentConfig, provider: ProviderConfig): number {
  return agent.timeoutMs ?? (providerBoundMs(provider) ?? 119_000) + 1000;
}
