import { describe, expect, it } from 'vitest';
import type { Review } from '../../actors/planning/masterPlan.js';
import { PlanAbortedError } from '../../machines/orchestrator.js';
import {
  PATH,
  step,
  planOf,
  planner,
  FIRST_PLAN_CALLS,
  callNames,
  harness,
  flush,
  aPlan,
} from '../helpers/orchestratorHarness.js';

describe('orchestrator (orchestratorMachine): the monitor', () => {
  const long = { a: { ms: 1000 }, b: { ms: 1000 }, c: { ms: 1000 } };

  it('should abort with sla_exceeded once the SLA has passed, without asking the reviewer', async () => {
    const review = async (): Promise<Review> => ({ decision: 'continue', reason: 'fine' });
    const t = harness({
      plan: { monitor: { intervalMs: 50, slaMs: 100 } },
      answers: planner(aPlan()),
      behaviour: long,
      reviews: [review],
    });
    await flush();
    t.clock.advance(50);
    await flush();
    expect(t.reviewCalls).toHaveLength(1);
    t.clock.advance(50);
    const { error } = await t.ended;
    expect(error).toBeInstanceOf(PlanAbortedError);
    expect(error).toMatchObject({
      reason: 'sla_exceeded',
      message: 'sla_exceeded: ran 100 ms, SLA 100 ms',
    });
    // The reviewer was asked on the first tick only: a hard limit asks no one.
    expect(t.reviewCalls).toHaveLength(1);
    expect(t.of('monitor.abort')).toEqual([
      {
        type: 'monitor.abort',
        path: PATH,
        reason: 'sla_exceeded',
        message: 'sla_exceeded: ran 100 ms, SLA 100 ms',
        by: 'limit',
      },
    ]);
    expect(t.log).toEqual(['start:a', 'start:c', 'stop:c', 'stop:a']);
    expect(t.states).toEqual([
      'planning',
      'running.watching',
      'running.reviewing',
      'running.watching',
      'running.stopping',
      'failing',
    ]);
    expect(callNames(t.calls)).toEqual(FIRST_PLAN_CALLS);
    expect(t.synthesisCalls).toEqual([]);
    expect(t.clock.pending).toBe(0);
  });

  it('should abort with budget_exceeded on a tick once the stage budget is spent, without a model call', async () => {
    const review = async (): Promise<Review> => ({ decision: 'continue', reason: 'fine' });
    const t = harness({
      plan: { monitor: { intervalMs: 50 } },
      limits: { tokens: 100 },
      answers: planner(aPlan()),
      behaviour: long,
      reviews: [review],
    });
    await flush();
    // What the running tasks spent: counted at the orchestrator's node and the stage's above it.
    t.budget.charge({ tokens: 100 });
    t.clock.advance(50);
    const { error } = await t.ended;
    expect(error).toBeInstanceOf(PlanAbortedError);
    expect(error).toMatchObject({
      reason: 'budget_exceeded',
      message: 'budget_exceeded: tokens (used 100 of 100)',
    });
    expect(t.of('monitor.abort')).toEqual([
      {
        type: 'monitor.abort',
        path: PATH,
        reason: 'budget_exceeded',
        message: 'budget_exceeded: tokens (used 100 of 100)',
        by: 'limit',
      },
    ]);
    expect(t.reviewCalls).toEqual([]);
    expect(callNames(t.calls)).toEqual(FIRST_PLAN_CALLS);
    expect(t.synthesisCalls).toEqual([]);
    expect(t.log).toEqual(['start:a', 'start:c', 'stop:c', 'stop:a']);
  });

  it('should abort with budget_exceeded when the task graph stops on a spent budget before any tick', async () => {
    const t = harness({
      plan: { monitor: { intervalMs: 1000 } },
      limits: { tokens: 100 },
      answers: planner(aPlan()),
      behaviour: { a: { ms: 10 }, b: { ms: 10 }, c: { ms: 20 } },
    });
    await flush();
    t.budget.charge({ tokens: 100 });
    // a ends; the budget refuses to start b, so the graph stops (c with it).
    t.clock.advance(10);
    const { error } = await t.ended;
    expect(error).toBeInstanceOf(PlanAbortedError);
    expect(error).toMatchObject({
      reason: 'budget_exceeded',
      message: 'budget_exceeded: tokens (used 100 of 100)',
    });
    expect(t.of('monitor.abort')).toEqual([
      {
        type: 'monitor.abort',
        path: PATH,
        reason: 'budget_exceeded',
        message: 'budget_exceeded: tokens (used 100 of 100)',
        by: 'limit',
      },
    ]);
    expect(t.started()).toEqual(['a', 'c']);
    expect(t.log).toEqual(['start:a', 'start:c', 'stop:a', 'stop:c']);
    expect(callNames(t.calls)).toEqual(FIRST_PLAN_CALLS);
    expect(t.synthesisCalls).toEqual([]);
  });

  it("should abort with reason aborted and the reviewer's message when the reviewer says abort", async () => {
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
    expect(error).toMatchObject({
      reason: 'aborted',
      message: 'aborted by the reviewer: the data source is gone',
    });
    expect(t.of('monitor.abort')).toEqual([
      {
        type: 'monitor.abort',
        path: PATH,
        reason: 'aborted',
        message: 'the data source is gone',
        by: 'reviewer',
      },
    ]);
    // The reviewer saw the plan and the telemetry.
    const vars = t.reviewCalls[0]!;
    expect(JSON.parse(vars.plan!)).toEqual(
      aPlan().steps.map((s) => ({ id: s.id, title: s.title, dependsOn: s.dependsOn })),
    );
    expect(JSON.parse(vars.telemetry!)).toMatchObject({
      elapsedMs: 50,
      tasks: { total: 3, finished: 0, failed: 0, running: 2, blocked: 0 },
      restarts: 0,
    });
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
      reviews: [
        async () => ({ decision: 'revise', reason: 'split b' }),
        async () => ({ decision: 'continue', reason: 'fine' }),
      ],
    });
    await flush();
    t.clock.advance(50);
    expect(t.log).toEqual(['start:a', 'stop:a', 'start:b']);
    await flush();
    expect(t.of('monitor.revise')).toEqual([
      { type: 'monitor.revise', path: PATH, reason: 'revise', message: 'split b', by: 'reviewer' },
    ]);
    expect(t.log).toEqual(['start:a', 'stop:a', 'start:b', 'stop:b', 'start:b1']);
    const revise = t.calls.find((c) => c.phase === 'revise')!;
    expect(JSON.parse(revise.vars.finished!)).toEqual([{ id: 'a', output: 'a()' }]);
    expect(JSON.parse(revise.vars.failed!)).toEqual([{ id: '(reviewer)', error: 'split b' }]);
    expect(t.of('plan.revised')).toEqual([
      { type: 'plan.revised', path: PATH, replan: 1, failed: [] },
    ]);
    t.clock.advance(20);
    await flush();
    const { output } = await t.ended;
    expect(t.states).toEqual([
      'planning',
      'running.watching',
      'running.reviewing',
      'running.stopping',
      'adapting.replanning',
      'running.watching',
      'synthesizing',
      'done',
    ]);
    // b was stopped, not failed; it is not run again.
    expect(t.of('task.failed')).toEqual([]);
    expect(t.started()).toEqual(['a', 'b', 'b1', 'b2']);
    expect(output).toMatchObject({
      finished: { a: 'a()', b1: 'b1(a())', b2: 'b2(b1(a()))' },
      failed: {},
      replans: 1,
    });
  });

  it('should keep watching when the reviewer fails, and ask again on the next tick', async () => {
    const t = harness({
      plan: { monitor: { intervalMs: 50 } },
      answers: planner(planOf(step('a'))),
      behaviour: { a: { ms: 120 } },
      reviews: [
        async () => Promise.reject(new Error('reviewer offline')),
        async () => ({ decision: 'continue', reason: 'fine' }),
      ],
    });
    await flush();
    t.clock.advance(50);
    await flush();
    expect(t.of('monitor.review_failed')).toEqual([
      { type: 'monitor.review_failed', path: PATH, error: 'reviewer offline' },
    ]);
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
