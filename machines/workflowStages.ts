/**
 * The stages a mission runs: the config's, with each workflow stage expanded into one stage per
 * phase (`fix.analyze`, `fix.hypothesize`, `fix.implement`, `fix.debug`, `fix.apply`,
 * `fix.improve`), so that every phase is entered, resumed, revised after a rejection and gated
 * exactly as any other stage is: the mission statechart is the workflow's statechart, and the
 * log's `stage.*` and `approval.*` events are its history. `apply` is Maestro's own step, never
 * gated: it writes the patch that the gates approved to the user's tree (or fails the mission
 * when no patch passed its tests).
 *
 * A council stage that escalates when it reaches no quorum gets a gate of its own, waited at only
 * then (`escalation`).
 *
 * The expansion is a pure function of the config, so a resumed mission (its config read back
 * from `mission.submitted`) expands to the same stages.
 */
import { approvalSchema } from '../config/approval.js';
import type { MissionConfig, StageConfig } from '../config/mission.js';
import {
  phaseGated,
  WORKFLOW_PHASES,
  type WorkflowConfig,
  type WorkflowPhase,
  type WorkflowStep,
} from '../config/workflow.js';

export interface PhaseRef {
  /** The workflow stage's name in the config. */
  workflow: string;
  step: WorkflowStep;
  config: WorkflowConfig;
}

/**
 * A stage as the mission runs it. `escalation`: a council's own gate, waited at only when it
 * reached no quorum (`onNoQuorum: escalate`) and the stage has no `approval` of its own.
 */
export type RunnableStage = StageConfig & { phase?: PhaseRef; escalation?: true };

const expanded = new WeakMap<MissionConfig, readonly RunnableStage[]>();

export function missionStages(config: MissionConfig): readonly RunnableStage[] {
  let stages = expanded.get(config);
  if (!stages) {
    stages = config.stages.flatMap(expand);
    expanded.set(config, stages);
  }
  return stages;
}

function expand(stage: StageConfig): RunnableStage[] {
  if (stage.council?.onNoQuorum === 'escalate' && stage.approval === undefined)
    return [{ ...stage, approval: approvalSchema.parse({}), escalation: true }];
  const wf = stage.workflow;
  if (!wf) return [stage];
  const phases = WORKFLOW_PHASES.filter((p) => wf.phases.includes(p));
  const steps: WorkflowStep[] = phases.flatMap((p): WorkflowStep[] =>
    // apply right after the last phase that can choose a patch
    p === lastChooser(phases) ? [p, 'apply'] : [p],
  );
  return steps.map((step) => ({
    name: `${stage.name}.${step}`,
    supervision: stage.supervision,
    ...(stage.budget && { budget: stage.budget }),
    ...(step !== 'apply' && phaseGated(wf, step) && { approval: wf.approval }),
    phase: { workflow: stage.name, step, config: wf },
  }));
}

function lastChooser(phases: readonly WorkflowPhase[]): WorkflowPhase | undefined {
  return phases.includes('debug')
    ? 'debug'
    : phases.includes('implement')
      ? 'implement'
      : undefined;
}

/**
 * Whether the stage's run waits at its gate: a stage with `approval`, unless it is a workflow
 * phase that had nothing to review (debug, when implement's patch already passed).
 */
export function gateWanted(stage: RunnableStage, output: string): boolean {
  if (stage.approval === undefined) return false;
  if (stage.escalation) {
    try {
      return (JSON.parse(output) as { outcome?: unknown }).outcome === 'escalated';
    } catch {
      return true;
    }
  }
  if (!stage.phase) return true;
  try {
    return (JSON.parse(output) as { gate?: unknown }).gate !== false;
  } catch {
    return true;
  }
}

/** The agents a stage's entry names (`stage.entered`). */
export function stageAgents(stage: RunnableStage): string[] {
  if (stage.phase) {
    const { config, step } = stage.phase;
    if (step === 'apply') return [];
    return step === 'implement'
      ? [...new Set(config.implementers ?? [config.agent])]
      : [config.agent];
  }
  if (stage.maker) return [stage.maker.agent];
  if (stage.council) return stage.council.members;
  if (stage.plan) return [stage.plan.planner];
  return stage.agents ?? [];
}
