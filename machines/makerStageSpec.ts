/**
 * How a MAKER stage becomes a child spec: one runner (the task statechart, with the vote
 * statechart inside it) as a transient, significant worker of the stage supervisor. The task's
 * progress is created here, once per stage, so a restarted runner goes on where it stopped.
 * Samples are model calls over the transport, each checked against the stage's budget.
 */
import { callAgent, callingAgent } from '../actors/agentCall.js';
import { errorMessage } from '../kernel/errors.js';
import { ProviderError } from '../actors/providers/errors.js';
import { RequestTimeoutError } from '../transport/errors.js';
import { calibrate } from '../actors/maker/calibrator.js';
import { createRedFlagger } from '../actors/maker/redFlag.js';
import { stepTaskFor } from '../actors/tasks/registry.js';
import type { MakerConfig } from '../config/maker.js';
import type { MissionConfig, StageConfig } from '../config/mission.js';
import type { BudgetNode, ChildSpec, StartContext } from '../supervisors/index.js';
import type { Transport } from '../transport/transport.js';
import type { RecoveredMaker } from '../log/missionRecovery.js';
import type { StepTask } from '../actors/tasks/stepTask.js';
import {
  makerTaskMachine,
  type CompactingSink,
  type MakerProgress,
  type MakerTaskInput,
} from './makerTask.js';
import type { VoteSettings } from './makerVote.js';
import { StepSamples } from './stepSamples.js';

export const makerChildId = (agent: string) => `maker/${agent}`;

/** k as configured, or from the calibrator for the task's length and the target. */
export function resolveK(m: MakerConfig, totalSteps: number | undefined): number {
  if (m.k !== 'auto') return m.k;
  const c = m.calibration!;
  return calibrate({
    ...(c.errorRate !== undefined
      ? { errorRate: c.errorRate }
      : { successes: c.successes!, trials: c.trials! }),
    steps: totalSteps ?? 1,
    target: c.target,
  }).k;
}

export function voteSettings(m: MakerConfig, k: number): VoteSettings {
  return {
    k,
    firstBatch: m.firstBatch ?? k,
    batch: m.batch,
    maxSamples: m.maxSamples,
    temperatures: m.temperatures,
  };
}

export function makerStageChildren(
  config: MissionConfig,
  stage: StageConfig,
  transport: Transport,
  resume?: ReadonlyMap<string, RecoveredMaker>,
): ChildSpec[] {
  const m = stage.maker!;
  const task = stepTaskFor(m.task);
  const k = resolveK(m, task.totalSteps?.(m.task));
  const agent = callingAgent(config, m.agent);
  const judge = createRedFlagger(m.redFlag, (text, state) => task.parse(text, state));
  // Made at the first start, when the runner's path (the key of its records in the log) is known.
  let progress: MakerProgress | undefined;
  let samples: StepSamples | undefined;
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
        input: (ctx: StartContext): MakerTaskInput => {
          const drawn = (samples ??= new StepSamples(resume?.get(ctx.path)?.pending));
          return {
            path: ctx.path,
            task,
            progress: (progress ??= resumeProgress(
              task,
              task.initialState(m.task),
              resume?.get(ctx.path),
            )),
            events: withSnapshotUsage(ctx.runtime.events, ctx.budget),
            maxSteps: m.maxSteps ?? defaultMaxSteps(task.totalSteps?.(m.task)),
            snapshotEvery: m.snapshotEvery,
            vote: {
              settings: voteSettings(m, k),
              judge,
              draw: async (req, signal) => {
                const vote = drawn.begin(req);
                const logged = drawn.replay(req);
                if (logged) return drawn.keep(vote, req, logged);
                try {
                  const r = await callAgent({
                    transport,
                    agent,
                    budget: ctx.budget,
                    caller: `${ctx.path}#${req.step}.${req.index}`,
                    prompt: req.prompt,
                    temperature: req.temperature,
                    signal,
                  });
                  return drawn.keep(vote, req, {
                    text: r.text,
                    completionTokens: r.usage.completionTokens,
                  });
                } catch (err) {
                  // A provider error on one sample is a lost draw, not a crashed worker: it must
                  // not spend the stage's restart intensity (5% errors failed 7.4% of missions).
                  if (!signal.aborted && isLostDraw(err))
                    return drawn.keep(vote, req, { text: '', lost: errorMessage(err) });
                  throw err;
                }
              },
            },
            // Stopped in the middle of a step: what it drew so far is logged, not drawn again.
            onStop: (step) => {
              const record = drawn.record(ctx.path, step);
              if (record) ctx.runtime.events.append(record);
            },
          };
        },
      },
    },
  ];
}

/**
 * The runner's event sink, with the mission's usage added to each `maker.snapshot`: a resumed
 * mission seeds its budget from the last usage its log recorded, and in a long MAKER stage that
 * is the snapshot (the mission's budget node is the root of the runner's).
 */
function withSnapshotUsage(events: CompactingSink, budget: BudgetNode): CompactingSink {
  let mission = budget;
  while (mission.parent) mission = mission.parent;
  return {
    append: (e) =>
      events.append(e.type === 'maker.snapshot' ? { ...e, usage: mission.usage() } : e),
    ...(events.compact && {
      compact: (dropTypes: readonly string[]) => events.compact!(dropTypes),
    }),
  };
}

/**
 * A task's progress from the log of a resumed mission: its last snapshot, then each vote after
 * it replayed in order, so no decided step is voted again.
 */
export function resumeProgress<S>(
  task: StepTask<S>,
  initial: S,
  recovered: RecoveredMaker | undefined,
): MakerProgress<S> {
  const snap = recovered?.snapshot;
  const p: MakerProgress<S> = snap
    ? {
        step: snap.step,
        state: snap.state as S,
        previous: snap.previous,
        samples: snap.samples,
        flagged: snap.flagged,
        exhausted: snap.exhausted ?? 0,
      }
    : { step: 0, state: initial, samples: 0, flagged: 0, exhausted: 0 };
  for (const v of recovered?.tail ?? []) {
    if (v.step !== p.step) continue; // a record the snapshot or an earlier vote already covers
    p.samples += v.samples;
    for (const n of Object.values(v.flagged ?? {})) p.flagged += n;
    if (v.outcome !== 'decided') {
      p.exhausted++;
      continue;
    }
    p.state = task.replay(p.state, v.answer!);
    p.previous = v.answer;
    p.step++;
  }
  return p;
}

/**
 * A sample's call failed in a way another sample may not: the provider's own retryable errors
 * (a 5xx, a timeout, a rate limit, a malformed answer) and a request the transport timed out.
 * Not one: a non-retryable error (a 401, an answer over its cap), a budget refusal, an abort, a
 * transport with no worker behind it, a bug: those fail the vote, as before.
 */
export function isLostDraw(err: unknown): boolean {
  return (err instanceof ProviderError && err.retryable) || err instanceof RequestTimeoutError;
}

/**
 * With no `maxSteps`, a task whose length is known stops at twice it: a decided wrong step can
 * lead a task away from its end for ever (a Hanoi run with k 2 voted 5,680 steps of 15), and a
 * mission that never ends holds its budget and its slot. Unknown length: no bound.
 */
export function defaultMaxSteps(totalSteps: number | undefined): number | undefined {
  return totalSteps === undefined ? undefined : Math.max(2 * totalSteps, totalSteps + 10);
}
