import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/clock.js';
import { BudgetExceededError, SystemError } from '../../kernel/errors.js';
import { BudgetNode } from '../../supervisors/index.js';

function budgetError(fn: () => unknown): BudgetExceededError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BudgetExceededError) return err;
    throw err;
  }
  throw new Error('expected a BudgetExceededError');
}

describe('budget nodes', () => {
  it('should count a charge into the node and every ancestor', () => {
    const clock = new ManualClock();
    const root = BudgetNode.root('mission', {}, clock);
    const stage = root.child('stage');
    const agent = stage.child('agent');
    const sibling = stage.child('sibling');
    agent.charge({ tokens: 100, costUsd: 0.25, samples: 1 });
    sibling.charge({ tokens: 5 });
    agent.charge({ tokens: 20 });
    expect(agent.usage()).toEqual({ tokens: 120, costUsd: 0.25, samples: 1, wallTimeMs: 0 });
    expect(sibling.usage()).toEqual({ tokens: 5, costUsd: 0, samples: 0, wallTimeMs: 0 });
    expect(stage.usage()).toEqual({ tokens: 125, costUsd: 0.25, samples: 1, wallTimeMs: 0 });
    expect(root.usage()).toEqual({ tokens: 125, costUsd: 0.25, samples: 1, wallTimeMs: 0 });
    expect(agent.path).toBe('mission/stage/agent');
  });

  it('should throw BudgetExceededError from check() naming the node and the budget', () => {
    const root = BudgetNode.root('mission', {}, new ManualClock());
    const agent = root.child('agent', { tokens: 100 });
    agent.charge({ tokens: 99 });
    expect(() => agent.check()).not.toThrow();
    agent.charge({ tokens: 21 });
    const e = budgetError(() => agent.check());
    expect(e).toBeInstanceOf(SystemError);
    expect(e.name).toBe('BudgetExceededError');
    expect(e.message).toBe("budget_exceeded: tokens at 'mission/agent' (used 120 of 100)");
    expect(e).toMatchObject({
      node: 'mission/agent',
      budget: 'tokens',
      limit: 100,
      used: 120,
      reason: 'budget_exceeded',
    });
    expect(() => root.check()).not.toThrow();
  });

  it('should refuse work once the usage reaches the limit exactly', () => {
    const node = BudgetNode.root('n', { samples: 3 }, new ManualClock());
    node.charge({ samples: 3 });
    expect(budgetError(() => node.check()).message).toBe(
      "budget_exceeded: samples at 'n' (used 3 of 3)",
    );
  });

  it("should refuse a child's work when an ancestor is spent, naming the ancestor", () => {
    const root = BudgetNode.root('mission', { costUsd: 1 }, new ManualClock());
    const a = root.child('a');
    const b = root.child('b');
    a.charge({ costUsd: 0.6 });
    b.charge({ costUsd: 0.4 });
    const e = budgetError(() => b.check());
    expect(e.message).toBe("budget_exceeded: costUsd at 'mission' (used 1 of 1)");
    expect(e.node).toBe('mission');
    expect(a.exceeded()?.node).toBe('mission');
  });

  it('should name the nearest spent node first', () => {
    const root = BudgetNode.root('r', { tokens: 10 }, new ManualClock());
    const a = root.child('a', { tokens: 5 });
    a.charge({ tokens: 10 });
    expect(a.exceeded()?.message).toBe("budget_exceeded: tokens at 'r/a' (used 10 of 5)");
  });

  it('should round costs in the message', () => {
    const node = BudgetNode.root('n', { costUsd: 0.3 }, new ManualClock());
    node.charge({ costUsd: 0.1 });
    node.charge({ costUsd: 0.2 });
    node.charge({ costUsd: 0.0000001 });
    expect(node.exceeded()?.message).toBe("budget_exceeded: costUsd at 'n' (used 0.3 of 0.3)");
  });

  it('should spend a wall-time budget on the manual clock, counted from the node creation', () => {
    const clock = new ManualClock(1000);
    const root = BudgetNode.root('mission', {}, clock);
    clock.advance(500);
    const node = root.child('stage', { wallTimeMs: 1000 });
    clock.advance(999);
    expect(node.usage().wallTimeMs).toBe(999);
    expect(node.exceeded()).toBeUndefined();
    clock.advance(1);
    expect(budgetError(() => node.check()).message).toBe(
      "budget_exceeded: wallTimeMs at 'mission/stage' (used 1000 of 1000)",
    );
    expect(root.usage().wallTimeMs).toBe(1500);
  });

  it('should return the same node for the same child on repeat, keeping its usage and first limits', () => {
    const root = BudgetNode.root('r', {}, new ManualClock());
    const a = root.child('a', { tokens: 10 });
    a.charge({ tokens: 4 });
    const again = root.child('a', { tokens: 1000 });
    expect(again).toBe(a);
    expect(again.usage().tokens).toBe(4);
    expect(again.limits).toEqual({ tokens: 10 });
  });

  it('should give a fresh node after release, while the usage stays counted above', () => {
    const root = BudgetNode.root('r', {}, new ManualClock());
    const a = root.child('a');
    a.charge({ tokens: 7 });
    root.release('a');
    const fresh = root.child('a');
    expect(fresh).not.toBe(a);
    expect(fresh.usage().tokens).toBe(0);
    expect(root.usage().tokens).toBe(7);
  });

  it('should report the wall time left until the nearest limit on the way to the root', () => {
    const clock = new ManualClock();
    const root = BudgetNode.root('r', { wallTimeMs: 10_000 }, clock);
    const free = root.child('free');
    expect(BudgetNode.root('x', {}, clock).wallTimeRemainingMs()).toBeUndefined();
    expect(free.wallTimeRemainingMs()).toBe(10_000);
    clock.advance(2000);
    const tight = root.child('tight', { wallTimeMs: 5000 });
    const deep = tight.child('deep');
    clock.advance(1000);
    // root: 10000 - 3000 = 7000 left; tight: 5000 - 1000 = 4000 left.
    expect(tight.wallTimeRemainingMs()).toBe(4000);
    expect(deep.wallTimeRemainingMs()).toBe(4000);
    expect(free.wallTimeRemainingMs()).toBe(7000);
    clock.advance(6000);
    // root: 1000 left; tight: already 2000 past its limit.
    expect(deep.wallTimeRemainingMs()).toBe(-2000);
    expect(free.wallTimeRemainingMs()).toBe(1000);
  });

  it('should go on from the wall time a resumed mission had used, not start again', () => {
    const clock = new ManualClock(1_000_000);
    const root = BudgetNode.root('mission/m', { wallTimeMs: 10_000 }, clock, 7_000);
    expect(root.usage().wallTimeMs).toBe(7_000);
    expect(root.wallTimeRemainingMs()).toBe(3_000);
    clock.advance(2_999);
    expect(root.exceeded()).toBeUndefined();
    clock.advance(1);
    expect(root.exceeded()?.message).toBe(
      "budget_exceeded: wallTimeMs at 'mission/m' (used 10000 of 10000)",
    );
  });
});
