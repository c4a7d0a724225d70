import { describe, expect, it } from 'vitest';
import { approvalId, gateClosedReason } from '../../actors/approvalGate.js';
import { BudgetExceededError } from '../../kernel/errors.js';

describe('approval gate records', () => {
  it('should name a gate mission/stage/attempt', () => {
    expect(approvalId('m1', 'plan', 2)).toBe('m1/plan/2');
  });

  it.each([
    ['an answer leaves it answered, not closed', { type: 'gate.answered' }, undefined],
    [
      'a suspension leaves it open (the mission resumes at it)',
      { type: 'mission.suspend' },
      undefined,
    ],
    [
      'a long timeout waited again leaves it open',
      { type: 'xstate.after.approvalTimeout.mission.approval' },
      undefined,
    ],
    [
      'a stop closes it with the stop reason',
      { type: 'mission.stop', reason: 'changed my mind' },
      { reason: 'stopped', message: 'changed my mind' },
    ],
    [
      'a stop without a reason',
      { type: 'mission.stop' },
      { reason: 'stopped', message: 'stopped by request' },
    ],
    [
      'the supervisor failing closes it with the error and its reason',
      {
        type: 'xstate.error.actor.supervisor',
        error: new BudgetExceededError('mission/m1', 'tokens', 10, 12),
      },
      {
        reason: 'budget_exceeded',
        message: "budget_exceeded: tokens at 'mission/m1' (used 12 of 10)",
      },
    ],
    [
      'an error with no reason',
      { type: 'xstate.error.actor.supervisor', error: new Error('boom') },
      { reason: 'error', message: 'boom' },
    ],
    [
      'the supervisor ending',
      { type: 'xstate.done.actor.supervisor' },
      { reason: 'shutdown', message: 'the mission supervisor stopped at the gate' },
    ],
  ])('gateClosedReason: %s', (_name, event, expected) => {
    expect(gateClosedReason(event)).toEqual(expected);
  });
});
