import { describe, expect, it } from 'vitest';
import type { MasterPlan } from '../../actors/planning/masterPlan.js';
import {
  compileTaskGraph,
  DuplicateStepError,
  NoCapableAgentError,
  PlanCycleError,
  PlanGraphError,
  SelfDependencyError,
  UnknownDependencyError,
  type GraphAgent,
} from '../../actors/taskGraph.js';
import { SystemError } from '../../kernel/errors.js';

type StepSketch = [id: string, dependsOn?: string[], capabilities?: string[]];

function plan(...steps: StepSketch[]): MasterPlan {
  return {
    steps: steps.map(([id, dependsOn = [], capabilities = []]) => ({
      id,
      title: `T ${id}`,
      prompt: `P ${id}`,
      dependsOn,
      capabilities,
    })),
    confidence: 0.8,
    thoughtChain: [],
  };
}

const agents: GraphAgent[] = [
  { id: 'coder', capabilities: ['code'] },
  { id: 'plain', capabilities: [] },
  { id: 'full', capabilities: ['code', 'web'] },
];

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('compileTaskGraph', () => {
  it('should order a diamond topologically and put b and c on one level', () => {
    const g = compileTaskGraph(plan(['d', ['b', 'c']], ['c', ['a']], ['b', ['a']], ['a']), agents);
    expect(g.tasks.map((t) => t.id)).toEqual(['a', 'c', 'b', 'd']);
    expect(g.levels).toEqual([['a'], ['c', 'b'], ['d']]);
    expect(g.tasks[3]).toEqual({
      id: 'd',
      title: 'T d',
      prompt: 'P d',
      dependsOn: ['b', 'c'],
      agent: 'plain',
    });
  });

  it('should keep plan order when it is already topological, taking the first ready step each time', () => {
    const g = compileTaskGraph(plan(['a'], ['b', ['a']], ['c'], ['d', ['c']]), agents);
    expect(g.tasks.map((t) => t.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(g.levels).toEqual([
      ['a', 'c'],
      ['b', 'd'],
    ]);
  });

  it('should choose the first agent in config order with every needed capability', () => {
    const g = compileTaskGraph(
      plan(['a', [], ['code']], ['b', [], ['web', 'code']], ['c']),
      agents,
    );
    expect(g.tasks.map((t) => [t.id, t.agent])).toEqual([
      ['a', 'coder'],
      ['b', 'full'],
      ['c', 'plain'],
    ]);
  });

  it('should give a step without capabilities to the first agent when every agent has some', () => {
    const g = compileTaskGraph(plan(['a']), [
      { id: 'x', capabilities: ['web'] },
      { id: 'y', capabilities: ['code'] },
    ]);
    expect(g.tasks[0]!.agent).toBe('x');
  });

  it('should leave finished steps out and count dependencies on them as satisfied', () => {
    const g = compileTaskGraph(plan(['a'], ['b', ['a']], ['c', ['b', 'old']]), agents, {
      finished: new Set(['a', 'old']),
    });
    expect(g.tasks.map((t) => [t.id, t.dependsOn])).toEqual([
      ['b', ['a']],
      ['c', ['b', 'old']],
    ]);
    expect(g.levels).toEqual([['b'], ['c']]);
  });

  it('should not check a finished step (its dependencies and capabilities no longer matter)', () => {
    const g = compileTaskGraph(plan(['a', ['gone'], ['telepathy']], ['b', ['a']]), agents, {
      finished: new Set(['a']),
    });
    expect(g.tasks.map((t) => t.id)).toEqual(['b']);
  });

  it('should refuse a duplicate step id', () => {
    const err = thrown(() => compileTaskGraph(plan(['a'], ['b'], ['a']), agents));
    expect(err).toBeInstanceOf(DuplicateStepError);
    expect(err).toMatchObject({ message: "duplicate step id 'a'", step: 'a', reason: 'bad_plan' });
  });

  it('should refuse a dependency on an unknown step', () => {
    const err = thrown(() => compileTaskGraph(plan(['a'], ['b', ['a', 'x']]), agents));
    expect(err).toBeInstanceOf(UnknownDependencyError);
    expect(err).toMatchObject({
      message: "step 'b' depends on unknown step 'x'",
      step: 'b',
      dependency: 'x',
    });
  });

  it('should refuse a step that depends on itself', () => {
    const err = thrown(() => compileTaskGraph(plan(['a'], ['b', ['a', 'b']]), agents));
    expect(err).toBeInstanceOf(SelfDependencyError);
    expect(err).toMatchObject({ message: "step 'b' depends on itself", step: 'b' });
  });

  it('should name a 3-cycle in run order, from its first step in the plan', () => {
    // b needs a, c needs b, a needs c.
    const err = thrown(() =>
      compileTaskGraph(plan(['a', ['c']], ['b', ['a']], ['c', ['b']]), agents),
    );
    expect(err).toBeInstanceOf(PlanCycleError);
    expect(err).toMatchObject({
      message: 'plan has a cycle: a → b → c → a',
      cycle: ['a', 'b', 'c', 'a'],
    });
  });

  it('should name a cycle that does not involve the first step, and only its steps', () => {
    // start and q are outside the cycle; q depends on it.
    const err = thrown(() =>
      compileTaskGraph(
        plan(['start'], ['q', ['y']], ['x', ['start', 'z']], ['y', ['x']], ['z', ['y']]),
        agents,
      ),
    );
    expect(err).toMatchObject({
      message: 'plan has a cycle: x → y → z → x',
      cycle: ['x', 'y', 'z', 'x'],
    });
  });

  it('should name a 2-cycle', () => {
    const err = thrown(() => compileTaskGraph(plan(['a'], ['b', ['c']], ['c', ['b']]), agents));
    expect((err as Error).message).toBe('plan has a cycle: b → c → b');
  });

  it('should refuse a step no agent can run, listing every agent with its capabilities', () => {
    const err = thrown(() =>
      compileTaskGraph(plan(['s', [], ['code', 'web']]), [
        { id: 'x', capabilities: ['code'] },
        { id: 'y', capabilities: [] },
      ]),
    );
    expect(err).toBeInstanceOf(NoCapableAgentError);
    expect(err).toMatchObject({
      message:
        "step 's' needs capabilities [code, web]: no agent has them all (agents: x [code], y [])",
      step: 's',
      capabilities: ['code', 'web'],
    });
  });

  it('should refuse any step when there are no agents', () => {
    expect((thrown(() => compileTaskGraph(plan(['s']), [])) as Error).message).toBe(
      "step 's' needs capabilities []: no agent has them all (agents: none)",
    );
  });

  it('should make every plan error a SystemError with reason bad_plan', () => {
    const err = thrown(() => compileTaskGraph(plan(['a', ['a']]), agents));
    expect(err).toBeInstanceOf(PlanGraphError);
    expect(err).toBeInstanceOf(SystemError);
    expect((err as PlanGraphError).reason).toBe('bad_plan');
    expect((err as Error).name).toBe('SelfDependencyError');
  });
});
