/** The mission statechart's input, output, events and context (mission.ts), shared with its rules (missionRules.ts). */
import type { DurableDispatch } from '../actors/agentCall.js';
import type { GateAnsweredEvent } from '../actors/approvalGate.js';
import type { MissionConfig } from '../config/mission.js';
import type {
  RecordedAnswer,
  RecoveredApproval,
  RecoveredMaker,
  RecoveredPlan,
} from '../log/missionRecovery.js';
import type {
  BudgetNode,
  BudgetUsage,
  ChildExitedEvent,
  SupervisionRuntime,
} from '../supervisors/index.js';
import type { Transport } from '../transport/transport.js';
import type { StageAnswer } from './stageSpec.js';
import type { WorkflowHost } from './workflowPhaseSpec.js';

export interface MissionInput {
  missionId: string;
  config: MissionConfig;
  /** `{{input}}` for the stage prompts; the config's `input` when absent. */
  input?: string;
  transport: Transport;
  runtime: SupervisionRuntime;
  /** The mission's budget node, with the config's mission budget as limits. */
  budget: BudgetNode;
  /** Prompt-stage agent calls go by this durable path when given (NATS); MAKER samples never do. */
  durable?: DurableDispatch;
  /** Persisted with the mission, so a resumed call has the key it had (see AgentWorkerInput.keySalt). */
  keySalt?: string;
  /** The mission span's trace id, written in its first event (when traced). */
  traceId?: string;
  /** Where a mission rebuilt from its event log goes on from. */
  resume?: MissionResume;
  /** Where workflow stages keep their workspaces (the state dir, the mission's log). */
  workflowHost?: WorkflowHost;
}

export interface MissionResume {
  /** Stages done (and approved where asked), in order. */
  stages: StageResult[];
  /** The attempt the current stage runs as: 1, then one more per rejection. */
  attempt: number;
  /** A reviewer's feedback for that attempt. */
  feedback?: string;
  /** What the reviewer wrote with the last stage's approval, for this stage. */
  approvalNote?: string;
  /** The current stage finished and its approval was asked: wait for (or act on) its answer. */
  pending?: { approval: RecoveredApproval; answers: number };
  /** The current stage finished and its approval was not asked yet: ask it for this output. */
  unasked?: { output: string };
  maker?: ReadonlyMap<string, RecoveredMaker>;
  /** Plan stages' progress, by orchestrator path. */
  plans?: ReadonlyMap<string, RecoveredPlan>;
  /** Agents' answers the log has, by the agent's path: replayed, not asked again. */
  answers?: ReadonlyMap<string, RecordedAnswer>;
}

export interface StageResult {
  name: string;
  output: string;
  answers: StageAnswer[];
}

export interface MissionFailure {
  reason: string;
  message: string;
}

export interface MissionOutput {
  missionId: string;
  name: string;
  status: 'succeeded' | 'failed' | 'suspended';
  result?: string;
  stages: StageResult[];
  error?: MissionFailure;
  usage: BudgetUsage;
}

export type MissionMachineEvent =
  | ChildExitedEvent
  | GateAnsweredEvent
  | { type: 'mission.stop'; reason?: string }
  | { type: 'mission.suspend' };

export interface MissionContext extends MissionInput {
  stage: number;
  stages: StageResult[];
  attempt: number;
  feedback?: string;
  /** What the reviewer wrote with the previous stage's approval (a workflow's next phase reads it). */
  approvalNote?: string;
  /** The current stage's last run, until it is accepted. */
  run?: StageResult;
  /** The approval asked for that run. */
  approval?: RecoveredApproval;
  error?: MissionFailure;
  suspending?: boolean;
}
