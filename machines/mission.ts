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
import { and, assign, enqueueActions, not, raise, sendTo, setup } from 'xstate';
import { approvalId, gateClosedReason, type GateAnsweredEvent } from '../actors/approvalGate.js';
import type { RecoveredApproval, RecoveredMaker, RecoveredPlan } from '../log/missionRecovery.js';
import type { DurableDispatch } from '../actors/agentCall.js';
import { errorMessage } from '../kernel/errors.js';
import type { MissionConfig } from '../config/mission.js';
import {
  supervisorMachine,
  type BudgetNode,
  type BudgetUsage,
  type ChildExitedEvent,
  type SupervisionRuntime,
} from '../supervisors/index.js';
import type { Transport } from '../transport/transport.js';
import {
  stageAnswers,
  stageChildId,
  stageChildSpec,
  stagePrompt,
  stageText,
  type StageAnswer,
} from './stageSpec.js';

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
  /** Where a mission rebuilt from its event log goes on from. */
  resume?: MissionResume;
}

export interface MissionResume {
  /** Stages done (and approved where asked), in order. */
  stages: StageResult[];
  /** The attempt the current stage runs as: 1, then one more per rejection. */
  attempt: number;
  /** A reviewer's feedback for that attempt. */
  feedback?: string;
  /** The current stage finished and its approval was asked: wait for (or act on) its answer. */
  pending?: { approval: RecoveredApproval; answers: number };
  /** The current stage finished and its approval was not asked yet: ask it for this output. */
  unasked?: { output: string };
  maker?: ReadonlyMap<string, RecoveredMaker>;
  /** Plan stages' progress, by orchestrator path. */
  plans?: ReadonlyMap<string, RecoveredPlan>;
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

interface MissionContext extends MissionInput {
  stage: number;
  stages: StageResult[];
  attempt: number;
  feedback?: string;
  /** The current stage's last run, until it is accepted. */
  run?: StageResult;
  /** The approval asked for that run. */
  approval?: RecoveredApproval;
  error?: MissionFailure;
  suspending?: boolean;
}

/** The feedback a revision is given when its rejection came without any. */
export const NO_FEEDBACK = 'rejected without feedback';

/** setTimeout's limit: a longer approval timeout is waited for in steps of this. */
const MAX_DELAY_MS = 2 ** 31 - 1;

const current = (c: MissionContext) => c.config.stages[c.stage]!;

/** Why a stage ended without its answers: `stage 'x' gave up: <reason>; last crash: <child>: <error>`. */
export function stageFailure(stage: string, e: ChildExitedEvent): MissionFailure {
  const reason = e.reason ?? e.exit;
  if (e.offender !== undefined)
    return {
      reason,
      message: `stage '${stage}' gave up: ${reason}; last crash: ${e.offender}: ${e.lastCrash ?? 'unknown'}`,
    };
  return { reason, message: `stage '${stage}' failed: ${e.error ?? reason}` };
}

/** A mission's failure from the error its supervisor failed with: errors that carry a `reason` give it. */
export function failureOf(err: unknown): MissionFailure {
  const reason = (err as { reason?: unknown } | null)?.reason;
  return { reason: typeof reason === 'string' ? reason : 'error', message: errorMessage(err) };
}

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
    needsApproval: ({ context }) => current(context).approval !== undefined,
    allStagesDone: ({ context }) => context.stages.length === context.config.stages.length,
    isResumedPending: ({ context }) => context.approval !== undefined,
    hasUnaskedRun: ({ context }) => context.run !== undefined && context.approval === undefined,
    isSuspending: ({ context }) => context.suspending === true,
    timeoutReached: ({ context }) => {
      const at = context.approval?.timeoutAt;
      return at !== undefined && context.runtime.clock.now() >= Date.parse(at);
    },
    isThisGate: ({ context, event }) =>
      event.type === 'gate.answered' && event.id === context.approval?.id,
    isApproved: ({ event }) => (event as GateAnsweredEvent).decision === 'approve',
    isTimeout: ({ event }) => (event as GateAnsweredEvent).by === 'timeout',
    revisionsLeft: ({ context }) => context.attempt <= current(context).approval!.maxRevisions,
  },
  actions: {
    announceStage: ({ context }) => {
      const stage = current(context);
      const agents = stage.maker
        ? [stage.maker.agent]
        : stage.plan
          ? [stage.plan.planner]
          : (stage.agents ?? []);
      context.runtime.events.append({
        type: 'stage.entered',
        stage: stage.name,
        index: context.stage,
        attempt: context.attempt,
        agents,
        ...(stage.maker && { maker: stage.maker.task }),
      });
    },
    startStage: sendTo('supervisor', ({ context }) => {
      const stage = current(context);
      const previous = context.stages.at(-1);
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
        planResume: context.resume?.plans,
      });
      return { type: 'supervisor.startChild' as const, spec };
    }),
    recordRun: assign({
      run: ({ context, event }) => {
        const stage = current(context);
        const results =
          ((event as ChildExitedEvent).output as { results?: Record<string, unknown> } | undefined)
            ?.results ?? {};
        const answers = stageAnswers(stage, results);
        const output = stageText(stage, answers);
        // The output is what a resumed mission needs so as not to run the stage again.
        context.runtime.events.append({
          type: 'stage.finished',
          stage: stage.name,
          index: context.stage,
          attempt: context.attempt,
          answers: answers.length,
          output,
          usage: context.budget.usage(),
        });
        return { name: stage.name, output, answers };
      },
    }),
    accept: assign({
      stages: ({ context }) => [...context.stages, context.run!],
      stage: ({ context }) => context.stage + 1,
      attempt: 1,
      feedback: undefined,
      run: undefined,
      approval: undefined,
    }),
    requestApproval: assign({
      approval: ({ context }) => {
        const stage = current(context);
        const gate = stage.approval!;
        const id = approvalId(context.missionId, stage.name, context.attempt);
        const now = context.runtime.clock.now();
        const requestedAt = new Date(now).toISOString();
        const timeoutAt =
          gate.timeoutMs === undefined ? undefined : new Date(now + gate.timeoutMs).toISOString();
        const record = {
          id,
          stage: stage.name,
          index: context.stage,
          attempt: context.attempt,
          output: context.run!.output,
          requestedAt,
          ...(timeoutAt && { timeoutAt }),
          onTimeout: gate.onTimeout,
        };
        context.runtime.events.append({ type: 'approval.requested', ...record });
        return record;
      },
    }),
    answerByTimeout: raise(({ context }) => {
      const a = context.approval!;
      const decision = a.onTimeout ?? 'reject';
      const feedback = `no answer within the approval timeout (${a.timeoutAt})`;
      context.runtime.events.append({
        type: 'approval.answered',
        id: a.id,
        decision,
        feedback,
        by: 'timeout',
      });
      return {
        type: 'gate.answered' as const,
        id: a.id,
        decision,
        feedback,
        by: 'timeout',
        recorded: true,
      };
    }),
    /** The answer is durable before the mission acts on it: whoever answers sees it in the log. */
    recordAnswer: ({ context, event }) => {
      const e = event as GateAnsweredEvent;
      if (e.recorded) return;
      context.runtime.events.append({
        type: 'approval.answered',
        id: e.id,
        decision: e.decision,
        ...(e.feedback !== undefined && { feedback: e.feedback }),
        by: e.by ?? 'api',
      });
    },
    revise: assign({
      attempt: ({ context }) => context.attempt + 1,
      feedback: ({ event }) => (event as GateAnsweredEvent).feedback ?? NO_FEEDBACK,
      run: undefined,
      approval: undefined,
    }),
    failRejected: assign({
      error: ({ context, event }) => {
        const fb = (event as GateAnsweredEvent).feedback;
        const by = (event as GateAnsweredEvent).by === 'timeout' ? ' (timed out)' : '';
        return {
          reason: 'rejected',
          message: `stage '${current(context).name}' rejected${by} after ${context.attempt} attempt(s)${fb ? `: ${fb}` : ''}`,
        };
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
    closeOpenGate: ({ context, event }) => {
      const reason = gateClosedReason(event);
      const a = context.approval;
      if (a && reason)
        context.runtime.events.append({ type: 'approval.closed', id: a.id, ...reason });
    },
  },
}).createMachine({
  id: 'mission',
  context: ({ input }) => {
    const r = input.resume;
    const stages = r?.stages ?? [];
    const name = input.config.stages[stages.length]?.name ?? '';
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
      ...(run && { run }),
      ...(r?.pending && { approval: r.pending.approval }),
    };
  },
  entry: ({ context }) =>
    context.resume
      ? context.runtime.events.append({
          type: 'mission.resumed',
          stage: context.stage,
          attempt: context.attempt,
          done: context.stages.map((s) => s.name),
        })
      : context.runtime.events.append({
          type: 'mission.started',
          name: context.config.name,
          stages: context.config.stages.map((s) => s.name),
        }),
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
              error: ({ context, event }) =>
                stageFailure(current(context).name, event as ChildExitedEvent),
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
            actions: ['recordAnswer', 'accept'],
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
