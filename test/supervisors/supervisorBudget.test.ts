import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/clock.js';
import { BudgetExceededError } from '../../kernel/errors.js';
import {
  BudgetNode,
  supervisorMachine,
  SupervisorShutdownError,
  type BudgetLimits,
  type ChildSpec,
  type StartContext,
  type SupervisorInput,
} from '../../supervisors/index.js';
import { testWorker } from '../helpers/testWorker.js';
import { startTree } from '../helpers/tree.js';

/** A worker whose `spend` charges its own budget node (the one in its start context). */
const worker = (name: string, log: string[], extra: Partial<ChildSpec> = {}): ChildSpec => ({
  id: name,
  start: { logic: testWorker, input: (ctx: StartContext) => ({ name, log, budget: ctx.budget }) },
  ...extra,
});

const rootBudget = (clock: ManualClock, limits: BudgetLimits = {}) =>
  BudgetNode.root('sup', limits, clock);

describe('supervisor budgets', () => {
  it("should not start a child whose own budget is already spent, and fail with the child's BudgetExceededError", () => {
    const log: string[] = [];
    const clock = new ManualClock();
    const budget = rootBudget(clock);
    budget.child('B', { tokens: 100 }).charge({ tokens: 100 });
    const t = startTree(
      {
        name: 'sup',
        budget,
        children: [
          worker('A', log),
          worker('B', log, { budget: { tokens: 100 } }),
          worker('C', log),
        ],
      },
      clock,
    );
    expect(log).toEqual(['start:A', 'stop:A']);
    expect(t.actor.getSnapshot().status).toBe('error');
    const e = t.errors[0] as BudgetExceededError;
    expect(e).toBeInstanceOf(BudgetExceededError);
    expect(e.reason).toBe('budget_exceeded');
    expect(e.message).toBe("budget_exceeded: tokens at 'sup/B' (used 100 of 100)");
    expect(t.decisions()).toEqual([
      expect.objectContaining({
        supervisor: 'sup',
        errorContext: 'start_error',
        reason: "budget_exceeded: tokens at 'sup/B' (used 100 of 100)",
        action: 'shutdown',
        offender: expect.objectContaining({ id: 'B', path: 'sup/B' }),
      }),
    ]);
  });

  it("should not start any child when the supervisor's own budget is spent", () => {
    const log: string[] = [];
    const clock = new ManualClock();
    const budget = rootBudget(clock, { costUsd: 1 });
    budget.charge({ costUsd: 1 });
    const t = startTree({ name: 'sup', budget, children: [worker('A', log)] }, clock);
    expect(log).toEqual([]);
    expect(t.actor.getSnapshot().status).toBe('error');
    expect((t.errors[0] as Error).message).toBe("budget_exceeded: costUsd at 'sup' (used 1 of 1)");
  });

  it('should not restart a child that spent its budget and crashed, and fail with budget_exceeded', () => {
    const log: string[] = [];
    const clock = new ManualClock();
    const t = startTree(
      {
        name: 'sup',
        flags: { intensity: 10 },
        budget: rootBudget(clock),
        children: [worker('A', log), worker('B', log, { budget: { tokens: 50 } })],
      },
      clock,
    );
    // B spends 30 (under its 50) and crashes: restarted, with its old node.
    t.child('B')!.send({ type: 'spend', tokens: 30 });
    log.length = 0;
    t.child('B')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:B', 'start:B']);
    // 30 more are charged to B's node (say, by a model call in flight) and B crashes with an ordinary error.
    const node = t.child('B')!.getSnapshot().context.budget as BudgetNode;
    expect(node.usage().tokens).toBe(30);
    node.charge({ tokens: 30 });
    log.length = 0;
    t.child('B')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:B', 'stop:A']);
    expect(t.actor.getSnapshot().status).toBe('error');
    expect((t.errors[0] as BudgetExceededError).reason).toBe('budget_exceeded');
    expect((t.errors[0] as Error).message).toBe(
      "budget_exceeded: tokens at 'sup/B' (used 60 of 50)",
    );
    expect(t.decisions().map((d) => [d.errorContext, d.reason, d.action])).toEqual([
      ['child_terminated', 'B crashed', 'restart'],
      ['child_terminated', 'B crashed', 'restart'],
      ['start_error', "budget_exceeded: tokens at 'sup/B' (used 60 of 50)", 'shutdown'],
    ]);
  });

  it('should stop a supervisor whose node has a wall-time budget after exactly that time', () => {
    const log: string[] = [];
    const clock = new ManualClock();
    const t = startTree(
      {
        name: 'sup',
        budget: rootBudget(clock, { wallTimeMs: 10_000 }),
        children: [worker('A', log), worker('B', log)],
      },
      clock,
    );
    log.length = 0;
    clock.advance(9999);
    expect(t.actor.getSnapshot().value).toBe('running');
    clock.advance(1);
    expect(log).toEqual(['stop:B', 'stop:A']);
    expect(t.actor.getSnapshot().status).toBe('error');
    const e = t.errors[0] as BudgetExceededError;
    expect(e).toBeInstanceOf(BudgetExceededError);
    expect(e.message).toBe("budget_exceeded: wallTimeMs at 'sup' (used 10000 of 10000)");
    expect(t.decisions()).toEqual([
      expect.objectContaining({
        supervisor: 'sup',
        errorContext: 'child_terminated',
        reason: e.message,
        action: 'shutdown',
        at: 10_000,
      }),
    ]);
    expect(t.decisions()[0]!.offender).toBeUndefined();
  });

  it('should not restart a child that fails with BudgetExceededError, and fail the parent with budget_exceeded', () => {
    const log: string[] = [];
    const clock = new ManualClock();
    const t = startTree(
      {
        name: 'sup',
        flags: { intensity: 10 },
        budget: rootBudget(clock),
        children: [
          worker('A', log),
          worker('B', log, { budget: { tokens: 100 } }),
          worker('C', log),
        ],
      },
      clock,
    );
    log.length = 0;
    t.child('B')!.send({ type: 'spend', tokens: 60 });
    expect(log).toEqual([]);
    t.child('B')!.send({ type: 'spend', tokens: 60 });
    expect(log).toEqual(['stop:B', 'stop:C', 'stop:A']);
    expect(t.actor.getSnapshot().status).toBe('error');
    const e = t.errors[0] as BudgetExceededError;
    expect(e).toBeInstanceOf(BudgetExceededError);
    expect(e).toMatchObject({
      reason: 'budget_exceeded',
      node: 'sup/B',
      budget: 'tokens',
      limit: 100,
      used: 120,
    });
    expect(t.decisions()).toEqual([
      expect.objectContaining({
        errorContext: 'child_terminated',
        reason: "budget_exceeded: tokens at 'sup/B' (used 120 of 100)",
        action: 'shutdown',
        offender: expect.objectContaining({ id: 'B' }),
      }),
    ]);
  });

  it('should not restart a child that aborts (an error whose reason is aborted or sla_exceeded), and fail with its error', () => {
    for (const reason of ['aborted', 'sla_exceeded']) {
      const log: string[] = [];
      const clock = new ManualClock();
      const t = startTree(
        {
          name: 'sup',
          flags: { intensity: 10 },
          budget: rootBudget(clock),
          children: [worker('A', log), worker('B', log, { restart: 'transient' })],
        },
        clock,
      );
      log.length = 0;
      const abort = Object.assign(new Error(`${reason}: the reviewer said stop`), { reason });
      t.child('B')!.send({ type: 'crash', error: abort });
      expect(log).toEqual(['stop:B', 'stop:A']);
      expect(t.actor.getSnapshot().status).toBe('error');
      expect(t.errors[0]).toBe(abort);
      expect(t.decisions()).toEqual([
        expect.objectContaining({
          errorContext: 'child_terminated',
          reason: `${reason}: the reviewer said stop`,
          action: 'shutdown',
        }),
      ]);
    }
  });

  it('should remove a temporary child that aborts and run on', () => {
    const log: string[] = [];
    const clock = new ManualClock();
    const t = startTree(
      {
        name: 'sup',
        budget: rootBudget(clock),
        children: [worker('A', log), worker('T', log, { restart: 'temporary' })],
      },
      clock,
    );
    t.child('T')!.send({
      type: 'crash',
      error: Object.assign(new Error('aborted: enough'), { reason: 'aborted' }),
    });
    expect(t.actor.getSnapshot().value).toBe('running');
    expect(t.children().map((c) => c.id)).toEqual(['A']);
  });

  it('should remove a temporary child that fails with BudgetExceededError and run on', () => {
    const log: string[] = [];
    const clock = new ManualClock();
    const t = startTree(
      {
        name: 'sup',
        budget: rootBudget(clock),
        children: [
          worker('A', log),
          worker('T', log, { restart: 'temporary', budget: { tokens: 10 } }),
        ],
      },
      clock,
    );
    t.child('T')!.send({ type: 'spend', tokens: 10 });
    expect(t.actor.getSnapshot().value).toBe('running');
    expect(t.children().map((c) => c.id)).toEqual(['A']);
    expect(t.decisions().map((d) => d.action)).toEqual(['remove']);
  });

  it('should pass a spent budget up the tree: the subtree fails and so does every parent', () => {
    const log: string[] = [];
    const clock = new ManualClock();
    const sub: ChildSpec = {
      id: 'S',
      type: 'supervisor',
      budget: { tokens: 100 },
      start: {
        logic: supervisorMachine,
        input: (ctx: StartContext): SupervisorInput => ({
          name: ctx.path,
          runtime: ctx.runtime,
          budget: ctx.budget,
          children: [worker('W', log)],
        }),
      },
    };
    const t = startTree(
      {
        name: 'sup',
        flags: { intensity: 10 },
        budget: rootBudget(clock),
        children: [worker('A', log), sub],
      },
      clock,
    );
    const s = t.child('S')!;
    const w = Object.values(s.getSnapshot().children)[0] as { send(e: unknown): void };
    log.length = 0;
    w.send({ type: 'spend', tokens: 100 });
    expect(log).toEqual(['stop:W', 'stop:A']);
    expect(t.actor.getSnapshot().status).toBe('error');
    expect((t.errors[0] as Error).message).toBe(
      "budget_exceeded: tokens at 'sup/S' (used 100 of 100)",
    );
    expect(t.errors[0]).not.toBeInstanceOf(SupervisorShutdownError);
  });

  it("should stop when a temporary child spends the supervisor's own budget (not only its own)", () => {
    const log: string[] = [];
    const clock = new ManualClock();
    const spender = (name: string, restart: ChildSpec['restart']): ChildSpec => ({
      id: name,
      restart,
      start: {
        logic: testWorker,
        input: (ctx: StartContext) => ({ name, log, budget: ctx.budget }),
      },
    });
    const t = startTree(
      {
        name: 'sup',
        budget: rootBudget(clock, { tokens: 10 }),
        children: [spender('a', 'temporary'), spender('b', 'permanent')],
      },
      clock,
    );
    t.child('a')!.send({ type: 'spend', tokens: 20 });
    expect(t.actor.getSnapshot().status).toBe('error');
    expect((t.errors[0] as Error).message).toBe("budget_exceeded: tokens at 'sup' (used 20 of 10)");
    expect(log).toEqual(['start:a', 'start:b', 'stop:a', 'stop:b']);
  });

  it('should not report a wall-time give-up when the timer fires while already shutting down', () => {
    const clock = new ManualClock();
    const t = startTree(
      {
        name: 'sup',
        budget: rootBudget(clock, { wallTimeMs: 1000 }),
        children: [
          {
            id: 'a',
            shutdown: 5000,
            start: { logic: testWorker, input: { name: 'a', log: [], ignoreShutdown: true } },
          },
        ],
      },
      clock,
    );
    t.actor.send({ type: 'maestro.shutdown' });
    clock.advance(6000);
    expect(t.actor.getSnapshot().output).toEqual({ reason: 'shutdown', results: {} });
    expect(t.decisions().map((d) => [d.errorContext, d.action])).toEqual([
      ['shutdown_error', 'kill'],
    ]);
  });
});
