/**
 * The orchestrator driven by fakes, exactly: a planner that answers each phase from a script and
 * records its calls, a reviewer and a synthesizer that record theirs, a real blackboard, a real
 * supervision runtime on a manual clock, and tasks that are timed test workers.
 */
import { createActor } from 'xstate';
import type { LooseMissionEvent } from './looseEvent.js';
import { Blackboard } from '../../actors/blackboard.js';
import type { Approach, MasterPlan, Review, StressTest } from '../../actors/planning/masterPlan.js';
import type { Phase, PhaseCallOptions, PhaseRunner } from '../../actors/planning/phaseCall.js';
import type { PromptVars } from '../../actors/promptLibrary.js';
import { ManualClock } from '../../kernel/clock.js';
import { agentSchema } from '../../config/mission.js';
import { planSchema, type PlanConfig } from '../../config/plan.js';
import {
  orchestratorMachine,
  type OrchestratorInput,
  type OrchestratorOutput,
} from '../../machines/orchestrator.js';
import { taskOutputOf, taskSpecOf, type Behaviour } from './taskWorker.js';
import { BudgetNode, createRuntime, type BudgetLimits } from '../../supervisors/index.js';

export const PATH = 'stage/s/plan/planner';
export const APPROACHES = ['elegant', 'fast'];
export const decon = {
  problem: 'ship a report',
  constraints: ['today'],
  assumptions: ['data is clean'],
  minimalSolution: 'a script',
};
export const approachOf = (a: string): Approach => ({
  approach: a,
  summary: `${a} way`,
  steps: [`do it ${a}`],
  risks: [],
});
export const testOf = (a: string): StressTest => ({
  approach: a,
  weaknesses: [],
  score: a === 'elegant' ? 8 : 4,
  fatal: false,
});
export const step = (id: string, dependsOn: string[] = []) => ({
  id,
  title: `title ${id}`,
  prompt: `do ${id}`,
  dependsOn,
  capabilities: [],
});
export const planOf = (...steps: ReturnType<typeof step>[]): MasterPlan => ({
  steps,
  confidence: 0.8,
  thoughtChain: ['because'],
});
export const clean = () => ({ fatalFlaws: [], risks: [] });

export interface Call {
  phase: Phase;
  label?: string;
  vars: PromptVars;
}

export type Answer = (call: Call) => unknown;

/** A fake planner: records each call and answers from a queue per phase (the last entry repeats). */
export function fakeRunner(answers: Partial<Record<Phase, Answer[]>>) {
  const calls: Call[] = [];
  const used: Partial<Record<Phase, number>> = {};
  const runPhase = (async (phase: Phase, vars: PromptVars, options: PhaseCallOptions = {}) => {
    calls.push({ phase, vars, ...(options.label !== undefined && { label: options.label }) });
    const queue = answers[phase] ?? [];
    const i = used[phase] ?? 0;
    used[phase] = i + 1;
    const answer = queue[Math.min(i, queue.length - 1)];
    if (!answer) throw new Error(`no answer for ${phase}`);
    return answer({ phase, vars });
  }) as PhaseRunner;
  return { calls, runPhase };
}

/** Phase answers for a first plan `plan` (and replans from `revise`). */
export const planner = (
  plan: MasterPlan,
  revise: MasterPlan[] = [],
): Partial<Record<Phase, Answer[]>> => ({
  deconstruct: [() => decon],
  simulate: [(c) => approachOf(String(c.vars.approach))],
  stressTest: [(c) => testOf(String(c.vars.approach))],
  synthesize: [() => plan],
  premortem: [clean],
  revise: revise.map((p) => () => p),
});

export const FIRST_PLAN_CALLS = [
  'deconstruct',
  'simulate/elegant',
  'simulate/fast',
  'stressTest/elegant',
  'stressTest/fast',
  'synthesize',
  'premortem',
];
export const callNames = (calls: Call[]) =>
  calls.map((c) => (c.label === undefined ? c.phase : `${c.phase}/${c.label}`));

export interface HarnessOptions {
  plan?: Partial<Omit<PlanConfig, 'monitor'>> & { monitor?: Partial<PlanConfig['monitor']> };
  answers: Partial<Record<Phase, Answer[]>>;
  behaviour: Record<string, Behaviour>;
  reviews?: ((vars: Record<string, string>) => Promise<Review>)[];
  /** Limits of the orchestrator's parent node (the stage's, as a plan stage has them). */
  limits?: BudgetLimits;
  resume?: OrchestratorInput['resume'];
  reflect?: OrchestratorInput['reflect'];
}

export function harness(o: HarnessOptions) {
  const clock = new ManualClock();
  const events: LooseMissionEvent[] = [];
  const runtime = createRuntime({
    clock,
    events: { append: (e) => events.push(e) },
    random: () => 0.5,
  });
  const stageBudget = BudgetNode.root('stage', o.limits ?? {}, clock);
  const budget = stageBudget.child('plan');
  const blackboard = new Blackboard({
    path: `${PATH}/blackboard`,
    events: runtime.events,
    clock,
    tokenBudget: 4000,
  });
  const planner = fakeRunner(o.answers);
  const log: string[] = [];
  const reviewCalls: Record<string, string>[] = [];
  const synthesisCalls: Record<string, string>[] = [];
  const taskSpec = taskSpecOf(log, o.behaviour);
  const plan = planSchema.parse({
    goal: 'ship the report',
    planner: 'planner',
    approaches: APPROACHES,
    ...o.plan,
  });
  const input: OrchestratorInput = {
    path: PATH,
    goal: 'ship the report',
    plan,
    agents: [agentSchema.parse({ id: 'ann', provider: 'p' })],
    runPhase: planner.runPhase,
    ...(o.reviews && {
      review: (vars: Record<string, string>) => {
        reviewCalls.push(vars);
        return o.reviews![Math.min(reviewCalls.length, o.reviews!.length) - 1]!(vars);
      },
    }),
    synthesize: async (vars) => {
      synthesisCalls.push(vars);
      return 'the report is out';
    },
    blackboard,
    taskSpec,
    outputOf: taskOutputOf,
    runtime,
    budget,
    ...(o.resume && { resume: o.resume }),
    ...(o.reflect && { reflect: o.reflect }),
  };
  const actor = createActor(orchestratorMachine, { clock, input });
  const states: string[] = [];
  const note = () => {
    const v = actor.getSnapshot().value;
    const name =
      typeof v === 'string' ? v : Object.entries(v).map(([k, s]) => `${k}.${String(s)}`)[0]!;
    if (states.at(-1) !== name) states.push(name);
  };
  const ended = new Promise<{ output?: OrchestratorOutput; error?: unknown }>((resolve) => {
    actor.subscribe({
      next: note,
      complete: () => resolve({ output: actor.getSnapshot().output! }),
      error: (error) => resolve({ error }),
    });
  });
  actor.start();
  note();
  const of = (type: string) => events.filter((e) => e.type === type);
  const started = () => of('task.started').map((e) => e.task);
  return {
    actor,
    clock,
    events,
    of,
    started,
    log,
    states,
    ended,
    budget,
    stageBudget,
    calls: planner.calls,
    reviewCalls,
    synthesisCalls,
    blackboard,
  };
}

/** Lets the fakes' promises settle: the clock does not move. */
export const flush = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

export const aPlan = () => planOf(step('a'), step('b', ['a']), step('c'));
