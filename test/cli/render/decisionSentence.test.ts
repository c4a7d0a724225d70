import { describe, expect, it } from 'vitest';
import { isRoutineDecision } from '../../../cli/render/decisionSentence.js';

const worker = {
  id: 'agent/a',
  path: 'mission/m1/stage/s/agent/a',
  restart: 'transient',
  type: 'worker',
  restarts: 0,
};
const stage = {
  id: 'stage/s',
  path: 'mission/m1/stage/s',
  restart: 'transient',
  type: 'supervisor',
  restarts: 0,
};
const gaveUp =
  "supervisor 'mission/m1/stage/s' shut down: reached_max_restart_intensity (child 'agent/a': http 500)";
type Decision = Parameters<typeof isRoutineDecision>[0];
const d = (fields: Record<string, unknown>) => ({
  mission: 'm1',
  supervisor: 'mission/m1/stage/s',
  errorContext: 'child_terminated',
  offender: worker,
  ...fields,
});

/** Which supervisor decisions get no progress line, and which do. */
const table: [string, Decision, boolean][] = [
  ['a child that finished', d({ reason: 'normal', exit: 'normal', action: 'no_restart' }), true],
  [
    'a child that ended shutdown',
    d({ reason: 'shutdown', exit: 'shutdown', action: 'no_restart' }),
    true,
  ],
  [
    'a child that ended {shutdown, Term}',
    d({ reason: '{shutdown, "early"}', exit: 'shutdown', action: 'no_restart' }),
    true,
  ],
  [
    'a temporary child that ended {shutdown, Term}, removed',
    d({ reason: '{shutdown, 1}', exit: 'shutdown', action: 'remove' }),
    true,
  ],
  [
    'a stage whose agents all answered',
    d({ errorContext: 'auto_shutdown', reason: 'all_significant', action: 'shutdown' }),
    true,
  ],
  ['a crash, restarted', d({ reason: 'http 500', exit: 'error', action: 'restart' }), false],
  [
    'a temporary child that crashed, removed',
    d({ reason: 'http 500', exit: 'error', action: 'remove' }),
    false,
  ],
  [
    'a child supervisor that gave up, not restarted',
    d({
      supervisor: 'mission/m1',
      offender: stage,
      reason: gaveUp,
      exit: 'shutdown',
      action: 'no_restart',
    }),
    false,
  ],
  [
    'a child supervisor that gave up, removed',
    d({
      supervisor: 'mission/m1',
      offender: stage,
      reason: gaveUp,
      exit: 'shutdown',
      action: 'remove',
    }),
    false,
  ],
  [
    'a non-retryable failure, not restarted',
    d({ reason: 'http 401 (non-retryable: http_401)', exit: 'non_retryable', action: 'shutdown' }),
    false,
  ],
  // Written before records had `exit`: the reason says how the child ended.
  ['an old record: a child that finished', d({ reason: 'normal', action: 'no_restart' }), true],
  [
    'an old record: {shutdown, Term}',
    d({ reason: '{shutdown, "early"}', action: 'no_restart' }),
    true,
  ],
  [
    'an old record: a temporary child that crashed',
    d({ reason: 'http 500', action: 'remove' }),
    false,
  ],
];

describe('isRoutineDecision', () => {
  it("should call a child's own end routine by its exit (normal, shutdown, {shutdown, Term}), or by its reason in an old record, but not a child supervisor's giving up", () => {
    expect(table.map(([name, e]) => [name, isRoutineDecision(e)])).toEqual(
      table.map(([name, , routine]) => [name, routine]),
    );
  });
});
