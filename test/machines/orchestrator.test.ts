import { describe, expect, it } from 'vitest';
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

describe('orchestrator (orchestratorMachine)', () => {
  it('should plan, compile, run the tasks in dependency order and synthesize', async () => {
    const t = harness({
      answers: planner(aPlan()),
      behaviour: { a: { ms: 10 }, b: { ms: 10 }, c: { ms: 10 } },
    });
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
    expect(vars.context).toBe(
      '[result] ann: a: a()\n[result] ann: c: c()\n[result] ann: b: b(a())',
    );
    expect(t.of('plan.revised')).toEqual([]);
    expect(t.clock.pending).toBe(0);
  });

  it('should send a plan that does not compile back for revision, then run the fixed plan', async () => {
    const cyclic = planOf(step('x', ['y']), step('y', ['x']));
    const fixed = planOf(step('x'), step('y', ['x']));
    const t = harness({
      answers: planner(cyclic, [fixed]),
      behaviour: { x: { ms: 10 }, y: { ms: 10 } },
    });
    await flush();
    expect(t.of('plan.rejected')).toEqual([
      { type: 'plan.rejected', path: PATH, error: 'plan has a cycle: x → y → x' },
    ]);
    expect(callNames(t.calls)).toEqual([...FIRST_PLAN_CALLS, 'revise/replan', 'premortem']);
    const revise = t.calls.find((c) => c.phase === 'revise')!;
    expect(JSON.parse(revise.vars.plan!).steps).toEqual(cyclic.steps);
    expect(JSON.parse(revise.vars.failed!)).toEqual([
      { id: '(plan)', error: 'plan has a cycle: x → y → x' },
    ]);
    expect(revise.vars.finished).toBe('(none)');
    expect(t.of('plan.revised')).toEqual([
      { type: 'plan.revised', path: PATH, replan: 1, failed: [] },
    ]);
    expect(
      t.of('plan.compiled').map((e) => (e.tasks as { id: string }[]).map((x) => x.id)),
    ).toEqual([['x', 'y']]);
    t.clock.advance(20);
    await flush();
    const { output } = await t.ended;
    expect(t.states).toEqual([
      'planning',
      'adapting.replanning',
      'running.watching',
      'synthesizing',
      'done',
    ]);
    expect(output).toMatchObject({
      finished: { x: 'x()', y: 'y(x())' },
      failed: {},
      replans: 1,
      text: 'the report is out',
    });
  });

  it('should fail when a plan does not compile and no replan is left', async () => {
    const t = harness({
      plan: { maxReplans: 0 },
      answers: planner(planOf(step('x', ['x']))),
      behaviour: {},
    });
    await flush();
    const { error } = await t.ended;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      "the plan does not compile and no replan is left: step 'x' depends on itself",
    );
    expect(t.of('plan.rejected')).toHaveLength(1);
    expect(t.synthesisCalls).toEqual([]);
  });

  it('should replan around a failed task with the failures, keep what finished and run only the new tasks', async () => {
    const first = planOf(step('a'), step('b', ['a']), step('c', ['b']), step('d'));
    const revised = planOf(step('a'), step('b2', ['a']), step('c', ['b2']), step('d'));
    const t = harness({
      answers: planner(first, [revised]),
      behaviour: {
        a: { ms: 10 },
        b: { ms: 10, fail: 'b broke' },
        c: { ms: 10 },
        d: { ms: 10 },
        b2: { ms: 10 },
      },
    });
    await flush();
    t.clock.advance(10);
    expect(t.started()).toEqual(['a', 'd', 'b']);
    t.clock.advance(10);
    const bError = `supervisor '${PATH}/tasks/task/b' shut down: reached_max_restart_intensity (child 'agent': b broke)`;
    expect(t.of('task.failed')).toEqual([
      { type: 'task.failed', path: PATH, task: 'b', error: bError },
    ]);
    expect(t.of('task.blocked')).toEqual([
      { type: 'task.blocked', path: PATH, task: 'c', dependency: 'b' },
    ]);
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
    expect(t.of('plan.revised')).toEqual([
      { type: 'plan.revised', path: PATH, replan: 1, failed: ['b'] },
    ]);
    // The finished steps are not in the new graph: only b2 and c run.
    expect(
      t.of('plan.compiled').map((e) => (e.tasks as { id: string }[]).map((x) => x.id)),
    ).toEqual([
      ['a', 'b', 'c', 'd'],
      ['b2', 'c'],
    ]);
    t.clock.advance(20);
    await flush();
    const { output } = await t.ended;
    expect(t.started()).toEqual(['a', 'd', 'b', 'b2', 'c']);
    expect(t.of('task.finished').map((e) => e.task)).toEqual(['a', 'd', 'b2', 'c']);
    expect(t.states).toEqual([
      'planning',
      'running.watching',
      'adapting.replanning',
      'running.watching',
      'synthesizing',
      'done',
    ]);
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
    expect(t.states).toEqual([
      'planning',
      'running.watching',
      'adapting.replanning',
      'running.watching',
      'synthesizing',
      'done',
    ]);
    const bError = `supervisor '${PATH}/tasks/task/b' shut down: reached_max_restart_intensity (child 'agent': b broke)`;
    expect(JSON.parse(t.synthesisCalls[0]!.failed!)).toEqual([
      { id: 'b', error: bError },
      { id: 'c', error: 'not run: a task it depends on failed' },
    ]);
    expect(JSON.parse(t.synthesisCalls[0]!.finished!)).toEqual([
      { id: 'a', title: 'title a', output: 'a()' },
    ]);
    expect(output).toMatchObject({
      text: 'the report is out',
      finished: { a: 'a()' },
      failed: { b: bError },
      blocked: ['c'],
      replans: 1,
    });
  });

  it('should go on from a resumed plan without planning, running only the unfinished tasks', async () => {
    const plan = planOf(step('a'), step('b', ['a']), step('c'));
    const t = harness({
      answers: {},
      behaviour: { b: { ms: 10 }, c: { ms: 10 } },
      resume: { plan, finished: { a: 'A!' }, replans: 1 },
    });
    expect(
      t.of('plan.compiled').map((e) => (e.tasks as { id: string }[]).map((x) => x.id)),
    ).toEqual([['b', 'c']]);
    expect(t.started()).toEqual(['b', 'c']);
    t.clock.advance(10);
    await flush();
    const { output } = await t.ended;
    expect(t.calls).toEqual([]);
    expect(t.states).toEqual(['running.watching', 'synthesizing', 'done']);
    expect(output).toMatchObject({ finished: { a: 'A!', b: 'b(A!)', c: 'c()' }, replans: 1, plan });
  });

  it('should stop the tasks and end without output text on maestro.shutdown', async () => {
    const t = harness({
      answers: planner(aPlan()),
      behaviour: { a: { ms: 1000 }, b: { ms: 10 }, c: { ms: 1000 } },
    });
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
      expect(t.states).toEqual([
        'planning',
        'running.watching',
        'adapting.reflecting',
        'adapting.replanning',
        'running.watching',
        'synthesizing',
        'done',
      ]);
      // It read the board as it was: a's result and b's failure.
      expect(boards).toHaveLength(1);
      expect(boards[0]).toContain('[result] ');
      expect(boards[0]).toContain('[failure] ');
      expect(t.blackboard.entries.find((e) => e.kind === 'synthesis')).toMatchObject({
        agent: 'planner',
        data: 'state: a done, b broke; pattern: none; next: replace b',
      });
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
      expect(t.of('blackboard.synthesis_failed')).toEqual([
        { type: 'blackboard.synthesis_failed', path: PATH, error: 'planner unreachable' },
      ]);
    });
  });
});
