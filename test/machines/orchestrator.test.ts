import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { Blackboard } from '../../actors/blackboard.js';
import type { Approach, MasterPlan, Review, StressTest } from '../../actors/masterPlan.js';
import type { Phase, PhaseCallOptions, PhaseRunner } from '../../actors/phaseCall.js';
import type { PromptVars } from '../../actors/promptLibrary.js';
import { ManualClock } from '../../config/clock.js';
import { agentSchema } from '../../config/mission.js';
import { planSchema, type PlanConfig } from '../../config/plan.js';
import { orchestratorMachine, PlanAbortedError, type OrchestratorInput, type OrchestratorOutput } from '../../machines/orchestrator.js';
import { taskOutputOf, taskSpecOf, type Behaviour } from '../helpers/taskWorker.js';
import {
  BudgetNode,
  createRuntime,
  type BudgetLimits,
  type MissionEvent,
} from '../../supervisors/index.js';

const PATH = 'stage/s/plan/planner';
const APPROACHES = ['elegant', 'fast'];
const decon = { problem: 'ship a report', constraints: ['today'], assumptions: ['data is clean'], minimalSolution: 'a script' };
const approachOf = (a: string): Approach => ({ approach: a, summary: `${a} way`, steps: [`do it ${a}`], risks: [] });
const testOf = (a: string): StressTest => ({ approach: a, weaknesses: [], score: a === 'elegant' ? 8 : 4, fatal: false });
const step = (id: string, dependsOn: string[] = []) => ({ id, title: `title ${id}`, prompt: `do ${id}`, dependsOn, capabilities: [] });
const planOf = (...steps: ReturnType<typeof step>[]): MasterPlan => ({ steps, confidence: 0.8, thoughtChain: ['because'] });
const clean = () => ({ fatalFlaws: [], risks: [] });

interface Call {
  phase: Phase;
  label?: string;
  vars: PromptVars;
}

type Answer = (call: Call) => unknown;

/** A fake planner: records each call and answers from a queue per phase (the last entry repeats). */
function fakeRunner(answers: Partial<Record<Phase, Answer[]>>) {
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
const planner = (plan: MasterPlan, revise: MasterPlan[] = []): Partial<Record<Phase, Answer[]>> => ({
  deconstruct: [() => decon],
  simulate: [(c) => approachOf(String(c.vars.approach))],
  stressTest: [(c) => testOf(String(c.vars.approach))],
  synthesize: [() => plan],
  premortem: [clean],
  revise: revise.map((p) => () => p),
});

const FIRST_PLAN_CALLS = ['deconstruct', 'simulate/elegant', 'simulate/fast', 'stressTest/elegant', 'stressTest/fast', 'synthesize', 'premortem'];
const callNames = (calls: Call[]) => calls.map((c) => (c.label === undefined ? c.phase : `${c.phase}/${c.label}`));

interface HarnessOptions {
  plan?: Partial<Omit<PlanConfig, 'monitor'>> & { monitor?: Partial<PlanConfig['monitor']> };
  answers: Partial<Record<Phase, Answer[]>>;
  behaviour: Record<string, Behaviour>;
  reviews?: ((vars: Record<string, string>) => Promise<Review>)[];
  /** Limits of the orchestrator's parent node (the stage's, as a plan stage has them). */
  limits?: BudgetLimits;
  resume?: OrchestratorInput['resume'];
  reflect?: OrchestratorInput['reflect'];
}

function harness(o: HarnessOptions) {
  const clock = new ManualClock();
  const events: MissionEvent[] = [];
  const runtime = createRuntime({ clock, events: { append: (e) => events.push(e) }, random: () => 0.5 });
  const stageBudget = BudgetNode.root('stage', o.limits ?? {}, clock);
  const budget = stageBudget.child('plan');
  const blackboard = new Blackboard({ path: `${PATH}/blackboard`, events: runtime.events, clock, tokenBudget: 4000 });
  const planner = fakeRunner(o.answers);
  const log: string[] = [];
  const reviewCalls: Record<string, string>[] = [];
  const synthesisCalls: Record<string, string>[] = [];
  const taskSpec = taskSpecOf(log, o.behaviour);
  const plan = planSchema.parse({ goal: 'ship the report', planner: 'planner', approaches: APPROACHES, ...o.plan });
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
    const name = typeof v === 'string' ? v : Object.entries(v).map(([k, s]) => `${k}.${String(s)}`)[0]!;
    if (states.at(-1) !== name) states.push(name);
  };
  const ended = new Promise<{ output?: OrchestratorOutput; error?: unknown }>((resolve) => {
    actor.subscribe({ next: note, complete: () => resolve({ output: actor.getSnapshot().output! }), error: (error) => resolve({ error }) });
  });
  actor.start();
  note();
  const of = (type: string) => events.filter((e) => e.type === type);
  const started = () => of('task.started').map((e) => e.task);
  return { actor, clock, events, of, started, log, states, ended, budget, stageBudget, calls: planner.calls, reviewCalls, synthesisCalls, blackboard };
}

/** Lets the fakes' promises settle: the clock does not move. */
const flush = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

const aPlan = () => planOf(step('a'), step('b', ['a']), step('c'));

describe('orchestrator (orchestratorMachine)', () => {
  it('should plan, compile, run the tasks in dependency order and synthesize', async () => {
    const t = harness({ answers: planner(aPlan()), behaviour: { a: { ms: 10 }, b: { ms: 10 }, c: { ms: 10 } } });
    await flush();
    expect(callNames(t.calls)).toEqual(FIRST_PLAN_CALLS);
    expect(t.states).toEqual(['planning', 'running.watching']);
    expect(t.of('plan.compiled')).toEqual([
      {
        type: 'plan.compiled',
        path: PATH,
        tasks: [
          { id: 'a', agent: 'ann', dependsOn: [] },
          { id: 'b', agent: 'ann', dependsOn: ['a'] },
          { id: 'c', agent: 'ann', dependsOn: [] },
        ],
        levels: [['a', 'c'], ['b']],
        plan: expect.objectContaining({ steps: aPlan().steps }),
      },
    ]);
    expect(t.log).toEqual(['start:a', 'start:c']);
    t.clock.advance(10);
    // b starts as soon as a has ended.
    expect(t.log).toEqual(['start:a', 'start:c', 'stop:a', 'start:b', 'stop:c']);
    t.clock.advance(10);
    await flush();
    const { output, error } = await t.ended;
    expect(error).toBeUndefined();
    expect(t.states).toEqual(['planning', 'running.watching', 'synthesizing', 'done']);
    expect(output).toEqual({
      agent: 'planner',
      text: 'the report is out',
      plan: {
        ...aPlan(),
        thoughtChain: [
          'deconstruct: ship a report',
          'simulate: 2 approaches',
          'stress-test: best elegant (8/10)',
          'synthesize: 3 steps, confidence 0.8',
          'premortem: no fatal flaws',
          'because',
        ],
      },
      finished: { a: 'a()', c: 'c()', b: 'b(a())' },
      failed: {},
      blocked: [],
      replans: 0,
    });
    // The synthesis sees every finished task with its title, no failures, and the board.
    expect(t.synthesisCalls).toHaveLength(1);
    const vars = t.synthesisCalls[0]!;
    expect(JSON.parse(vars.finished!)).toEqual([
      { id: 'a', title: 'title a', output: 'a()' },
      { id: 'c', title: 'title c', output: 'c()' },
      { id: 'b', title: 'title b', output: 'b(a())' },
    ]);
    expect(JSON.parse(vars.failed!)).toEqual([]);
    expect(vars.context).toBe('[result] ann: a: a()\n[result] ann: c: c()\n[result] ann: b: b(a())');
    expect(t.of('plan.revised')).toEqual([]);
    expect(t.clock.pending).toBe(0);
  });

  it('should send a plan that does not compile back for revision, then run the fixed plan', async () => {
    const cyclic = planOf(step('x', ['y']), step('y', ['x']));
    const fixed = planOf(step('x'), step('y', ['x']));
    const t = harness({ answers: planner(cyclic, [fixed]), behaviour: { x: { ms: 10 }, y: { ms: 10 } } });
    await flush();
    expect(t.of('plan.rejected')).toEqual([{ type: 'plan.rejected', path: PATH, error: 'plan has a cycle: x → y → x' }]);
    expect(callNames(t.calls)).toEqual([...FIRST_PLAN_CALLS, 'revise/replan', 'premortem']);
    const revise = t.calls.find((c) => c.phase === 'revise')!;
    expect(JSON.parse(revise.vars.plan!).steps).toEqual(cyclic.steps);
    expect(JSON.parse(revise.vars.failed!)).toEqual([{ id: '(plan)', error: 'plan has a cycle: x → y → x' }]);
    expect(revise.vars.finished).toBe('(none)');
    expect(t.of('plan.revised')).toEqual([{ type: 'plan.revised', path: PATH, replan: 1, failed: [] }]);
    expect(t.of('plan.compiled').map((e) => (e.tasks as { id: string }[]).map((x) => x.id))).toEqual([['x', 'y']]);
    t.clock.advance(20);
    await flush();
    const { output } = await t.ended;
    expect(t.states).toEqual(['planning', 'adapting.replanning', 'running.watching', 'synthesizing', 'done']);
    expect(output).toMatchObject({ finished: { x: 'x()', y: 'y(x())' }, failed: {}, replans: 1, text: 'the report is out' });
  });

  it('should fail when a plan does not compile and no replan is left', async () => {
    const t = harness({ plan: { maxReplans: 0 }, answers: planner(planOf(step('x', ['x']))), behaviour: {} });
    await flush();
    const { error } = await t.ended;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("the plan does not compile and no replan is left: step 'x' depends on itself");
    expect(t.of('plan.rejected')).toHaveLength(1);
    expect(t.synthesisCalls).toEqual([]);
  });

  it('should replan around a failed task with the failures, keep what finished and run only the new tasks', async () => {
    const first = planOf(step('a'), step('b', ['a']), step('c', ['b']), step('d'));
    const revised = planOf(step('a'), step('b2', ['a']), step('c', ['b2']), step('d'));
    const t = harness({
      answers: planner(first, [revised]),
      behaviour: { a: { ms: 10 }, b: { ms: 10, fail: 'b broke' }, c: { ms: 10 }, d: { ms: 10 }, b2: { ms: 10 } },
    });
    await flush();
    t.clock.advance(10);
    expect(t.started()).toEqual(['a', 'd', 'b']);
    t.clock.advance(10);
    const bError = `supervisor '${PATH}/tasks/task/b' shut down: reached_max_restart_intensity (child 'agent': b broke)`;
    expect(t.of('task.failed')).toEqual([{ type: 'task.failed', path: PATH, task: 'b', error: bError }]);
    expect(t.of('task.blocked')).toEqual([{ type: 'task.blocked', path: PATH, task: 'c', dependency: 'b' }]);
    await flush();
    // The replan is given the old plan, what finished and what failed (the blocked task too).
    const revise = t.calls.find((c) => c.phase === 'revise')!;
    expect(revise.label).toBe('replan');
    expect(JSON.parse(revise.vars.plan!).steps).toEqual(first.steps);
    expect(JSON.parse(revise.vars.finished!)).toEqual([
      { id: 'a', output: 'a()' },
      { id: 'd', output: 'd()' },
    ]);
    expect(JSON.parse(revise.vars.failed!)).toEqual([
      { id: 'b', error: bError },
      { id: 'c', error: 'not run: a task it depends on failed' },
    ]);
    expect(t.of('plan.revised')).toEqual([{ type: 'plan.revised', path: PATH, replan: 1, failed: ['b'] }]);
    // The finished steps are not in the new graph: only b2 and c run.
    expect(t.of('plan.compiled').map((e) => (e.tasks as { id: string }[]).map((x) => x.id))).toEqual([
      ['a', 'b', 'c', 'd'],
      ['b2', 'c'],
    ]);
    t.clock.advance(20);
    await flush();
    const { output } = await t.ended;
    expect(t.started()).toEqual(['a', 'd', 'b', 'b2', 'c']);
    expect(t.of('task.finished').map((e) => e.task)).toEqual(['a', 'd', 'b2', 'c']);
    expect(t.states).toEqual(['planning', 'running.watching', 'adapting.replanning', 'running.watching', 'synthesizing', 'done']);
    expect(output).toMatchObject({
      finished: { a: 'a()', d: 'd()', b2: 'b2(a())', c: 'c(b2(a()))' },
      failed: {},
      blocked: [],
      replans: 1,
      plan: { steps: revised.steps },
    });
    expect(JSON.parse(t.synthesisCalls[0]!.failed!)).toEqual([]);
  });

  it('should synthesize with the failures once the replans are spent', async () => {
    const first = planOf(step('a'), step('b', ['a']), step('c', ['b']));
    const revised = planOf(step('a'), step('b', ['a']), step('c', ['b']));
    const t = harness({
      plan: { maxReplans: 1 },
      answers: planner(first, [revised]),
      behaviour: { a: { ms: 10 }, b: { ms: 10, fail: 'b broke' }, c: { ms: 10 } },
    });
    await flush();
    t.clock.advance(20);
    await flush();
    t.clock.advance(10);
    await flush();
    const { output } = await t.ended;
    expect(t.started()).toEqual(['a', 'b', 'b']);
    expect(callNames(t.calls)).toEqual([...FIRST_PLAN_CALLS, 'revise/replan', 'premortem']);
    expect(t.states).toEqual(['planning', 'running.watching', 'adapting.replanning', 'running.watching', 'synthesizing', 'done']);
    const bError = `supervisor '${PATH}/tasks/task/b' shut down: reached_max_restart_intensity (child 'agent': b broke)`;
    expect(JSON.parse(t.synthesisCalls[0]!.failed!)).toEqual([
      { id: 'b', error: bError },
      { id: 'c', error: 'not run: a task it depends on failed' },
    ]);
    expect(JSON.parse(t.synthesisCalls[0]!.finished!)).toEqual([{ id: 'a', title: 'title a', output: 'a()' }]);
    expect(output).toMatchObject({ text: 'the report is out', finished: { a: 'a()' }, failed: { b: bError }, blocked: ['c'], replans: 1 });
  });

  describe('the monitor', () => {
    const long = { a: { ms: 1000 }, b: { ms: 1000 }, c: { ms: 1000 } };

    it('should abort with sla_exceeded once the SLA has passed, without asking the reviewer', async () => {
      const review = async (): Promise<Review> => ({ decision: 'continue', reason: 'fine' });
      const t = harness({ plan: { monitor: { intervalMs: 50, slaMs: 100 } }, answers: planner(aPlan()), behaviour: long, reviews: [review] });
      await flush();
      t.clock.advance(50);
      await flush();
      expect(t.reviewCalls).toHaveLength(1);
      t.clock.advance(50);
      const { error } = await t.ended;
      expect(error).toBeInstanceOf(PlanAbortedError);
      expect(error).toMatchObject({ reason: 'sla_exceeded', message: 'sla_exceeded: ran 100 ms, SLA 100 ms' });
      // The reviewer was asked on the first tick only: a hard limit asks no one.
      expect(t.reviewCalls).toHaveLength(1);
      expect(t.of('monitor.abort')).toEqual([{ type: 'monitor.abort', path: PATH, reason: 'sla_exceeded', message: 'sla_exceeded: ran 100 ms, SLA 100 ms', by: 'limit' }]);
      expect(t.log).toEqual(['start:a', 'start:c', 'stop:c', 'stop:a']);
      expect(t.states).toEqual(['planning', 'running.watching', 'running.reviewing', 'running.watching', 'running.stopping', 'failing']);
      expect(callNames(t.calls)).toEqual(FIRST_PLAN_CALLS);
      expect(t.synthesisCalls).toEqual([]);
      expect(t.clock.pending).toBe(0);
    });

    it('should abort with budget_exceeded on a tick once the stage budget is spent, without a model call', async () => {
      const review = async (): Promise<Review> => ({ decision: 'continue', reason: 'fine' });
      const t = harness({ plan: { monitor: { intervalMs: 50 } }, limits: { tokens: 100 }, answers: planner(aPlan()), behaviour: long, reviews: [review] });
      await flush();
      // What the running tasks spent: counted at the orchestrator's node and the stage's above it.
      t.budget.charge({ tokens: 100 });
      t.clock.advance(50);
      const { error } = await t.ended;
      expect(error).toBeInstanceOf(PlanAbortedError);
      expect(error).toMatchObject({ reason: 'budget_exceeded', message: 'budget_exceeded: tokens (used 100 of 100)' });
      expect(t.of('monitor.abort')).toEqual([
        { type: 'monitor.abort', path: PATH, reason: 'budget_exceeded', message: 'budget_exceeded: tokens (used 100 of 100)', by: 'limit' },
      ]);
      expect(t.reviewCalls).toEqual([]);
      expect(callNames(t.calls)).toEqual(FIRST_PLAN_CALLS);
      expect(t.synthesisCalls).toEqual([]);
      expect(t.log).toEqual(['start:a', 'start:c', 'stop:c', 'stop:a']);
    });

    it('should abort with budget_exceeded when the task graph stops on a spent budget before any tick', async () => {
      const t = harness({ plan: { monitor: { intervalMs: 1000 } }, limits: { tokens: 100 }, answers: planner(aPlan()), behaviour: { a: { ms: 10 }, b: { ms: 10 }, c: { ms: 20 } } });
      await flush();
      t.budget.charge({ tokens: 100 });
      // a ends; the budget refuses to start b, so the graph stops (c with it).
      t.clock.advance(10);
      const { error } = await t.ended;
      expect(error).toBeInstanceOf(PlanAbortedError);
      expect(error).toMatchObject({ reason: 'budget_exceeded', message: 'budget_exceeded: tokens (used 100 of 100)' });
      expect(t.of('monitor.abort')).toEqual([
        { type: 'monitor.abort', path: PATH, reason: 'budget_exceeded', message: 'budget_exceeded: tokens (used 100 of 100)', by: 'limit' },
      ]);
      expect(t.started()).toEqual(['a', 'c']);
      expect(t.log).toEqual(['start:a', 'start:c', 'stop:a', 'stop:c']);
      expect(callNames(t.calls)).toEqual(FIRST_PLAN_CALLS);
      expect(t.synthesisCalls).toEqual([]);
    });

    it('should abort with reason aborted and the reviewer\'s message when the reviewer says abort', async () => {
      const t = harness({
        plan: { monitor: { intervalMs: 50 } },
        answers: planner(aPlan()),
        behaviour: long,
        reviews: [async () => ({ decision: 'abort', reason: 'the data source is gone' })],
      });
      await flush();
      t.clock.advance(50);
      await flush();
      const { error } = await t.ended;
      expect(error).toBeInstanceOf(PlanAbortedError);
      expect(error).toMatchObject({ reason: 'aborted', message: 'aborted by the reviewer: the data source is gone' });
      expect(t.of('monitor.abort')).toEqual([{ type: 'monitor.abort', path: PATH, reason: 'aborted', message: 'the data source is gone', by: 'reviewer' }]);
      // The reviewer saw the plan and the telemetry.
      const vars = t.reviewCalls[0]!;
      expect(JSON.parse(vars.plan!)).toEqual(aPlan().steps.map((s) => ({ id: s.id, title: s.title, dependsOn: s.dependsOn })));
      expect(JSON.parse(vars.telemetry!)).toMatchObject({ elapsedMs: 50, tasks: { total: 3, finished: 0, failed: 0, running: 2, blocked: 0 }, restarts: 0 });
      expect(t.log).toEqual(['start:a', 'start:c', 'stop:c', 'stop:a']);
      expect(t.synthesisCalls).toEqual([]);
      expect(callNames(t.calls)).toEqual(FIRST_PLAN_CALLS);
      // Nothing left running: the monitor's next tick is cleared.
      expect(t.clock.pending).toBe(0);
    });

    it('should stop the tasks and replan when the reviewer says revise', async () => {
      const revised = planOf(step('a'), step('b1', ['a']), step('b2', ['b1']));
      const t = harness({
        plan: { monitor: { intervalMs: 50 } },
        answers: planner(planOf(step('a'), step('b', ['a'])), [revised]),
        behaviour: { a: { ms: 10 }, b: { ms: 1000 }, b1: { ms: 10 }, b2: { ms: 10 } },
        reviews: [async () => ({ decision: 'revise', reason: 'split b' }), async () => ({ decision: 'continue', reason: 'fine' })],
      });
      await flush();
      t.clock.advance(50);
      expect(t.log).toEqual(['start:a', 'stop:a', 'start:b']);
      await flush();
      expect(t.of('monitor.revise')).toEqual([{ type: 'monitor.revise', path: PATH, reason: 'revise', message: 'split b', by: 'reviewer' }]);
      expect(t.log).toEqual(['start:a', 'stop:a', 'start:b', 'stop:b', 'start:b1']);
      const revise = t.calls.find((c) => c.phase === 'revise')!;
      expect(JSON.parse(revise.vars.finished!)).toEqual([{ id: 'a', output: 'a()' }]);
      expect(JSON.parse(revise.vars.failed!)).toEqual([{ id: '(reviewer)', error: 'split b' }]);
      expect(t.of('plan.revised')).toEqual([{ type: 'plan.revised', path: PATH, replan: 1, failed: [] }]);
      t.clock.advance(20);
      await flush();
      const { output } = await t.ended;
      expect(t.states).toEqual(['planning', 'running.watching', 'running.reviewing', 'running.stopping', 'adapting.replanning', 'running.watching', 'synthesizing', 'done']);
      // b was stopped, not failed; it is not run again.
      expect(t.of('task.failed')).toEqual([]);
      expect(t.started()).toEqual(['a', 'b', 'b1', 'b2']);
      expect(output).toMatchObject({ finished: { a: 'a()', b1: 'b1(a())', b2: 'b2(b1(a()))' }, failed: {}, replans: 1 });
    });

    it('should keep watching when the reviewer fails, and ask again on the next tick', async () => {
      const t = harness({
        plan: { monitor: { intervalMs: 50 } },
        answers: planner(planOf(step('a'))),
        behaviour: { a: { ms: 120 } },
        reviews: [async () => Promise.reject(new Error('reviewer offline')), async () => ({ decision: 'continue', reason: 'fine' })],
      });
      await flush();
      t.clock.advance(50);
      await flush();
      expect(t.of('monitor.review_failed')).toEqual([{ type: 'monitor.review_failed', path: PATH, error: 'reviewer offline' }]);
      expect(t.actor.getSnapshot().value).toEqual({ running: 'watching' });
      t.clock.advance(50);
      await flush();
      expect(t.reviewCalls).toHaveLength(2);
      t.clock.advance(20);
      await flush();
      const { output } = await t.ended;
      expect(output).toMatchObject({ finished: { a: 'a()' }, text: 'the report is out' });
      expect(t.states).toEqual([
        'planning',
        'running.watching',
        'running.reviewing',
        'running.watching',
        'running.reviewing',
        'running.watching',
        'synthesizing',
        'done',
      ]);
      expect(t.of('monitor.abort')).toEqual([]);
    });
  });

  it('should go on from a resumed plan without planning, running only the unfinished tasks', async () => {
    const plan = planOf(step('a'), step('b', ['a']), step('c'));
    const t = harness({
      answers: {},
      behaviour: { b: { ms: 10 }, c: { ms: 10 } },
      resume: { plan, finished: { a: 'A!' }, replans: 1 },
    });
    expect(t.of('plan.compiled').map((e) => (e.tasks as { id: string }[]).map((x) => x.id))).toEqual([['b', 'c']]);
    expect(t.started()).toEqual(['b', 'c']);
    t.clock.advance(10);
    await flush();
    const { output } = await t.ended;
    expect(t.calls).toEqual([]);
    expect(t.states).toEqual(['running.watching', 'synthesizing', 'done']);
    expect(output).toMatchObject({ finished: { a: 'A!', b: 'b(A!)', c: 'c()' }, replans: 1, plan });
  });

  it('should stop the tasks and end without output text on maestro.shutdown', async () => {
    const t = harness({ answers: planner(aPlan()), behaviour: { a: { ms: 1000 }, b: { ms: 10 }, c: { ms: 1000 } } });
    await flush();
    t.actor.send({ type: 'maestro.shutdown' });
    await flush();
    const { output } = await t.ended;
    // The graph's supervisor stops the running tasks in reverse start order, then the orchestrator ends.
    expect(t.log).toEqual(['start:a', 'start:c', 'stop:c', 'stop:a']);
    expect(t.states.slice(-2)).toEqual(['running.shuttingDown', 'stopped']);
    expect(t.of('task.failed')).toEqual([]);
    expect(output).toMatchObject({ text: '', finished: {} });
    expect(t.clock.pending).toBe(0);
  });

  describe('reflection before a replan (the blackboard synthesis query)', () => {
    const first = () => planOf(step('a'), step('b', ['a']));
    const revised = () => planOf(step('a'), step('b2', ['a']));

    it('should ask the planner about the board, put its answer on the board, and replan with it in the context', async () => {
      const boards: string[] = [];
      const t = harness({
        answers: planner(first(), [revised()]),
        behaviour: { a: { ms: 10 }, b: { ms: 10, fail: 'b broke' }, b2: { ms: 10 } },
        reflect: async (board) => {
          boards.push(board);
          return 'state: a done, b broke; pattern: none; next: replace b';
        },
      });
      await flush();
      t.clock.advance(10);
      t.clock.advance(10);
      await flush();
      t.clock.advance(10);
      await flush();
      await t.ended;
      expect(t.states).toEqual(['planning', 'running.watching', 'adapting.reflecting', 'adapting.replanning', 'running.watching', 'synthesizing', 'done']);
      // It read the board as it was: a's result and b's failure.
      expect(boards).toHaveLength(1);
      expect(boards[0]).toContain('[result] ');
      expect(boards[0]).toContain('[failure] ');
      expect(t.blackboard.entries.find((e) => e.kind === 'synthesis')).toMatchObject({ agent: 'planner', data: 'state: a done, b broke; pattern: none; next: replace b' });
      expect(t.calls.find((c) => c.phase === 'revise')!.vars.context).toContain('next: replace b');
    });

    it('should replan anyway when the reflection fails, and say so in the log', async () => {
      const t = harness({
        answers: planner(first(), [revised()]),
        behaviour: { a: { ms: 10 }, b: { ms: 10, fail: 'b broke' }, b2: { ms: 10 } },
        reflect: async () => {
          throw new Error('planner unreachable');
        },
      });
      await flush();
      t.clock.advance(10);
      t.clock.advance(10);
      await flush();
      t.clock.advance(10);
      await flush();
      const { output } = await t.ended;
      expect(output).toMatchObject({ finished: { a: 'a()', b2: 'b2(a())' }, replans: 1 });
      expect(t.of('blackboard.synthesis_failed')).toEqual([{ type: 'blackboard.synthesis_failed', path: PATH, error: 'planner unreachable' }]);
    });
  });
});
