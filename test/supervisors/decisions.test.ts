import { describe, expect, it } from 'vitest';
import {
  addRestart,
  autoShutdownDue,
  backoffAttempt,
  backoffDelay,
  intensityExceeded,
  restartGroup,
  shouldRestart,
  type AutoShutdown,
  type Backoff,
  type ExitKind,
  type RestartType,
  type Strategy,
} from '../../supervisors/index.js';

describe('shouldRestart', () => {
  // restart type × exit kind: permanent always (but a spent budget), transient after an abnormal exit, temporary never.
  const table: [RestartType, ExitKind, boolean][] = [
    ['permanent', 'normal', true],
    ['permanent', 'shutdown', true],
    ['permanent', 'error', true],
    ['permanent', 'killed', true],
    ['permanent', 'budget_exceeded', false],
    ['transient', 'normal', false],
    ['transient', 'shutdown', false],
    ['transient', 'error', true],
    ['transient', 'killed', true],
    ['transient', 'budget_exceeded', false],
    ['temporary', 'normal', false],
    ['temporary', 'shutdown', false],
    ['temporary', 'error', false],
    ['temporary', 'killed', false],
    ['temporary', 'budget_exceeded', false],
    ['permanent', 'aborted', false],
    ['transient', 'aborted', false],
    ['temporary', 'aborted', false],
    ['permanent', 'non_retryable', false],
    ['transient', 'non_retryable', false],
    ['temporary', 'non_retryable', false],
  ];

  it.each(table)('should, for a %s child that exited %s, return %s', (restart, exit, expected) => {
    expect(shouldRestart(restart, exit)).toBe(expected);
  });
});

describe('addRestart and intensityExceeded', () => {
  const addTable: [string, number[], number, number, number[]][] = [
    ['keep nothing on the first restart', [], 1000, 5000, [1000]],
    ['keep a restart well inside the period', [1000], 3000, 5000, [3000, 1000]],
    [
      'keep a restart exactly one period old (now - t <= period, as OTP)',
      [1000],
      6000,
      5000,
      [6000, 1000],
    ],
    ['drop a restart one ms older than the period', [1000], 6001, 5000, [6001]],
    [
      'drop only the restarts that fell out of the period',
      [7000, 4000, 1000],
      9000,
      5000,
      [9000, 7000, 4000],
    ],
  ];

  it.each(addTable)('should %s', (_name, history, now, period, expected) => {
    expect(addRestart(history, now, period)).toEqual(expected);
  });

  it('should not modify the history it is given', () => {
    const history = [1000];
    addRestart(history, 9000, 5000);
    expect(history).toEqual([1000]);
  });

  const intensityTable: [number[], number, boolean][] = [
    [[], 0, false],
    [[0], 0, true],
    [[0], 1, false],
    [[5000, 0], 1, true],
    [[5000, 0], 2, false],
    [[3, 2, 1], 2, true],
  ];

  it.each(intensityTable)(
    'should, for history %j and intensity %i, return %s',
    (history, intensity, expected) => {
      expect(intensityExceeded(history, intensity)).toBe(expected);
    },
  );

  it('should give up on a second restart exactly one period after the first, and not one ms later', () => {
    const at5000 = addRestart(addRestart([], 0, 5000), 5000, 5000);
    expect(intensityExceeded(at5000, 1)).toBe(true);
    const at5001 = addRestart(addRestart([], 0, 5000), 5001, 5000);
    expect(intensityExceeded(at5001, 1)).toBe(false);
  });
});

describe('restartGroup', () => {
  const order = ['A', 'B', 'C'];
  const table: [Strategy, string, string[]][] = [
    ['one_for_one', 'A', ['A']],
    ['one_for_one', 'B', ['B']],
    ['one_for_one', 'C', ['C']],
    ['simple_one_for_one', 'A', ['A']],
    ['simple_one_for_one', 'B', ['B']],
    ['simple_one_for_one', 'C', ['C']],
    ['one_for_all', 'A', ['A', 'B', 'C']],
    ['one_for_all', 'B', ['A', 'B', 'C']],
    ['one_for_all', 'C', ['A', 'B', 'C']],
    ['rest_for_one', 'A', ['A', 'B', 'C']],
    ['rest_for_one', 'B', ['B', 'C']],
    ['rest_for_one', 'C', ['C']],
  ];

  it.each(table)('should, under %s with offender %s, return %j', (strategy, offender, expected) => {
    expect(restartGroup(strategy, order, offender)).toEqual(expected);
  });

  it('should return a copy, not the order itself', () => {
    const group = restartGroup('one_for_all', order, 'A');
    expect(group).not.toBe(order);
  });
});

describe('backoffDelay', () => {
  const backoff: Backoff = { minMs: 3000, maxMs: 30000 };

  it.each([
    [0, 3000],
    [1, 6000],
    [2, 12000],
    [3, 24000],
    [4, 30000],
    [5, 30000],
  ])('should, without randomness, wait %i -> %i ms', (attempt, expected) => {
    expect(backoffDelay(backoff, attempt, () => 0.99)).toBe(expected);
    expect(backoffDelay({ ...backoff, randomFactor: 0 }, attempt, () => 0.99)).toBe(expected);
  });

  it.each([
    [0, 3750],
    [1, 7500],
    [2, 15000],
    [3, 30000],
    [4, 37500],
    [5, 37500],
  ])(
    'should, with randomFactor 0.5 and random() 0.5, wait base * 1.25 for attempt %i (%i ms)',
    (attempt, expected) => {
      expect(backoffDelay({ ...backoff, randomFactor: 0.5 }, attempt, () => 0.5)).toBe(expected);
    },
  );

  it('should treat a negative attempt as the first', () => {
    expect(backoffDelay(backoff, -1)).toBe(3000);
  });
});

describe('backoffAttempt', () => {
  it.each([
    ['count up after a short run', { minMs: 3000, maxMs: 30000 }, 2, 100, 3],
    ['count the first restart as attempt 0', { minMs: 3000, maxMs: 30000 }, -1, 0, 0],
    [
      'reset after running quietly for maxMs (the default resetAfterMs)',
      { minMs: 3000, maxMs: 30000 },
      4,
      30000,
      0,
    ],
    ['not reset one ms before maxMs', { minMs: 3000, maxMs: 30000 }, 4, 29999, 5],
    [
      'reset after resetAfterMs when given',
      { minMs: 3000, maxMs: 30000, resetAfterMs: 10000 },
      4,
      10000,
      0,
    ],
    [
      'not reset one ms before resetAfterMs',
      { minMs: 3000, maxMs: 30000, resetAfterMs: 10000 },
      4,
      9999,
      5,
    ],
  ] as [string, Backoff, number, number, number][])(
    'should %s',
    (_name, b, previous, ranForMs, expected) => {
      expect(backoffAttempt(b, previous, ranForMs)).toBe(expected);
    },
  );
});

describe('autoShutdownDue', () => {
  const table: [AutoShutdown, boolean, number, boolean][] = [
    ['never', true, 0, false],
    ['never', true, 2, false],
    ['never', false, 0, false],
    ['any_significant', true, 0, true],
    ['any_significant', true, 2, true],
    ['any_significant', false, 0, false],
    ['all_significant', true, 0, true],
    ['all_significant', true, 1, false],
    ['all_significant', false, 0, false],
  ];

  it.each(table)(
    'should, under %s with a significant exit %s and %i significant alive, return %s',
    (mode, significant, alive, expected) => {
      expect(autoShutdownDue(mode, significant, alive)).toBe(expected);
    },
  );
});
