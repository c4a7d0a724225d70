/**
 * How a MAKER stage becomes a child spec: one runner (the task statechart, with the vote
 * statechart inside it) as a transient, significant worker of the stage supervisor. The task's
 * progress is created here, once per stage, so a restarted runner goes on where it stopped.
 * Samples are model calls over the transport, each checked against the stage's budget.
 */
import { callAgent } from '../actors/agentCall.js';
import { calibrate } from '../actors/maker/calibrator.js';
import { createRedFlagger } from '../actors/maker/redFlag.js';
import { stepTaskFor } from '../actors/tasks/registry.js';
import type { MakerConfig } from '../config/maker.js';
import { agentTimeoutMs, type MissionConfig, type StageConfig } from '../config/mission.js';
import type { ChildSpec, StartContext } from '../supervisors/index.js';
import type { Transport } from '../transport/transport.js';
import { makerTaskMachine, type MakerProgress, type MakerTaskInput } from './makerTask.js';
import type { VoteSettings } from './makerVote.js';

export const makerChildId = (agent: string) => `maker/${agent}`;

/** k as configured, or from the calibrator for the task's length and the target. */
export function resolveK(m: MakerConfig, totalSteps: number | undefined): number {
  if (m.k !== 'auto') return m.k;
  const c = m.calibration!;
  return calibrate({
    ...(c.errorRate !== undefined ? { errorRate: c.errorRate } : { successes: c.successes!, trials: c.trials! }),
    steps: totalSteps ?? 1,
    target: c.target,
  }).k;
}

export function voteSettings(m: MakerConfig, k: number): VoteSettings {
  return { k, firstBatch: m.firstBatch ?? k, batch: m.batch, maxSamples: m.maxSamples, temperatures: m.temperatures };
}

export function makerStageChildren(config: MissionConfig, stage: StageConfig, transport: Transport): ChildSpec[] {
  const m = stage.maker!;
  const task = stepTaskFor(m.task);
  const k = resolveK(m, task.totalSteps?.(m.task));
  const found = config.agents.find((a) => a.id === m.agent)!;
  const agent = { ...found, timeoutMs: agentTimeoutMs(found, config.providers[found.provider]!) };
  const judge = createRedFlagger(m.redFlag, (text, state) => task.parse(text, state));
  const progress: MakerProgress = { step: 0, state: task.initialState(m.task), samples: 0, flagged: 0, exhausted: 0 };
  const sup = stage.supervision;
  return [
    {
      id: makerChildId(m.agent),
      restart: sup.restart,
      significant: true,
      shutdown: sup.shutdownMs,
      backoff: sup.backoff,
      start: {
        logic: makerTaskMachine,
        input: (ctx: StartContext): MakerTaskInput => ({
          path: ctx.path,
          task,
          progress,
          events: ctx.runtime.events,
          maxSteps: m.maxSteps,
          snapshotEvery: m.snapshotEvery,
          vote: {
            settings: voteSettings(m, k),
            judge,
            draw: async (req, signal) => {
              const r = await callAgent({
                transport,
                agent,
                budget: ctx.budget,
                caller: `${ctx.path}#${req.step}.${req.index}`,
                prompt: req.prompt,
                temperature: req.temperature,
                signal,
              });
              return { text: r.text, completionTokens: r.usage.completionTokens };
            },
          },
        }),
      },
    },
  ];
}
