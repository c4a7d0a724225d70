/**
 * How a mission's config becomes child specs: a stage is a supervisor whose children are the
 * stage's agents as transient (or temporary), significant workers, so the stage ends by itself
 * (auto_shutdown all_significant) once every agent has answered, with their answers as output.
 */
import type { DurableDispatch } from '../actors/agentCall.js';
import type { RecordedAnswer, RecoveredMaker, RecoveredPlan } from '../log/missionRecovery.js';
import type { AgentWorkerOutput } from '../actors/agentWorker.js';
import { agentChildSpec, answeringSupervisorSpec } from './agentSpec.js';
import type { MissionConfig, StageConfig } from '../config/mission.js';
import type { ChildSpec } from '../supervisors/index.js';
import type { Transport } from '../transport/transport.js';
import { COUNCIL_CHILD_ID, councilStageChildren } from './councilStageSpec.js';
import { makerChildId, makerStageChildren } from './makerStageSpec.js';
import { planChildId, planStageChildren } from './planStageSpec.js';
import {
  phaseChildId,
  workflowPhaseChildren,
  type PhaseStart,
  type WorkflowHost,
} from './workflowPhaseSpec.js';
import type { RunnableStage } from './workflowStages.js';

export function stagePrompt(
  stage: StageConfig,
  input: string | undefined,
  previous: { name: string; text: string } | undefined,
): string {
  // A plan stage's goal is its prompt: what its planner is asked to plan for.
  const template = stage.council?.question ?? stage.prompt ?? stage.plan?.goal;
  if (template === undefined) return '';
  let prompt = template.replaceAll('{{input}}', input ?? '');
  if (prompt.includes('{{previous}}'))
    return prompt.replaceAll('{{previous}}', previous?.text ?? '');
  if (previous)
    prompt += `\n\n---\nOutput of the previous stage '${previous.name}':\n${previous.text}`;
  return prompt;
}

export interface StageSpecOptions {
  /** Prompt-stage calls go by this durable path when given (NATS). */
  durable?: DurableDispatch;
  /** 1 for the first run of the stage, then one more for each revision after a rejection. @default 1 */
  attempt?: number;
  /** The mission's persisted salt for call keys (see AgentWorkerInput.keySalt). */
  keySalt?: string;
  /** MAKER progress from the log of a resumed mission. */
  makerResume?: ReadonlyMap<string, RecoveredMaker>;
  /** Plan stages' progress from the log of a resumed mission. */
  planResume?: ReadonlyMap<string, RecoveredPlan>;
  /** Agents' answers from the log of a resumed mission, by path: replayed, not asked again. */
  answers?: ReadonlyMap<string, RecordedAnswer>;
  /** Where workflow stages keep their workspaces and journal their transactions. */
  workflowHost?: WorkflowHost;
}

/** `stage/<name>`, and `stage/<name>@<attempt>` for a revision (a new child: the first stays in the history). */
export function stageChildId(name: string, attempt = 1): string {
  return attempt > 1 ? `stage/${name}@${attempt}` : `stage/${name}`;
}

/**
 * The stage as a supervisor of its children. For a workflow phase, `prompt` is its `PhaseStart`
 * as JSON (the workflow's state so far, the feedback, the answers).
 */
export function stageChildSpec(
  config: MissionConfig,
  stage: RunnableStage,
  prompt: string,
  transport: Transport,
  options: StageSpecOptions = {},
): ChildSpec {
  const sup = stage.supervision;
  const children = stage.phase
    ? workflowPhaseChildren(config, stage, JSON.parse(prompt) as PhaseStart, transport, {
        ...(options.attempt !== undefined && { attempt: options.attempt }),
        ...(options.answers && { answers: options.answers }),
        ...(options.workflowHost && { host: options.workflowHost }),
      })
    : stage.maker
      ? makerStageChildren(config, stage, transport, options.makerResume)
      : stage.council
        ? councilStageChildren(config, stage, prompt, transport, options)
        : stage.plan
          ? planStageChildren(config, stage, prompt, transport, options)
          : (stage.agents ?? []).map((id) =>
              agentChildSpec(config, id, prompt, sup, transport, options),
            );
  const flags = {
    strategy: sup.strategy,
    intensity: sup.intensity,
    periodMs: sup.periodMs,
    ...(sup.maxRestarts !== undefined && { maxRestarts: sup.maxRestarts }),
  };
  return answeringSupervisorSpec(
    stageChildId(stage.name, options.attempt),
    'transient',
    flags,
    children,
    stage.budget,
  );
}

/** A stage's answers in the stage's agent order; one answer is the text itself. */
export function stageText(_stage: StageConfig, answers: StageAnswer[]): string {
  if (answers.length === 1) return answers[0]!.text;
  return answers.map((a) => `### ${a.agent}\n${a.text}`).join('\n\n');
}

/** What a stage's child answered: an agent's completion, or a MAKER task's summary. */
export type StageAnswer = Pick<AgentWorkerOutput, 'agent' | 'text'> & Partial<AgentWorkerOutput>;

/** The answers in a finished stage supervisor's results, in the stage's child order. */
export function stageAnswers(
  stage: RunnableStage,
  results: Record<string, unknown>,
): StageAnswer[] {
  const ids = stage.phase
    ? [phaseChildId(stage.phase.step)]
    : stage.maker
      ? [makerChildId(stage.maker.agent)]
      : stage.council
        ? [COUNCIL_CHILD_ID]
        : stage.plan
          ? [planChildId(stage.plan.planner)]
          : (stage.agents ?? []).map((id) => `agent/${id}`);
  return ids
    .map((id) => results[id] as StageAnswer | null | undefined)
    .filter((a): a is StageAnswer => a != null);
}
