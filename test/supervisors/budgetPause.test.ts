import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/clock.js';
import { BudgetNode, PAUSED_RECHECK_MS } from '../../supervisors/budget.js';

describe('budget wall time paused (a person answering an approval is not machine time)', () => {
  it('should not count the time the tree is paused, in any node of the tree', () => {
    const clock = new ManualClock(1000);
    const root = BudgetNode.root('mission', { wallTimeMs: 3000 }, clock);
    const stage = root.child('stage', { wallTimeMs: 2000 });
    clock.advance(1500);
    stage.pause();
    expect(root.paused).toBe(true);
    clock.advance(60_000);
    expect(root.usage().wallTimeMs).toBe(1500);
    expect(stage.usage().wallTimeMs).toBe(1500);
    expect(root.exceeded()).toBeUndefined();
    root.resume();
    expect(root.paused).toBe(false);
    clock.advance(499);
    expect(stage.exceeded()).toBeUndefined();
    clock.advance(1);
    expect(stage.exceeded()?.message).toBe(
      "budget_exceeded: wallTimeMs at 'mission/stage' (used 2000 of 2000)",
    );
    expect(root.usage().wallTimeMs).toBe(2000);
  });

  it('should nest pauses and ignore a resume without a pause', () => {
    const clock = new ManualClock();
    const root = BudgetNode.root('m', { wallTimeMs: 1000 }, clock);
    root.resume();
    clock.advance(100);
    root.pause();
    root.pause();
    clock.advance(100);
    root.resume();
    clock.advance(100);
    expect(root.usage().wallTimeMs).toBe(100);
    root.resume();
    clock.advance(100);
    expect(root.usage().wallTimeMs).toBe(200);
  });

  it('should count a child created while paused from its creation, in machine time', () => {
    const clock = new ManualClock();
    const root = BudgetNode.root('m', {}, clock);
    clock.advance(100);
    root.pause();
    const child = root.child('late', { wallTimeMs: 50 });
    clock.advance(1000);
    expect(child.usage().wallTimeMs).toBe(0);
    root.resume();
    clock.advance(50);
    expect(child.exceeded()?.budget).toBe('wallTimeMs');
  });

  it("should go on from a resumed mission's wall time, pauses excluded", () => {
    const clock = new ManualClock(5000);
    const root = BudgetNode.root('m', { wallTimeMs: 10_000 }, clock, 7000);
    root.pause();
    clock.advance(100_000);
    root.resume();
    expect(root.wallTimeRemainingMs()).toBe(3000);
  });

  it('should make a wall-time timer armed while paused wait at least PAUSED_RECHECK_MS, and never late once resumed', () => {
    const clock = new ManualClock();
    const root = BudgetNode.root('m', { wallTimeMs: 1000 }, clock);
    clock.advance(999);
    root.pause();
    // 1 ms left, but nothing can run it out while paused: no timer spinning every ms.
    expect(root.wallTimeRemainingMs()).toBe(PAUSED_RECHECK_MS);
    clock.advance(5000);
    expect(root.wallTimeRemainingMs()).toBe(PAUSED_RECHECK_MS);
    root.resume();
    expect(root.wallTimeRemainingMs()).toBe(1);
  });
});
