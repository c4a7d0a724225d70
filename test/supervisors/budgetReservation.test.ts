import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/clock.js';
import { BudgetExceededError } from '../../kernel/errors.js';
import {
  BudgetNode,
  BudgetReservationError,
  MESSAGE_OVERHEAD_TOKENS,
  worstCaseOfCall,
  type BudgetLimits,
  type Charge,
} from '../../supervisors/budget.js';

const O = MESSAGE_OVERHEAD_TOKENS;

describe('worstCaseOfCall (the most one model call can spend)', () => {
  it.each([
    [
      'a prompt and maxTokens, unpriced',
      { messages: ['hello'], maxTokens: 100 },
      { samples: 1, tokens: 5 + O + 100, costUsd: 0 },
    ],
    [
      'a system prompt too: each message framed',
      { messages: ['sys', 'hello'], maxTokens: 10 },
      { samples: 1, tokens: 3 + 5 + 2 * O + 10, costUsd: 0 },
    ],
    [
      'multi-byte text: a token per byte (é is 2, ✓ is 3)',
      { messages: ['héllo ✓'], maxTokens: 1 },
      { samples: 1, tokens: 10 + O + 1, costUsd: 0 },
    ],
    [
      'no maxTokens: only the prompt',
      { messages: ['hello'] },
      { samples: 1, tokens: 5 + O, costUsd: 0 },
    ],
    [
      'priced: prompt at the input price, maxTokens at the output price',
      {
        messages: ['x'.repeat(992)],
        maxTokens: 2000,
        prices: { inputPerMTok: 1, outputPerMTok: 4 },
      },
      { samples: 1, tokens: 1000 + 2000, costUsd: 0.009 },
    ],
  ])('%s', (_name, call, expected) => {
    const got = worstCaseOfCall(call);
    expect({ ...got, costUsd: Math.round(got.costUsd * 1e9) / 1e9 }).toEqual(expected);
  });
});

function refusal(fn: () => unknown): BudgetReservationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BudgetReservationError) return err;
    throw err;
  }
  throw new Error('expected a BudgetReservationError');
}

describe('budget reservations (calls in flight hold their worst case)', () => {
  type Row = [
    name: string,
    limits: BudgetLimits,
    used: Charge,
    held: Charge[],
    want: Charge,
    refused: string | undefined,
  ];
  const rows: Row[] = [
    ['fits with room to spare', { tokens: 1000 }, { tokens: 100 }, [], { tokens: 200 }, undefined],
    [
      'fits exactly',
      { tokens: 1000 },
      { tokens: 700 },
      [{ tokens: 100 }],
      { tokens: 200 },
      undefined,
    ],
    [
      'one token over, counting what is used',
      { tokens: 1000 },
      { tokens: 801 },
      [],
      { tokens: 200 },
      "budget_exceeded: tokens at 'm' (used 801, 0 held by calls in flight, this call may take 200: more than 1000)",
    ],
    [
      'over because of calls in flight',
      { tokens: 1000 },
      { tokens: 100 },
      [{ tokens: 400 }, { tokens: 400 }],
      { tokens: 200 },
      "budget_exceeded: tokens at 'm' (used 100, 800 held by calls in flight, this call may take 200: more than 1000)",
    ],
    [
      'cost over',
      { costUsd: 0.01 },
      { costUsd: 0.004 },
      [{ costUsd: 0.003 }],
      { costUsd: 0.004 },
      "budget_exceeded: costUsd at 'm' (used 0.004, 0.003 held by calls in flight, this call may take 0.004: more than 0.01)",
    ],
    [
      'cost that sums to the limit in floating point fits',
      { costUsd: 0.3 },
      { costUsd: 0.1 },
      [],
      { costUsd: 0.2 },
      undefined,
    ],
    ['the last sample fits', { samples: 3 }, { samples: 2 }, [], { samples: 1 }, undefined],
    [
      'one sample too many',
      { samples: 3 },
      { samples: 3 },
      [],
      { samples: 1 },
      "budget_exceeded: samples at 'm' (used 3, 0 held by calls in flight, this call may take 1: more than 3)",
    ],
    [
      'a kind with no limit is not held against one',
      { samples: 10 },
      { tokens: 1e9 },
      [],
      { tokens: 1e9, samples: 1 },
      undefined,
    ],
  ];
  it.each(rows)('%s', (_name, limits, used, held, want, refused) => {
    const root = BudgetNode.root('m', limits, new ManualClock());
    const agent = root.child('agent');
    agent.charge(used);
    for (const h of held) root.child('other').reserve(h);
    if (refused === undefined) {
      const r = agent.reserve(want);
      expect(r.charge).toEqual({
        tokens: want.tokens ?? 0,
        costUsd: want.costUsd ?? 0,
        samples: want.samples ?? 0,
      });
    } else {
      const before = { usage: root.usage(), reserved: root.reserved() };
      const e = refusal(() => agent.reserve(want));
      expect(e).toBeInstanceOf(BudgetExceededError);
      expect(e.message).toBe(refused);
      expect(e).toMatchObject({ node: 'm', reason: 'budget_exceeded' });
      // A refused reservation holds nothing and spends nothing.
      expect({ usage: root.usage(), reserved: root.reserved() }).toEqual(before);
    }
  });

  it('should hold in the node and every ancestor, and name the nearest node whose limit it would pass', () => {
    const root = BudgetNode.root('m', { tokens: 1000 }, new ManualClock());
    const stage = root.child('stage', { tokens: 300 });
    const a = stage.child('a');
    a.reserve({ tokens: 250, samples: 1 });
    expect(a.reserved()).toEqual({ tokens: 250, costUsd: 0 });
    expect(stage.reserved()).toEqual({ tokens: 250, costUsd: 0 });
    expect(root.reserved()).toEqual({ tokens: 250, costUsd: 0 });
    // The sample is spent at once; tokens are only held.
    expect(root.usage()).toMatchObject({ samples: 1, tokens: 0 });
    expect(refusal(() => stage.child('b').reserve({ tokens: 100 })).node).toBe('m/stage');
    // Outside the stage only the mission's limit counts.
    expect(() => root.child('elsewhere').reserve({ tokens: 750 })).not.toThrow();
    expect(refusal(() => root.child('elsewhere').reserve({ tokens: 1 })).node).toBe('m');
  });

  it('should settle on what the call used, once, giving back the rest of the hold', () => {
    const root = BudgetNode.root('m', { tokens: 1000, costUsd: 1 }, new ManualClock());
    const r = root.child('a').reserve({ tokens: 600, costUsd: 0.5, samples: 1 });
    r.settle({ tokens: 120, costUsd: 0.1 });
    r.settle({ tokens: 999, costUsd: 0.9 });
    expect(root.reserved()).toEqual({ tokens: 0, costUsd: 0 });
    expect(root.usage()).toMatchObject({ tokens: 120, costUsd: 0.1, samples: 1 });
    // The room the settled call gave back is free again.
    expect(() => root.reserve({ tokens: 880 })).not.toThrow();
  });

  it('should charge nothing but the sample for a call that failed', () => {
    const root = BudgetNode.root('m', { tokens: 100 }, new ManualClock());
    root.reserve({ tokens: 100, samples: 1 }).settle();
    expect(root.usage()).toMatchObject({ tokens: 0, samples: 1 });
    expect(root.reserved()).toEqual({ tokens: 0, costUsd: 0 });
  });

  it('should never let parallel reservations pass a limit, however many ask', () => {
    const root = BudgetNode.root('m', { tokens: 1000 }, new ManualClock());
    const granted = [];
    let refused = 0;
    for (let i = 0; i < 50; i++) {
      try {
        granted.push(root.child(`agent${i}`).reserve({ tokens: 90, samples: 1 }));
      } catch (err) {
        if (!(err instanceof BudgetReservationError)) throw err;
        refused++;
      }
    }
    expect(granted).toHaveLength(11);
    expect(refused).toBe(39);
    // Every call spends its worst case: still within the limit.
    for (const r of granted) r.settle({ tokens: 90 });
    expect(root.usage().tokens).toBe(990);
  });
});

describe('reserveWhenRoom (waiting out what calls in flight hold)', () => {
  const clock = new ManualClock();
  const tick = () => new Promise((r) => setImmediate(r));

  it('should wait while only holds stand in the way, and reserve once a call settles below its worst case', async () => {
    const root = BudgetNode.root('m', { tokens: 100 }, clock);
    const first = root.reserve({ tokens: 60 });
    let second: unknown;
    void root
      .child('a')
      .reserveWhenRoom({ tokens: 60 })
      .then((r) => (second = r));
    await tick();
    expect(second).toBeUndefined();
    first.settle({ tokens: 30 });
    await tick();
    expect(second).toMatchObject({ charge: { tokens: 60 } });
    expect(root.reserved()).toEqual({ tokens: 60, costUsd: 0 });
  });

  it('should refuse at once what cannot fit even with nothing held, and a waiter that no longer fits after a settle', async () => {
    const root = BudgetNode.root('m', { tokens: 100 }, clock);
    await expect(root.reserveWhenRoom({ tokens: 120 })).rejects.toThrow(
      "budget_exceeded: tokens at 'm' (used 0, 0 held by calls in flight, this call may take 120: more than 100)",
    );
    const first = root.reserve({ tokens: 60 });
    const waiting = root.reserveWhenRoom({ tokens: 60 });
    first.settle({ tokens: 50 });
    await expect(waiting).rejects.toBeInstanceOf(BudgetReservationError);
  });

  it("should stop waiting when its signal aborts, with the signal's reason, and leave no waiter behind", async () => {
    const root = BudgetNode.root('m', { tokens: 100 }, clock);
    const held = root.reserve({ tokens: 90 });
    const stop = new AbortController();
    const waiting = root.reserveWhenRoom({ tokens: 20 }, stop.signal);
    stop.abort(new Error('mission stopped'));
    await expect(waiting).rejects.toThrow('mission stopped');
    held.settle({ tokens: 0 });
    expect(root.reserved()).toEqual({ tokens: 0, costUsd: 0 });
  });
});
