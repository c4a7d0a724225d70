import { createActor } from 'xstate';
import type { LooseMissionEvent } from '../helpers/looseEvent.js';
import { describe, expect, it } from 'vitest';
import type { MasterPlan } from '../../actors/planning/masterPlan.js';
import { compileTaskGraph, type GraphTask, type TaskGraph } from '../../actors/taskGraph.js';
import { ManualClock } from '../../kernel/clock.js';
import { taskDagMachine, type TaskDagInput, type TaskInput } from '../../machines/taskDag.js';
import { taskOutputOf, taskSpecOf, type Behaviour } from '../helpers/taskWorker.js';
import { BudgetNode, createRuntime, type BudgetLimits } from '../../supervisors/index.js';

const outputOf = taskOutputOf;

function plan(...steps: [id: string, dependsOn?: string[]][]): MasterPlan {
  return {
    steps: steps.map(([id, dependsOn = []]) => ({
      id,
      title: id,
      prompt: id,
      dependsOn,
      capabilities: [],
    })),
    confidence: 1,
    thoughtChain: [],
  };
}

const agents = [{ id: 'ann', capabilities: [] }];

interface RunOptions {
  maxParallel?: number;
  finished?: Record<string, string>;
  limits?: BudgetLimits;
  taskSpec?: TaskDagInput['taskSpec'];
}

function runDag(graph: TaskGraph, behaviour: Record<string, Behaviour>, options: RunOptions = {}) {
  const clock = new ManualClock();
  const log: string[] = [];
  const events: LooseMissionEvent[] = [];
  const runtime = createRuntime({
    clock,
    events: { append: (e) => events.push(e) },
    random: () => 0.5,
  });
  const budget = BudgetNode.root('m', options.limits ?? {}, clock);
  const actor = createActor(taskDagMachine, {
    clock,
    input: {
      path: 'dag',
      graph,
      finished: options.finished ?? {},
      maxParallel: options.maxParallel ?? 4,
      runtime,
      budget,
      taskSpec: options.taskSpec ?? taskSpecOf(log, behaviour),
      outputOf,
    },
  });
  const errors: unknown[] = [];
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.start();
  const taskEvents = () => events.filter((e) => e.type.startsWith('task.'));
  const status = () => actor.getSnapshot().status;
  return {
    actor,
    clock,
    log,
    events,
    taskEvents,
    budget,
    errors,
    status,
    output: () => actor.getSnapshot().output,
  };
}

const diamond = () =>
  compileTaskGraph(plan(['a'], ['b', ['a']], ['c', ['a']], ['d', ['b', 'c']]), agents);

describe('task DAG (taskDagMachine)', () => {
  it('should run b and c together after a, and d only after both', () => {
    const t = runDag(diamond(), { a: { ms: 10 }, b: { ms: 10 }, c: { ms: 20 }, d: { ms: 10 } });
    expect(t.log).toEqual(['start:a']);
    t.clock.advance(10);
    expect(t.log).toEqual(['start:a', 'stop:a', 'start:b', 'start:c']);
    t.clock.advance(10);
    expect(t.log.slice(4)).toEqual(['stop:b']);
    t.clock.advance(10);
    expect(t.log.slice(5)).toEqual(['stop:c', 'start:d']);
    expect(t.status()).toBe('active');
    t.clock.advance(10);
    expect(t.log.slice(7)).toEqual(['stop:d']);
    expect(t.status()).toBe('done');
    expect(t.output()).toEqual({
      finished: { a: 'a()', b: 'b(a())', c: 'c(a())', d: 'd(b(a()),c(a()))' },
      failed: {},
      blocked: [],
    });
    expect(t.errors).toEqual([]);
  });

  it('should serialize everything with maxParallel 1, in graph order', () => {
    const t = runDag(
      diamond(),
      { a: { ms: 10 }, b: { ms: 10 }, c: { ms: 10 }, d: { ms: 10 } },
      { maxParallel: 1 },
    );
    for (let i = 0; i < 3; i++) t.clock.advance(10);
    expect(t.status()).toBe('active');
    t.clock.advance(10);
    expect(t.log).toEqual([
      'start:a',
      'stop:a',
      'start:b',
      'stop:b',
      'start:c',
      'stop:c',
      'start:d',
      'stop:d',
    ]);
    expect(t.status()).toBe('done');
  });

  it('should keep at most maxParallel independent tasks running, starting the next as one ends', () => {
    const graph = compileTaskGraph(plan(['x'], ['y'], ['z']), agents);
    const t = runDag(graph, { x: { ms: 30 }, y: { ms: 10 }, z: { ms: 10 } }, { maxParallel: 2 });
    expect(t.log).toEqual(['start:x', 'start:y']);
    t.clock.advance(10);
    expect(t.log).toEqual(['start:x', 'start:y', 'stop:y', 'start:z']);
    t.clock.advance(20);
    expect(t.output()?.finished).toEqual({ x: 'x()', y: 'y()', z: 'z()' });
  });

  it('should fail a failing task, block its dependents once each, and still run independent tasks', () => {
    const graph = compileTaskGraph(
      plan(['a'], ['b', ['a']], ['c', ['b']], ['d', ['c', 'a']], ['e']),
      agents,
    );
    const t = runDag(graph, {
      a: { ms: 10 },
      b: { ms: 10, fail: 'b broke' },
      c: { ms: 10 },
      d: { ms: 10 },
      e: { ms: 50 },
    });
    t.clock.advance(20);
    expect(t.log).toEqual(['start:a', 'start:e', 'stop:a', 'start:b', 'stop:b']);
    expect(t.status()).toBe('active');
    t.clock.advance(30);
    expect(t.status()).toBe('done');
    expect(t.output()).toEqual({
      finished: { a: 'a()', e: 'e()' },
      failed: {
        b: "supervisor 'dag/tasks/task/b' shut down: reached_max_restart_intensity (child 'agent': b broke)",
      },
      blocked: ['c', 'd'],
    });
    expect(t.taskEvents().filter((e) => e.type === 'task.blocked')).toEqual([
      { type: 'task.blocked', path: 'dag', task: 'c', dependency: 'b' },
      { type: 'task.blocked', path: 'dag', task: 'd', dependency: 'c' },
    ]);
  });

  it('should not start tasks finished before, and feed their outputs to dependents', () => {
    const t = runDag(
      diamond(),
      { b: { ms: 10 }, c: { ms: 10 }, d: { ms: 10 } },
      { finished: { a: 'A!', c: 'C!' } },
    );
    expect(t.log).toEqual(['start:b']);
    t.clock.advance(10);
    t.clock.advance(10);
    expect(t.log).toEqual(['start:b', 'stop:b', 'start:d', 'stop:d']);
    expect(t.output()).toEqual({
      finished: { a: 'A!', c: 'C!', b: 'b(A!)', d: 'd(b(A!),C!)' },
      failed: {},
      blocked: [],
    });
    expect(t.taskEvents().map((e) => [e.type, e.task])).toEqual([
      ['task.started', 'b'],
      ['task.finished', 'b'],
      ['task.started', 'd'],
      ['task.finished', 'd'],
    ]);
  });

  it('should take outputs of steps outside the graph (an earlier plan) as inputs', () => {
    const graph = compileTaskGraph(plan(['old'], ['b', ['old']]), agents, {
      finished: new Set(['old']),
    });
    const t = runDag(graph, { b: { ms: 10 } }, { finished: { old: 'O' } });
    t.clock.advance(10);
    expect(t.output()).toEqual({ finished: { old: 'O', b: 'b(O)' }, failed: {}, blocked: [] });
  });

  it('should stop on dag.stop: start nothing more, stop what runs, and end with the reason', () => {
    const t = runDag(diamond(), { a: { ms: 10 }, b: { ms: 100 }, c: { ms: 100 }, d: { ms: 10 } });
    t.clock.advance(10);
    t.actor.send({ type: 'dag.stop', reason: 'replan' });
    expect(t.log).toEqual(['start:a', 'stop:a', 'start:b', 'start:c', 'stop:c', 'stop:b']);
    expect(t.status()).toBe('done');
    expect(t.output()).toEqual({
      finished: { a: 'a()' },
      failed: {},
      blocked: [],
      stopped: 'replan',
    });
    t.clock.advance(1000);
    expect(t.log).toHaveLength(6);
    expect(t.taskEvents().map((e) => e.type)).toEqual([
      'task.started',
      'task.finished',
      'task.started',
      'task.started',
    ]);
  });

  it('should end with stopped budget_exceeded, starting nothing, when the budget is spent before a start', () => {
    const t = runDag(
      diamond(),
      { a: { ms: 10 }, b: { ms: 10 }, c: { ms: 10 }, d: { ms: 10 } },
      { limits: { tokens: 100 } },
    );
    t.budget.charge({ tokens: 100 });
    t.clock.advance(10);
    expect(t.log).toEqual(['start:a', 'stop:a']);
    expect(t.output()).toEqual({
      finished: { a: 'a()' },
      failed: {},
      blocked: [],
      stopped: 'budget_exceeded',
    });
  });

  it('should end with stopped budget_exceeded when a task spends the budget (its supervisors give up)', () => {
    const graph = compileTaskGraph(plan(['a'], ['b']), agents);
    const t = runDag(
      graph,
      { a: { ms: 10, spend: 100 }, b: { ms: 50 } },
      { limits: { tokens: 100 } },
    );
    t.clock.advance(10);
    expect(t.log).toEqual(['start:a', 'start:b', 'stop:a', 'stop:b']);
    expect(t.status()).toBe('done');
    expect(t.output()).toEqual({
      finished: {},
      failed: { a: "budget_exceeded: tokens at 'm' (used 100 of 100)" },
      blocked: [],
      stopped: 'budget_exceeded',
    });
  });

  it('should fail a task whose spec cannot be built, and block its dependents', () => {
    const log: string[] = [];
    const spec = taskSpecOf(log, { a: { ms: 10 }, c: { ms: 10 } });
    const taskSpec = (task: GraphTask, inputs: TaskInput[]) => {
      if (task.id === 'b') throw new Error('no prompt for b');
      return task.id === 'c' ? { ...spec(task, inputs), shutdown: -1 } : spec(task, inputs);
    };
    const graph = compileTaskGraph(plan(['a'], ['b'], ['c'], ['d', ['b']]), agents);
    const t = runDag(graph, {}, { taskSpec });
    t.clock.advance(10);
    expect(log).toEqual(['start:a', 'stop:a']);
    expect(t.output()).toEqual({
      finished: { a: 'a()' },
      failed: {
        b: 'no prompt for b',
        c: "task 'c'.shutdown: must be 'brutal_kill', 'infinity' or a timeout in ms >= 0, got -1",
      },
      blocked: ['d'],
    });
  });

  it('should log its events in order, each with the path', () => {
    const graph = compileTaskGraph(plan(['a'], ['b', ['a']], ['c', ['b']]), agents);
    const t = runDag(graph, { a: { ms: 10 }, b: { ms: 10, fail: 'nope' }, c: { ms: 10 } });
    t.clock.advance(20);
    expect(t.taskEvents()).toEqual([
      { type: 'task.started', path: 'dag', task: 'a', agent: 'ann' },
      { type: 'task.finished', path: 'dag', task: 'a', output: 'a()' },
      { type: 'task.started', path: 'dag', task: 'b', agent: 'ann' },
      {
        type: 'task.failed',
        path: 'dag',
        task: 'b',
        error:
          "supervisor 'dag/tasks/task/b' shut down: reached_max_restart_intensity (child 'agent': nope)",
      },
      { type: 'task.blocked', path: 'dag', task: 'c', dependency: 'b' },
    ]);
    expect(t.output()).toEqual({
      finished: { a: 'a()' },
      failed: { b: expect.any(String) },
      blocked: ['c'],
    });
  });

  it('should block a task whose dependency is neither in the graph nor finished before', () => {
    const graph: TaskGraph = {
      tasks: [{ id: 'b', title: 'b', prompt: 'b', dependsOn: ['ghost'], agent: 'ann' }],
      levels: [['b']],
    };
    const t = runDag(graph, { b: { ms: 10 } });
    expect(t.log).toEqual([]);
    expect(t.output()).toEqual({ finished: {}, failed: {}, blocked: ['b'] });
    expect(t.taskEvents()).toEqual([
      { type: 'task.blocked', path: 'dag', task: 'b', dependency: 'ghost' },
    ]);
  });

  it('should end at once with an empty graph', () => {
    const t = runDag({ tasks: [], levels: [] }, {}, { finished: { a: 'A' } });
    expect(t.status()).toBe('done');
    expect(t.output()).toEqual({ finished: { a: 'A' }, failed: {}, blocked: [] });
  });
});
