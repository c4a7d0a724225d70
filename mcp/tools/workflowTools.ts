/**
 * The workflow and approval tools. `workflow_start` makes a mission of one coding-workflow stage
 * on a workspace, with the server's agents, and starts it as `mission_run` does; its phases wait
 * at gates that are the runtime's durable approval records (`approval.requested` in the log), so
 * a gate outlives the host and the server: a host polls `approvals_pending`, reads the phase's
 * report (`stage_report`) and answers with `approval_submit`, by id, whenever it likes. No tool
 * waits for a person.
 */
import { z } from 'zod';
import type { ApprovalRecord } from '../../daemon/daemonApi.js';
import { UserError } from '../../kernel/errors.js';
import { insideRoots, type McpContext } from '../context.js';
import { defineTool, type McpTool } from '../tool.js';
import { cut, cutStrings } from '../trim.js';
import { missionId, STRING_CAP, summaryFields, summaryOut } from './missionTools.js';
import { argv, workspaceArg } from './workspaceTools.js';

const agentId = z.string().min(1);
const approvalOut = z.object({
  id: z.string(),
  mission: z.string(),
  stage: z.string(),
  status: z.string(),
  requestedAt: z.string(),
  feedback: z.string().optional(),
  answeredAt: z.string().optional(),
  by: z.string().optional(),
});

function approvalView(a: ApprovalRecord) {
  return {
    id: a.id,
    mission: a.mission,
    stage: a.stage,
    status: a.status,
    requestedAt: a.requestedAt,
    ...(a.feedback !== undefined && { feedback: a.feedback }),
    ...(a.answeredAt !== undefined && { answeredAt: a.answeredAt }),
    ...(a.by !== undefined && { by: a.by }),
  };
}

/**
 * A stage's output for a reader: a workflow phase's own report (summary, findings, risks,
 * questions, next) apart from the rest of its output (analysis, baseline, candidates,
 * selection), long strings cut; any other stage's output as its text.
 */
function reportOf(output: string): { report: unknown; detail?: unknown } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    return { report: cut(output, STRING_CAP * 4) };
  }
  if (parsed && typeof parsed === 'object' && 'report' in parsed) {
    const { report, ...detail } = parsed as { report: unknown };
    return { report: cutStrings(report, STRING_CAP), detail: cutStrings(detail, STRING_CAP / 2) };
  }
  return { report: cutStrings(parsed, STRING_CAP) };
}

/** A host's text as a literal: a `${NAME}` in it is not read from the environment. */
function literal(text: string): string {
  return text.replaceAll('${', '$${');
}

export function workflowTools(ctx: McpContext): McpTool[] {
  return [
    defineTool({
      name: 'workflow_start',
      group: 'workflow',
      description:
        'Start the coding workflow (analyze, hypothesize, implement, debug, improve; a gate after each) on a workspace; returns the mission id at once.',
      input: z.strictObject({
        workspace: workspaceArg,
        task: z.string().min(1),
        agent: agentId.describe('answers analyze, hypothesize, debug, improve'),
        implementers: z.array(agentId).min(1).max(16).optional(),
        candidates: z.int().min(1).max(16).default(3),
        test: argv.describe('the test command that proves a patch'),
        lint: argv.optional(),
        typecheck: argv.optional(),
        gates: z.boolean().default(true),
        id: z.string().min(1).optional(),
      }),
      output: z.object({ ...summaryOut, where: z.string() }),
      run: async (a) => {
        const root = insideRoots(ctx, a.workspace, 'workspace');
        // The agents file as written: the daemon reads its variables itself, under its policy.
        const { providers, agents } = ctx.catalog.raw;
        for (const id of [a.agent, ...(a.implementers ?? [])]) ctx.catalog.agent(id);
        const verify = Object.fromEntries(
          (['test', 'lint', 'typecheck'] as const).flatMap((k) =>
            a[k] ? [[k, { argv: a[k] }]] : [],
          ),
        );
        const mission = {
          name: 'workflow',
          description: literal(cut(a.task, 200)),
          providers,
          agents,
          workspace: { path: root, verify },
          stages: [
            {
              name: 'fix',
              workflow: {
                task: literal(a.task),
                agent: a.agent,
                ...(a.implementers && { implementers: a.implementers }),
                candidates: a.candidates,
                gates: a.gates,
              },
            },
          ],
        };
        const s = await ctx.missions.submit({
          source: JSON.stringify(mission, null, 1),
          filename: 'workflow_start.json',
          ...(a.id !== undefined && { id: a.id }),
        });
        return { ...summaryFields(s), where: ctx.missions.where };
      },
    }),
    defineTool({
      name: 'workflow_state',
      group: 'workflow',
      readOnly: true,
      description:
        "A workflow mission's phases (done, running, waiting at its gate, to come) and the gates waiting for an answer.",
      input: z.strictObject({ mission: missionId }),
      output: z.object({
        ...summaryOut,
        phases: z.array(
          z.object({
            stage: z.string(),
            status: z.enum(['done', 'running', 'waiting', 'pending']),
          }),
        ),
        waiting: z.array(z.string()),
        error: z.object({ reason: z.string(), message: z.string() }).optional(),
      }),
      run: async (a) => {
        const s = await ctx.missions.status(a.mission);
        const done = new Set(s.done.map((d) => d.name));
        const waiting = s.approvals.filter((p) => p.status === 'pending');
        const gated = new Set(waiting.map((p) => p.stage));
        return {
          ...summaryFields(s),
          phases: s.stages.map((stage) => ({
            stage,
            status: done.has(stage)
              ? ('done' as const)
              : gated.has(stage)
                ? ('waiting' as const)
                : stage === s.stage && !s.finishedAt
                  ? ('running' as const)
                  : ('pending' as const),
          })),
          waiting: waiting.map((p) => p.id),
          ...(s.error && { error: s.error }),
        };
      },
    }),
    defineTool({
      name: 'stage_report',
      group: 'workflow',
      readOnly: true,
      description:
        "A stage's report: its output (a workflow phase's summary, findings, risks, candidates, selection), finished or waiting at its gate.",
      input: z.strictObject({ mission: missionId, stage: z.string().min(1) }),
      output: z.object({
        stage: z.string(),
        status: z.string(),
        report: z.unknown(),
        detail: z.unknown().optional(),
        approval: z.string().optional(),
      }),
      run: async (a) => {
        const s = await ctx.missions.status(a.mission);
        const gate = [...s.approvals]
          .reverse()
          .find((p) => p.stage === a.stage && p.status === 'pending');
        if (gate)
          return { stage: a.stage, status: 'waiting', ...reportOf(gate.output), approval: gate.id };
        const done = s.done.find((d) => d.name === a.stage);
        if (done) return { stage: a.stage, status: 'done', ...reportOf(done.output) };
        if (!s.stages.includes(a.stage))
          throw new UserError(
            `stage: mission '${a.mission}' has no stage '${a.stage}' (its stages: ${s.stages.join(', ')})`,
          );
        return {
          stage: a.stage,
          status: a.stage === s.stage ? 'running' : 'pending',
          report: null,
        };
      },
    }),
    defineTool({
      name: 'approvals_pending',
      group: 'workflow',
      readOnly: true,
      description:
        'Gates waiting for an answer, oldest first (of one mission, or all); each id is what approval_submit takes.',
      input: z.strictObject({ mission: missionId.optional() }),
      output: z.object({ approvals: z.array(approvalOut.extend({ summary: z.string() })) }),
      run: async (a) => ({
        approvals: (await ctx.missions.approvals())
          .filter((p) => a.mission === undefined || p.mission === a.mission)
          .map((p) => ({ ...approvalView(p), summary: cut(p.output, 1000) })),
      }),
    }),
    defineTool({
      name: 'approval_submit',
      group: 'workflow',
      // A gate is a person's decision: a host should ask its user before it answers one.
      destructive: true,
      description:
        'Answer a gate by id: approve, or reject with feedback (the stage runs again). A second answer changes nothing (alreadyAnswered).',
      input: z.strictObject({
        id: z.string().min(1),
        decision: z.enum(['approve', 'reject']),
        feedback: z.string().optional(),
      }),
      output: z.object({ approval: approvalOut, alreadyAnswered: z.boolean() }),
      run: async (a) => {
        const r = await ctx.missions.answer(a.id, {
          decision: a.decision,
          by: 'mcp',
          ...(a.feedback !== undefined && { feedback: a.feedback }),
        });
        return { approval: approvalView(r.approval), alreadyAnswered: r.alreadyAnswered };
      },
    }),
    defineTool({
      name: 'approval_history',
      group: 'workflow',
      readOnly: true,
      description:
        'Every gate of a mission, answered or not: who answered, when, with what feedback.',
      input: z.strictObject({ mission: missionId }),
      output: z.object({ approvals: z.array(approvalOut) }),
      run: async (a) => ({
        approvals: (await ctx.missions.status(a.mission)).approvals.map(approvalView),
      }),
    }),
  ];
}
