/**
 * The mission statechart (first version): the stages of a mission in order, each a stage
 * supervisor started under the mission supervisor (rest_for_one), each stage's output fed into
 * the next stage's prompt; the last stage's output is the result. A mission that cannot go on
 * (its supervisor gave up, a budget is spent, a stage produced nothing) ends `failed` with the
 * reason, after its supervisor has stopped what was running.
 */
import { assign, sendTo, setup } from 'xstate';
import type { DurableDispatch } from '../actors/agentCall.js';
import { errorMessage } from '../config/errors.js';
import type { MissionConfig } from '../config/mission.js';
import { supervisorMachine, type BudgetNode, type BudgetUsage, type ChildExitedEvent, type SupervisionRuntime } from '../supervisors/index.js';
import type { Transport } from '../transport/transport.js';
import { stageAnswers, stageChildSpec, stagePrompt, stageText, type StageAnswer } from './stagePlan.js';

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
  status: 'succeeded' | 'failed';
  result?: string;
  stages: StageResult[];
  error?: MissionFailure;
  usage: BudgetUsage;
}

export type MissionEvent = ChildExitedEvent | { type: 'mission.stop'; reason?: string };

interface MissionContext extends MissionInput {
  stage: number;
  stages: StageResult[];
  error?: MissionFailure;
}

const current = (c: MissionContext) => c.config.stages[c.stage]!;

/** A mission's failure from the error its supervisor failed with: errors that carry a `reason` give it. */
export function failureOf(err: unknown): MissionFailure {
  const reason = (err as { reason?: unknown } | null)?.reason;
  return { reason: typeof reason === 'string' ? reason : 'error', message: errorMessage(err) };
}

export const missionMachine = setup({
  types: {
    input: {} as MissionInput,
    context: {} as MissionContext,
    events: {} as MissionEvent,
    output: {} as MissionOutput,
  },
  actors: { supervisor: supervisorMachine },
  guards: {
    isCurrentStageDone: ({ context, event }) =>
      event.type === 'supervisor.child.exited' && event.childId === `stage/${current(context).name}` && event.exit === 'normal',
    lastStageHasNoAnswer: ({ context }) => context.stages.at(-1)?.answers.length === 0,
    allStagesDone: ({ context }) => context.stages.length === context.config.stages.length,
  },
  actions: {
    announceStage: ({ context }) => {
      const stage = current(context);
      const agents = stage.maker ? [stage.maker.agent] : (stage.agents ?? []);
      context.runtime.events.append({ type: 'stage.entered', stage: stage.name, index: context.stage, agents, ...(stage.maker && { maker: stage.maker.task }) });
    },
    startStage: sendTo('supervisor', ({ context }) => {
      const stage = current(context);
      const previous = context.stages.at(-1);
      const prompt = stagePrompt(stage, context.input ?? context.config.input, previous && { name: previous.name, text: previous.output });
      return { type: 'supervisor.startChild' as const, spec: stageChildSpec(context.config, stage, prompt, context.transport, context.durable) };
    }),
    recordStage: assign({
      stages: ({ context, event }) => {
        const stage = current(context);
        const results = ((event as ChildExitedEvent).output as { results?: Record<string, unknown> } | undefined)?.results ?? {};
        const answers = stageAnswers(stage, results);
        const output = stageText(stage, answers);
        // The output is what a resumed mission needs so as not to run the stage again.
        context.runtime.events.append({ type: 'stage.finished', stage: stage.name, index: context.stage, answers: answers.length, output });
        return [...context.stages, { name: stage.name, output, answers }];
      },
    }),
    nextStage: assign({ stage: ({ context }) => context.stage + 1 }),
    shutdownSupervisor: sendTo('supervisor', { type: 'maestro.shutdown' }),
  },
}).createMachine({
  id: 'mission',
  context: ({ input }) => ({ ...input, stage: 0, stages: [] }),
  entry: ({ context }) =>
    context.runtime.events.append({ type: 'mission.started', name: context.config.name, stages: context.config.stages.map((s) => s.name) }),
  invoke: {
    id: 'supervisor',
    src: 'supervisor',
    input: ({ context }) => ({
      name: `mission/${context.missionId}`,
      runtime: context.runtime,
      budget: context.budget,
      flags: { strategy: 'rest_for_one', intensity: context.config.supervision.intensity, periodMs: context.config.supervision.periodMs },
      children: [],
      notifyParent: true,
    }),
    onDone: [
      { guard: 'allStagesDone', target: '.succeeded' },
      {
        target: '.failed',
        actions: assign({
          error: ({ context }) => context.error ?? { reason: 'shutdown', message: 'the mission supervisor stopped before the last stage' },
        }),
      },
    ],
    onError: { target: '.failed', actions: assign({ error: ({ event }) => failureOf(event.error) }) },
  },
  initial: 'stage',
  states: {
    stage: {
      entry: ['announceStage', 'startStage'],
      on: {
        'supervisor.child.exited': { guard: 'isCurrentStageDone', target: 'stageDone', actions: 'recordStage' },
        'mission.stop': {
          target: 'aborting',
          actions: assign({ error: ({ event }) => ({ reason: 'stopped', message: event.reason ?? 'stopped by request' }) }),
        },
      },
    },
    stageDone: {
      always: [
        {
          guard: 'lastStageHasNoAnswer',
          target: 'aborting',
          actions: assign({ error: ({ context }) => ({ reason: 'no_answer', message: `stage '${context.stages.at(-1)!.name}' produced no answer` }) }),
        },
        { guard: 'allStagesDone', target: 'finishing' },
        { target: 'stage', actions: 'nextStage' },
      ],
    },
    finishing: { entry: 'shutdownSupervisor' },
    aborting: { entry: 'shutdownSupervisor' },
    succeeded: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context, self }) => {
    const failed = self.getSnapshot().matches('failed') || context.error !== undefined;
    const out: MissionOutput = {
      missionId: context.missionId,
      name: context.config.name,
      status: failed ? 'failed' : 'succeeded',
      stages: context.stages,
      usage: context.budget.usage(),
    };
    if (failed) out.error = context.error ?? { reason: 'error', message: 'failed' };
    else out.result = context.stages.at(-1)?.output;
    return out;
  },
});
