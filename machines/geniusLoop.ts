/**
 * The GeniusLoop: how the planner thinks a goal through before anyone acts on it. Deconstruct
 * (first principles) → simulate each approach in parallel → stress-test each in parallel →
 * synthesize a MasterPlan → premortem → revise while fatal flaws remain, at most `maxRevisions`
 * times → done. A replan (tasks failed) starts at `revising` with the old plan, what finished
 * and what failed, then goes through the premortem like any revision.
 *
 * Each parallel phase is one invoked actor running its N calls concurrently, not N actors: the
 * phase succeeds or fails as a whole, the first failure aborts the calls still in flight (a
 * failed machine's leftovers would otherwise run on, spending budget), the results come back in
 * approach order without a join counted in the context, and the inspector shows one phase.
 * The chart never calls a model: every call goes through the injected `runPhase`.
 */
import { assign, fromPromise, setup } from 'xstate';
import { failingState, failWith } from './machineFailure.js';
import type {
  Approach,
  Deconstruction,
  MasterPlan,
  StressTest,
} from '../actors/planning/masterPlan.js';
import type { PhaseOutputs, PhaseRunner } from '../actors/planning/phaseCall.js';
import type { PromptVars } from '../actors/promptLibrary.js';
import type { ShutdownEvent } from '../supervisors/index.js';
import { chainLine, phaseVars } from './geniusLoopText.js';

export type { PhaseRunner } from '../actors/planning/phaseCall.js';

export interface GeniusLoopReplan {
  plan: MasterPlan;
  /** Steps finished: kept in the revised plan, not run again. */
  finished: { id: string; output: string }[];
  failed: { id: string; error: string }[];
}

export interface GeniusLoopInput {
  goal: string;
  /** What is known already (the blackboard). */
  context?: string;
  approaches: string[];
  maxRevisions: number;
  runPhase: PhaseRunner;
  replan?: GeniusLoopReplan;
}

export interface GeniusLoopOutput {
  /** Its thoughtChain is the loop's own lines followed by the planner's reasoning for this plan. */
  plan: MasterPlan;
  /** Revisions after a premortem (a replan's own revise is not counted). */
  revisions: number;
  /** Fatal flaws left when the bound stopped the revising; empty when the last premortem was clean. */
  flaws: string[];
  /** One line per phase, in order. */
  thoughtChain: string[];
}

/**
 * The only event from outside: a supervisor's request to stop. The call in flight is aborted and
 * the loop ends in `stopped` with a null output. (A parent that invokes the loop stops it by
 * leaving its state, which aborts the call in flight the same way.)
 */
export type GeniusLoopEvent = ShutdownEvent;

export interface Ctx extends GeniusLoopInput {
  deconstruction?: Deconstruction;
  simulated: Approach[];
  stressTests: StressTest[];
  plan?: MasterPlan;
  flaws: string[];
  revisions: number;
  chain: string[];
  error?: unknown;
  stopped?: boolean;
}

export interface PhaseInput {
  runPhase: PhaseRunner;
  vars: PromptVars;
  label?: string;
}

const phase = <P extends 'deconstruct' | 'synthesize' | 'premortem' | 'revise'>(name: P) =>
  fromPromise<PhaseOutputs[P], PhaseInput>(({ input, signal }) =>
    input.runPhase(name, input.vars, {
      signal,
      ...(input.label !== undefined && { label: input.label }),
    }),
  );

/** One call per approach, all at once; the first failure aborts the others and fails the phase. */
const perApproach = <P extends 'simulate' | 'stressTest'>(name: P) =>
  fromPromise<
    PhaseOutputs[P][],
    { runPhase: PhaseRunner; calls: { label: string; vars: PromptVars }[] }
  >(async ({ input, signal }) => {
    const abort = new AbortController();
    const any = AbortSignal.any([signal, abort.signal]);
    try {
      return await Promise.all(
        input.calls.map((c) => input.runPhase(name, c.vars, { label: c.label, signal: any })),
      );
    } catch (err) {
      abort.abort();
      throw err;
    }
  });

const willRevise = (c: Ctx) => c.flaws.length > 0 && c.revisions < c.maxRevisions;

export const geniusLoopMachine = setup({
  types: {
    input: {} as GeniusLoopInput,
    context: {} as Ctx,
    events: {} as GeniusLoopEvent,
    output: {} as GeniusLoopOutput | null,
  },
  actors: {
    failWith,
    deconstruct: phase('deconstruct'),
    simulate: perApproach('simulate'),
    stressTest: perApproach('stressTest'),
    synthesize: phase('synthesize'),
    premortem: phase('premortem'),
    revise: phase('revise'),
  },
  guards: {
    isReplan: ({ context }) => context.replan !== undefined,
    hasFlawsToRevise: ({ context }) => willRevise(context),
  },
  actions: {
    noteReplan: assign({
      chain: ({ context: c }) => [...c.chain, chainLine.replan(c.replan!)],
    }),
    keepError: assign({ error: ({ event }) => ('error' in event ? event.error : undefined) }),
    countRevision: assign({ revisions: ({ context }) => context.revisions + 1 }),
    notePremortem: assign({
      chain: ({ context: c }) => [
        ...c.chain,
        chainLine.premortem(c.flaws, c.revisions, c.maxRevisions, willRevise(c)),
      ],
    }),
  },
}).createMachine({
  id: 'geniusLoop',
  context: ({ input }) => ({
    ...input,
    simulated: [],
    stressTests: [],
    ...(input.replan && { plan: input.replan.plan }),
    flaws: [],
    revisions: 0,
    chain: [],
  }),
  initial: 'starting',
  on: { 'maestro.shutdown': '.stopped' },
  states: {
    starting: {
      always: [
        { guard: 'isReplan', target: 'revising', actions: 'noteReplan' },
        { target: 'deconstructing' },
      ],
    },
    deconstructing: {
      invoke: {
        id: 'deconstruct',
        src: 'deconstruct',
        input: ({ context: c }) => ({ runPhase: c.runPhase, vars: phaseVars.deconstruct(c) }),
        onDone: {
          target: 'simulating',
          actions: assign(({ context: c, event }) => ({
            deconstruction: event.output,
            chain: [...c.chain, chainLine.deconstruct(event.output)],
          })),
        },
        onError: { target: 'failed', actions: 'keepError' },
      },
    },
    simulating: {
      invoke: {
        id: 'simulate',
        src: 'simulate',
        input: ({ context: c }) => ({
          runPhase: c.runPhase,
          calls: c.approaches.map((a) => ({ label: a, vars: phaseVars.simulate(c, a) })),
        }),
        onDone: {
          target: 'stressTesting',
          actions: assign(({ context: c, event }) => ({
            simulated: event.output,
            chain: [...c.chain, chainLine.simulate(event.output)],
          })),
        },
        onError: { target: 'failed', actions: 'keepError' },
      },
    },
    stressTesting: {
      invoke: {
        id: 'stressTest',
        src: 'stressTest',
        input: ({ context: c }) => ({
          runPhase: c.runPhase,
          calls: c.approaches.map((a, i) => ({ label: a, vars: phaseVars.stressTest(c, a, i) })),
        }),
        onDone: {
          target: 'synthesizing',
          actions: assign(({ context: c, event }) => ({
            stressTests: event.output,
            chain: [...c.chain, chainLine.stressTest(event.output, c.approaches)],
          })),
        },
        onError: { target: 'failed', actions: 'keepError' },
      },
    },
    synthesizing: {
      invoke: {
        id: 'synthesize',
        src: 'synthesize',
        input: ({ context: c }) => ({ runPhase: c.runPhase, vars: phaseVars.synthesize(c) }),
        onDone: {
          target: 'premortem',
          actions: assign(({ context: c, event }) => ({
            plan: event.output,
            chain: [...c.chain, chainLine.synthesize(event.output)],
          })),
        },
        onError: { target: 'failed', actions: 'keepError' },
      },
    },
    premortem: {
      invoke: {
        id: 'premortem',
        src: 'premortem',
        input: ({ context: c }) => ({ runPhase: c.runPhase, vars: phaseVars.premortem(c) }),
        onDone: {
          target: 'judging',
          actions: assign({ flaws: ({ event }) => event.output.fatalFlaws }),
        },
        onError: { target: 'failed', actions: 'keepError' },
      },
    },
    /** Revise while fatal flaws remain and revisions are left; otherwise the plan goes as it is. */
    judging: {
      always: [
        {
          guard: 'hasFlawsToRevise',
          target: 'revising',
          actions: ['notePremortem', 'countRevision'],
        },
        { target: 'done', actions: 'notePremortem' },
      ],
    },
    revising: {
      invoke: {
        id: 'revise',
        src: 'revise',
        input: ({ context: c }) => ({
          runPhase: c.runPhase,
          vars: phaseVars.revise(c),
          ...(c.revisions === 0 && { label: 'replan' }),
        }),
        onDone: {
          target: 'premortem',
          actions: assign(({ context: c, event }) => ({
            plan: event.output,
            chain: [...c.chain, chainLine.revise(event.output, c.revisions)],
          })),
        },
        onError: { target: 'failed', actions: 'keepError' },
      },
    },
    done: { type: 'final' },
    stopped: { type: 'final', entry: assign({ stopped: true }) },
    /** The parent's onError gets the phase's error as it was thrown (machineFailure.ts). */
    failed: failingState<Ctx>((c) => c.error),
  },
  output: ({ context: c }) =>
    c.stopped || !c.plan
      ? null
      : {
          plan: { ...c.plan, thoughtChain: [...c.chain, ...c.plan.thoughtChain] },
          revisions: c.revisions,
          flaws: c.flaws,
          thoughtChain: c.chain,
        },
});
