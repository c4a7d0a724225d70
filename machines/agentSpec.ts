/**
 * One agent answering one prompt, as a significant worker of a supervisor that ends when its
 * agents have answered (a stage, or one task of a plan stage). Its call key is its path, its
 * attempt and the mission's salt, so a resumed mission's call has the key it had.
 */
import type { DurableDispatch } from '../actors/agentCall.js';
import { agentWorkerLogic, type AgentWorkerInput } from '../actors/agentWorker.js';
import { agentTimeoutMs, type MissionConfig, type StageConfig } from '../config/mission.js';
import type { ChildSpec, StartContext } from '../supervisors/index.js';
import type { Transport } from '../transport/transport.js';

export function agentChildSpec(config: MissionConfig, agentId: string, prompt: string, sup: StageConfig['supervision'], transport: Transport, options: { durable?: DurableDispatch; keySalt?: string } = {}): ChildSpec {
  const found = config.agents.find((a) => a.id === agentId)!;
  const agent = { ...found, timeoutMs: agentTimeoutMs(found, config.providers[found.provider]!) };
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
      }),
    },
  };
}
