/**
 * One agent answering one prompt, as a significant worker of a supervisor that ends when its
 * agents have answered (a stage, or one task of a plan stage), and that supervisor. The agent's
 * call key is its path, its attempt and the mission's salt, so a resumed mission's call has the
 * key it had.
 */
import { callingAgent, type DurableDispatch } from '../actors/agentCall.js';
import { agentWorkerLogic, type AgentWorkerInput } from '../actors/agentWorker.js';
import type { MissionConfig, StageConfig } from '../config/mission.js';
import {
  supervisorMachine,
  type BudgetLimits,
  type ChildSpec,
  type RestartType,
  type StartContext,
  type SupervisorFlags,
  type SupervisorInput,
} from '../supervisors/index.js';
import type { Transport } from '../transport/transport.js';
import type { RecordedAnswer } from '../log/missionRecovery.js';

export function agentChildSpec(
  config: MissionConfig,
  agentId: string,
  prompt: string,
  sup: StageConfig['supervision'],
  transport: Transport,
  options: {
    durable?: DurableDispatch;
    keySalt?: string;
    answers?: ReadonlyMap<string, RecordedAnswer>;
    /** What the answer is replayed for (AgentWorkerInput.question). @default the prompt */
    question?: string;
  } = {},
): ChildSpec {
  const agent = callingAgent(config, agentId);
  return {
    id: `agent/${agentId}`,
    restart: sup.restart,
    significant: true,
    shutdown: sup.shutdownMs,
    backoff: sup.backoff,
    start: {
      logic: agentWorkerLogic,
      input: (ctx: StartContext): AgentWorkerInput => ({
        path: ctx.path,
        agent,
        prompt,
        transport,
        events: ctx.runtime.events,
        budget: ctx.budget,
        clock: ctx.runtime.clock,
        attempt: ctx.restarts,
        durable: options.durable,
        keySalt: options.keySalt,
        replay: options.answers?.get(ctx.path),
        ...(options.question !== undefined && { question: options.question }),
      }),
    },
  };
}

/** A supervisor that ends by itself once its significant children have answered (auto_shutdown all_significant). */
export function answeringSupervisorSpec(
  id: string,
  restart: RestartType,
  flags: Omit<SupervisorFlags, 'autoShutdown'>,
  children: ChildSpec[],
  budget?: BudgetLimits,
): ChildSpec {
  return {
    id,
    type: 'supervisor',
    restart,
    ...(budget && { budget }),
    start: {
      logic: supervisorMachine,
      input: (ctx: StartContext): SupervisorInput => ({
        name: ctx.path,
        runtime: ctx.runtime,
        budget: ctx.budget,
        flags: { ...flags, autoShutdown: 'all_significant' },
        children,
      }),
    },
  };
}
