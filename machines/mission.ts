/**
 * The mission statechart: the stages of a mission in order, each a stage supervisor started
 * under the mission supervisor (rest_for_one), each stage's output fed into the next stage's
 * prompt; the last stage's output is the result. A stage with an approval gate waits, durably,
 * for a person: approve goes on, reject with feedback runs the stage again (bounded). The wait
 * is not machine time (the wall-time budget stands still), and a mission that ends while a gate
 * is open closes it (`approval.closed`), so nothing offers it afterwards.
 * A mission that cannot go on (its supervisor gave up, a budget is spent, a stage produced
 * nothing, a rejection too many) ends `failed` with the reason, after its supervisor has
 * stopped what was running. Suspended (the daemon stopping), it stops the same way but ends
 * `suspended`: its log says where it was, and it resumes from there.
 */
import { and, assertEvent, assign, enqueueActions, not, sendTo, setup } from 'xstate';
import { log } from './logAction.js';
import { supervisorMachine } from '../supervisors/index.js';
import {
  answerEvents,
  approvalRequest,
  closedGateEvents,
  current,
  failureOf,
  finishedRun,
  MAX_DELAY_MS,
  NO_FEEDBACK,
  rejection,
  stageEntered,
  stageFailure,
  startEvent,
  timeoutAnswer,
} from './missionRules.js';
import type {
  MissionContext,
  MissionInput,
  MissionMachineEvent,
  MissionOutput,
} from './missionTypes.js';
import { stageChildId, stageChildSpec, stagePrompt } from './stageSpec.js';
import type { PhaseStart } from './workflowPhaseSpec.js';
import { gateWanted, missionStages } from './workflowStages.js';

export type {
  MissionFailure,
  MissionInput,
  MissionMachineEvent,
  MissionOutput,
  MissionResume,
  StageResult,
} from './missionTypes.js';
export { failureOf, NO_FEEDBACK, stageFailure } from './missionRules.js';

export const missionMachine = setup({
  types: {
    input: {} as MissionInput,
    context: {} as MissionContext,
    events: {} as MissionMachineEvent,
    output: {} as MissionOutput,
  },
  actors: { supervisor: supervisorMachine },
  delays: {
    approvalTimeout: ({ context }) => {
      const at = context.approval?.timeoutAt;
      return at === undefined
        ? MAX_DELAY_MS
        : Math.min(MAX_DELAY_MS, Math.max(0, Date.parse(at) - context.runtime.clock.now()));
    },
  },
  guards: {
    // A stage that gave up (OTP's shutdown, a transient child: not restarted) or could not start; a
    // stage that crashed is the supervisor's to restart, and what the mission supervisor passes up
    // itself (budget, abort, non-retryable) comes as its error.
    isCurrentStageFailed: ({ context, event }) =>
      event.type === 'supervisor.child.exited' &&
      event.childId === stageChildId(current(context).name, context.attempt) &&
      (event.exit === 'shutdown' || event.startFailed === true),
    isCurrentStageDone: ({ context, event }) =>
      event.type === 'supervisor.child.exited' &&
      event.childId === stageChildId(current(context).name, context.attempt) &&
      event.exit === 'normal',
    runHasNoAnswer: ({ context }) => context.run?.answers.length === 0,
    needsApproval: ({ context }) => gateWanted(current(context), context.run?.output ?? ''),
    allStagesDone: ({ context }) => context.stages.length === missionStages(context.config).length,
    isResumedPending: ({ context }) => context.approval !== undefined,
    hasUnaskedRun: ({ context }) => context.run !== undefined && context.approval === undefined,
    isSuspending: ({ context }) => context.suspending === true,
    timeoutReached: ({ context }) => {
      const at = context.approval?.timeoutAt;
      return at !== undefined && context.runtime.clock.now() >= Date.parse(at);
    },
    isThisGate: ({ context, event }) =>
      event.type === 'gate.answered' && event.id === context.approval?.id,
    isApproved: ({ event }) => event.type === 'gate.answered' && event.decision === 'approve',
    isTimeout: ({ event }) => event.type === 'gate.answered' && event.by === 'timeout',
    revisionsLeft: ({ context }) => context.attempt <= current(context).approval!.maxRevisions,
  },
  actions: {
    announceStage: enqueueActions(({ context, enqueue }) =>
      enqueue(log(context.runtime.events, [stageEntered(context)])),
    ),
    startStage: sendTo('supervisor', ({ context }) => {
      const stage = current(context);
      const previous = context.stages.at(-1);
      if (stage.phase) {
        // A workflow phase: the workflow's state so far, and what the reviewer said.
        const start: PhaseStart = {
          ...(previous && { previous: previous.output }),
          ...(context.feedback !== undefined && { feedback: context.feedback }),
          ...(context.approvalNote !== undefined && { answers: context.approvalNote }),
          ...((context.input ?? context.config.input) !== undefined && {
            input: context.input ?? context.config.input,
          }),
        };
        const spec = stageChildSpec(
          context.config,
          stage,
          JSON.stringify(start),
          context.transport,
          {
            attempt: context.attempt,
            answers: context.resume?.answers,
            workflowHost: context.workflowHost,
          },
        );
        return { type: 'supervisor.startChild' as const, spec };
      }
      let prompt = stagePrompt(
        stage,
        context.input ?? context.config.input,
        previous && { name: previous.name, text: previous.output },
      );
      if (context.feedback !== undefined)
        prompt += `\n\n---\nA reviewer rejected the previous answer to this stage, with this feedback:\n${context.feedback}`;
      const spec = stageChildSpec(context.config, stage, prompt, context.transport, {
        durable: context.durable,
        attempt: context.attempt,
        keySalt: context.keySalt,
        makerResume: context.resume?.maker,
        answers: context.resume?.answers,
        planResume: context.resume?.plans,
      });
      return { type: 'supervisor.startChild' as const, spec };
    }),
    recordRun: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'supervisor.child.exited');
      const { run, events } = finishedRun(context, event);
      enqueue.assign({ run });
      enqueue(log(context.runtime.events, events));
    }),
    accept: assign({
      stages: ({ context }) => [...context.stages, context.run!],
      stage: ({ context }) => context.stage + 1,
      attempt: 1,
      feedback: undefined,
      approvalNote: undefined,
      run: undefined,
      approval: undefined,
    }),
    requestApproval: enqueueActions(({ context, enqueue }) => {
      const { approval, events } = approvalRequest(context, context.runtime.clock.now());
      enqueue.assign({ approval });
      enqueue(log(context.runtime.events, events));
    }),
    answerByTimeout: enqueueActions(({ context, enqueue }) => {
      const { answer, events } = timeoutAnswer(context);
      enqueue(log(context.runtime.events, events));
      enqueue.raise(answer);
    }),
    /** The answer is durable before the mission acts on it: whoever answers sees it in the log. */
    recordAnswer: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'gate.answered');
      enqueue(log(context.runtime.events, answerEvents(event)));
    }),
    /** What the reviewer wrote with an approval goes to the next stage (a workflow's next phase). */
    keepAnswers: assign({
      approvalNote: ({ event }) => {
        assertEvent(event, 'gate.answered');
        return event.feedback;
      },
    }),
    revise: assign({
      attempt: ({ context }) => context.attempt + 1,
      feedback: ({ event }) => {
        assertEvent(event, 'gate.answered');
        return event.feedback ?? NO_FEEDBACK;
      },
      run: undefined,
      approval: undefined,
    }),
    failRejected: assign({
      error: ({ context, event }) => {
        assertEvent(event, 'gate.answered');
        return rejection(context, event);
      },
    }),
    shutdownSupervisor: sendTo('supervisor', { type: 'maestro.shutdown' }),
    /** Waiting for a person is not machine time: a wall-time budget stands still at a gate (it has its own timeoutMs). */
    pauseWallTime: ({ context }) => context.budget.pause(),
    resumeWallTime: ({ context }) => context.budget.resume(),
    /**
     * Leaving a gate that was not answered: the mission is ending (stopped, failed), so nobody
     * may answer it any more; the log says so, and whoever listed it stops offering it. A gate
     * left to wait again (a long timeout) or for a suspension (the mission resumes at it) stays open.
     */
    closeOpenGate: enqueueActions(({ context, event, enqueue }) =>
      enqueue(log(context.runtime.events, closedGateEvents(context, event))),
    ),
  },
}).createMachine({
  id: 'mission',
  context: ({ input }) => {
    const r = input.resume;
    const stages = r?.stages ?? [];
    const name = missionStages(input.config)[stages.length]?.name ?? '';
    const run = r?.pending
      ? { name, output: r.pending.approval.output, answers: [] }
      : r?.unasked
        ? { name, output: r.unasked.output, answers: [] }
        : undefined;
    return {
      ...input,
      stage: stages.length,
      stages,
      attempt: r?.attempt ?? 1,
      feedback: r?.feedback,
      approvalNote: r?.approvalNote,
      ...(run && { run }),
      ...(r?.pending && { approval: r.pending.approval }),
    };
  },
  entry: enqueueActions(({ context, enqueue }) =>
    enqueue(log(context.runtime.events, [startEvent(context)])),
  ),
  invoke: {
    id: 'supervisor',
    src: 'supervisor',
    input: ({ context }) => ({
      name: `mission/${context.missionId}`,
      runtime: context.runtime,
      budget: context.budget,
      flags: {
        strategy: 'rest_for_one',
        intensity: context.config.supervision.intensity,
        periodMs: context.config.supervision.periodMs,
      },
      children: [],
      notifyParent: true,
    }),
    onDone: [
      { guard: 'isSuspending', target: '.suspended' },
      { guard: 'allStagesDone', target: '.succeeded' },
      {
        target: '.failed',
        actions: assign({
          error: ({ context }) =>
            context.error ?? {
              reason: 'shutdown',
              message: 'the mission supervisor stopped before the last stage',
            },
        }),
      },
    ],
    onError: {
      target: '.failed',
      actions: assign({ error: ({ event }) => failureOf(event.error) }),
    },
  },
  initial: 'boot',
  on: {
    'mission.stop': {
      target: '.aborting',
      actions: assign({
        error: ({ event }) => ({
          reason: 'stopped',
          message: event.reason ?? 'stopped by request',
        }),
      }),
    },
    'mission.suspend': { target: '.aborting', actions: assign({ suspending: true }) },
  },
  states: {
    boot: {
      always: [
        { guard: 'isResumedPending', target: 'approval' },
        { guard: 'hasUnaskedRun', target: 'approval', actions: 'requestApproval' },
        { guard: 'allStagesDone', target: 'finishing' },
        { target: 'stage' },
      ],
    },
    stage: {
      entry: ['announceStage', 'startStage'],
      on: {
        'supervisor.child.exited': [
          { guard: 'isCurrentStageDone', target: 'stageDone', actions: 'recordRun' },
          {
            guard: 'isCurrentStageFailed',
            target: 'aborting',
            actions: assign({
              error: ({ context, event }) => {
                assertEvent(event, 'supervisor.child.exited');
                return stageFailure(current(context).name, event);
              },
            }),
          },
        ],
      },
    },
    stageDone: {
      always: [
        {
          guard: 'runHasNoAnswer',
          target: 'aborting',
          actions: assign({
            error: ({ context }) => ({
              reason: 'no_answer',
              message: `stage '${context.run!.name}' produced no answer`,
            }),
          }),
        },
        { guard: 'needsApproval', target: 'approval', actions: 'requestApproval' },
        { target: 'accepted', actions: 'accept' },
      ],
    },
    approval: {
      entry: [
        'pauseWallTime',
        // Resumed with its answer already in the log: act on it at once.
        enqueueActions(({ context, enqueue }) => {
          const a = context.approval;
          if (a?.answer)
            enqueue.raise({
              type: 'gate.answered',
              id: a.id,
              decision: a.answer.decision,
              feedback: a.answer.feedback,
              by: a.answer.by,
              recorded: true,
            });
        }),
      ],
      exit: ['resumeWallTime', 'closeOpenGate'],
      after: {
        approvalTimeout: [
          { guard: 'timeoutReached', actions: 'answerByTimeout' },
          // A timeout past setTimeout's limit, or none: wait again.
          { target: 'approval', reenter: true },
        ],
      },
      on: {
        'gate.answered': [
          {
            guard: and(['isThisGate', 'isApproved']),
            target: 'accepted',
            actions: ['recordAnswer', 'accept', 'keepAnswers'],
          },
          // A rejection by timeout ends it: nobody watched, and there is no feedback to revise with.
          {
            guard: and(['isThisGate', not('isTimeout'), 'revisionsLeft']),
            target: 'stage',
            actions: ['recordAnswer', 'revise'],
          },
          { guard: 'isThisGate', target: 'aborting', actions: ['recordAnswer', 'failRejected'] },
        ],
      },
    },
    accepted: {
      always: [{ guard: 'allStagesDone', target: 'finishing' }, { target: 'stage' }],
    },
    finishing: { entry: 'shutdownSupervisor', on: { 'mission.stop': {}, 'mission.suspend': {} } },
    aborting: { entry: 'shutdownSupervisor', on: { 'mission.stop': {}, 'mission.suspend': {} } },
    succeeded: { type: 'final' },
    failed: { type: 'final' },
    suspended: { type: 'final' },
  },
  output: ({ context, self }) => {
    // The snapshot here can still be the state before the final one: decide from the context.
    const failed = self.getSnapshot().matches('failed') || context.error !== undefined;
    const out: MissionOutput = {
      missionId: context.missionId,
      name: context.config.name,
      status: failed ? 'failed' : context.suspending ? 'suspended' : 'succeeded',
      stages: context.stages,
      usage: context.budget.usage(),
    };
    if (out.status === 'failed')
      out.error = context.error ?? { reason: 'error', message: 'failed' };
    if (out.status === 'succeeded') out.result = context.stages.at(-1)?.output;
    return out;
  },
});
