/**
 * How a council stage becomes a child spec: one council statechart (council.ts) as a transient,
 * significant worker of the stage supervisor, asking its members through supervised agent
 * workers, each ballot a small supervisor that restarts its agent by the stage's supervision.
 * Its output is the stage's answer: the result as JSON (decision, positions, dissent, metrics).
 * A council that ends with no quorum and `onNoQuorum: fail` fails, not to be restarted (the same
 * answers would replay into the same split).
 */
import { councilMachine, type CouncilInput } from './council.js';
import { loadPromptLibrary } from '../actors/promptLibrary.js';
import { promptHash } from '../actors/agentWorker.js';
import type { DurableDispatch } from '../actors/agentCall.js';
import type { MissionConfig, StageConfig } from '../config/mission.js';
import type { RecordedAnswer } from '../log/missionRecovery.js';
import type { ChildSpec, StartContext } from '../supervisors/index.js';
import type { Transport } from '../transport/transport.js';
import { agentChildSpec, answeringSupervisorSpec } from './agentSpec.js';

export const COUNCIL_CHILD_ID = 'council';

interface CouncilSpecOptions {
  durable?: DurableDispatch;
  keySalt?: string;
  answers?: ReadonlyMap<string, RecordedAnswer>;
}

export function councilStageChildren(
  config: MissionConfig,
  stage: StageConfig,
  question: string,
  transport: Transport,
  options: CouncilSpecOptions = {},
): ChildSpec[] {
  const council = stage.council!;
  const sup = stage.supervision;
  const library = loadPromptLibrary();
  return [
    {
      id: COUNCIL_CHILD_ID,
      restart: sup.restart,
      significant: true,
      shutdown: sup.shutdownMs,
      backoff: sup.backoff,
      start: {
        logic: councilMachine,
        input: (ctx: StartContext): CouncilInput => ({
          path: ctx.path,
          question,
          config: council,
          runtime: ctx.runtime,
          budget: ctx.budget,
          library,
          memberSpec: (agent, childId, prompt) =>
            answeringSupervisorSpec(
              childId,
              'temporary',
              { strategy: 'one_for_one', intensity: sup.intensity, periodMs: sup.periodMs },
              [agentChildSpec(config, agent, prompt, sup, transport, options)],
            ),
          replayed: (childId, prompt) => {
            const agent = childId.slice(childId.indexOf('.') + 1);
            const path = `${ctx.path}/members/${childId}/agent/${agent}`;
            return options.answers?.get(path)?.promptHash === promptHash(prompt);
          },
        }),
      },
    },
  ];
}
