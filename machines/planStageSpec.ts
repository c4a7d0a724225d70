/**
 * How a plan stage becomes a child spec: one orchestrator (plan → task graph → monitor → adapt →
 * synthesize) as a transient, significant worker of the stage supervisor, with its planner's,
 * reviewer's, synthesizer's and summarizer's calls made from the prompt library, its blackboard,
 * and each task as a small supervisor running the agent the graph chose for it.
 */
import { Blackboard } from '../actors/blackboard.js';
import { createPhaseRunner } from '../actors/planning/phaseCall.js';
import { loadPromptLibrary, type PromptLibrary } from '../actors/promptLibrary.js';
import type { GraphTask } from '../actors/taskGraph.js';
import type { MissionConfig, StageConfig } from '../config/mission.js';
import type { PlanConfig } from '../config/plan.js';
import type { ChildSpec, StartContext } from '../supervisors/index.js';
import type { Transport } from '../transport/transport.js';
import { callingAgent, type DurableDispatch } from '../actors/agentCall.js';
import { masterPlanSchema } from '../actors/planning/masterPlan.js';
import type { RecordedAnswer, RecoveredPlan } from '../log/missionRecovery.js';
import { agentChildSpec, answeringSupervisorSpec } from './agentSpec.js';
import { orchestratorMachine, type OrchestratorInput, type PlanCarry } from './orchestrator.js';

export const planChildId = (planner: string) => `plan/${planner}`;

interface PlanSpecOptions {
  durable?: DurableDispatch;
  keySalt?: string;
  planResume?: ReadonlyMap<string, RecoveredPlan>;
  answers?: ReadonlyMap<string, RecordedAnswer>;
}

export function planStageChildren(
  config: MissionConfig,
  stage: StageConfig,
  goal: string,
  transport: Transport,
  options: PlanSpecOptions = {},
): ChildSpec[] {
  const plan = stage.plan!;
  const sup = stage.supervision;
  const library = loadPromptLibrary();
  // Outlive the orchestrator: a restart after a crash goes on from them.
  const carry: PlanCarry = { finished: {}, replans: 0 };
  let board: Blackboard | undefined;
  const agentOf = (id: string) => callingAgent(config, id);
  return [
    {
      id: planChildId(plan.planner),
      restart: sup.restart,
      significant: true,
      shutdown: sup.shutdownMs,
      backoff: sup.backoff,
      start: {
        logic: orchestratorMachine,
        input: (ctx: StartContext): OrchestratorInput => {
          const runner = (agent: string, part: string) =>
            createPhaseRunner({
              transport,
              agent: agentOf(agent),
              budget: ctx.budget,
              path: `${ctx.path}/${part}`,
              events: ctx.runtime.events,
              library,
              resamples: plan.resamples,
              ...(plan.vote && { vote: plan.vote }),
              ...(plan.promptVersions && { promptVersions: plan.promptVersions }),
              replayable: true,
              ...(options.answers && { replay: options.answers }),
            });
          const planner = runner(plan.planner, 'genius');
          const reviewer =
            plan.monitor.reviewer === undefined
              ? undefined
              : runner(plan.monitor.reviewer, 'monitor');
          const synthesizer = runner(plan.synthesizer ?? plan.planner, 'synthesis');
          const summarizer =
            plan.blackboard.summarizer === undefined
              ? undefined
              : runner(plan.blackboard.summarizer, 'blackboard');
          const recovered = options.planResume?.get(ctx.path);
          // The board as it was: kept in memory across restarts, else from a resumed mission's log.
          const boardPath = `${ctx.path}/blackboard`;
          const restore =
            board?.entries.length || board?.summary
              ? [...(board.summary ? [board.summary] : []), ...board.entries]
              : Blackboard.fromEvents(recovered?.board ?? [], boardPath);
          board = new Blackboard({
            path: boardPath,
            events: ctx.runtime.events,
            clock: ctx.runtime.clock,
            tokenBudget: plan.blackboard.tokenBudget,
            ...(restore.length > 0 && { restore }),
            ...(summarizer && {
              summarize: (entries: string) => summarizer.runText('summarize', { entries }),
            }),
          });
          const blackboard = board;
          // What a restarted orchestrator goes on from: this stage's progress so far, else the log's.
          const resume = carry.plan ? carry : recovered && resumeOf(recovered);
          if (resume)
            Object.assign(carry, {
              plan: resume.plan,
              finished: { ...resume.finished },
              replans: resume.replans,
            });
          return {
            path: ctx.path,
            goal,
            plan,
            agents: taskAgents(config, plan),
            runPhase: planner,
            ...(reviewer && { review: (vars: Record<string, string>) => reviewer('review', vars) }),
            synthesize: (vars) => synthesizer.runText('finalSynthesis', vars),
            blackboard,
            taskSpec: (task, inputs) =>
              taskSpec(
                config,
                plan,
                stage,
                task,
                inputs,
                taskPrompt(library, plan, task, inputs, blackboard),
                transport,
                options,
              ),
            outputOf: textOf,
            ...(resume && { resume }),
            carry,
            reflect: (boardText: string) =>
              planner.runText('boardSynthesis', { goal, board: boardText }),
            runtime: ctx.runtime,
            budget: ctx.budget,
          };
        },
      },
    },
  ];
}

/** A task: a supervisor that ends once its one agent has answered, restarting it within the plan's task intensity. */
function taskSpec(
  config: MissionConfig,
  plan: PlanConfig,
  stage: StageConfig,
  task: GraphTask,
  inputs: { id: string; output: string }[],
  prompt: string,
  transport: Transport,
  options: PlanSpecOptions,
): ChildSpec {
  // What the task asks, without the board it is shown: the board a resume rebuilds holds what
  // finished since the task began, so the prompt's own hash would never match the logged answer.
  const question = JSON.stringify({ title: task.title, prompt: task.prompt, inputs });
  const agent = agentChildSpec(config, task.agent, prompt, stage.supervision, transport, {
    ...options,
    question,
  });
  return answeringSupervisorSpec(
    `task/${task.id}`,
    'temporary',
    { strategy: 'one_for_one', intensity: plan.taskIntensity, periodMs: plan.taskPeriodMs },
    [agent],
  );
}

/** Rendered when the task becomes ready: its inputs are its dependencies' outputs, its context the board as it is then. */
function taskPrompt(
  library: PromptLibrary,
  plan: PlanConfig,
  task: GraphTask,
  inputs: { id: string; output: string }[],
  blackboard: Blackboard,
): string {
  const vars = {
    title: task.title,
    prompt: task.prompt,
    inputs: inputs.map((i) => `- ${i.id}: ${i.output}`).join('\n') || '(none)',
    context: blackboard.text() || '(nothing yet)',
  };
  return library.render('task', vars, plan.promptVersions?.task).text;
}

/** A task supervisor's output: the text of the agent that answered. */
function textOf(childOutput: unknown): string {
  const results =
    (childOutput as { results?: Record<string, { text?: unknown } | null> } | undefined)?.results ??
    {};
  const text = Object.values(results).find((r) => typeof r?.text === 'string')?.text;
  return typeof text === 'string' ? text : '';
}

/**
 * A recovered plan goes on from its last plan, if that still parses, with what its run had done
 * (its failed tasks, the board's synthesis); else it plans again, keeping what finished.
 */
function resumeOf(r: RecoveredPlan): PlanCarry {
  const plan = masterPlanSchema.safeParse(r.plan);
  const run = plan.success ? r.run : undefined;
  return {
    ...(plan.success && { plan: plan.data }),
    ...(run && { failed: run.failed, reflected: run.reflected }),
    finished: r.finished,
    // A replan recorded before its plan was compiled is made again (from the logged answers).
    replans: run?.revised ? r.replans - 1 : r.replans,
  };
}

/**
 * The agents tasks may go to, in the order the graph picks from: the plan's own roles (planner,
 * reviewer, synthesizer, summarizer) last, so a task that names no capability goes to a worker
 * rather than to the planner, unless a role is the only agent that fits.
 */
function taskAgents(config: MissionConfig, plan: PlanConfig): MissionConfig['agents'] {
  const roles = new Set(
    [plan.planner, plan.synthesizer, plan.monitor.reviewer, plan.blackboard.summarizer].filter(
      (r) => r !== undefined,
    ),
  );
  return [
    ...config.agents.filter((a) => !roles.has(a.id)),
    ...config.agents.filter((a) => roles.has(a.id)),
  ];
}
