import { describe, expect, it } from 'vitest';
import type { LooseEvent } from '../../helpers/looseEvent.js';
import { eventSentence, genericSentence } from '../../../cli/render/eventSentence.js';

const ev = (type: string, fields: Record<string, unknown> = {}): LooseEvent =>
  ({
    seq: 7,
    ts: '2026-01-01T10:00:00.000Z',
    mission: 'm1',
    type: type as LooseEvent['type'],
    ...fields,
  }) as LooseEvent;
const offender = (path: string) => ({
  id: path.split('/').slice(-2).join('/'),
  path: `mission/m1/${path}`,
  restart: 'transient',
  type: 'worker',
  restarts: 1,
});
const decision = (fields: Record<string, unknown>) =>
  ev('supervisor.decision', {
    supervisor: 'mission/m1/stage/research',
    offender: offender('stage/research/agent/a'),
    ...fields,
  });

/** Every event type the log holds today, with the sentence it reads as. */
const table: [string, LooseEvent, string][] = [
  [
    'mission.submitted',
    ev('mission.submitted', { name: 'hello', config: { stages: [{}, {}] }, input: 'x' }),
    'mission m1 submitted: hello, 2 stages, with an input',
  ],
  [
    'mission.started',
    ev('mission.started', { name: 'hello', stages: ['draft', 'polish'] }),
    'mission m1 started: stages draft, polish',
  ],
  [
    'mission.resumed',
    ev('mission.resumed', { stage: 1, attempt: 2, done: ['draft'] }),
    'mission m1 resumed at stage 2, attempt 2 (done: draft)',
  ],
  [
    'mission.suspended',
    ev('mission.suspended', { usage: {} }),
    'mission m1 suspended (the daemon stopped); it resumes where it was',
  ],
  [
    'mission.start_failed',
    ev('mission.start_failed', {
      error: 'NoWorkersError',
      message: "no worker serves provider 'p'",
    }),
    "✗ mission m1 could not start: no worker serves provider 'p'",
  ],
  [
    'mission.finished ok',
    ev('mission.finished', { status: 'succeeded', result: 'r' }),
    'mission succeeded',
  ],
  [
    'mission.finished, reason in the message',
    ev('mission.finished', {
      status: 'failed',
      error: {
        reason: 'budget_exceeded',
        message: "budget_exceeded: samples at 'mission/m1' (used 1 of 1)",
      },
    }),
    "mission failed: budget_exceeded: samples at 'mission/m1' (used 1 of 1)",
  ],
  [
    'mission.finished, reason apart',
    ev('mission.finished', {
      status: 'failed',
      error: { reason: 'stopped', message: 'interrupted' },
    }),
    'mission failed: stopped: interrupted',
  ],
  [
    'stage.entered',
    ev('stage.entered', { stage: 'polish', index: 1, attempt: 1, agents: ['editor', 'critic'] }),
    '▶ stage polish: editor, critic',
  ],
  [
    'stage.entered, MAKER, attempt 2',
    ev('stage.entered', {
      stage: 'solve',
      index: 0,
      attempt: 2,
      agents: ['solver'],
      maker: { kind: 'hanoi', disks: 3 },
    }),
    '▶ stage solve: solver (MAKER hanoi), attempt 2',
  ],
  [
    'stage.finished',
    ev('stage.finished', { stage: 'draft', index: 0, attempt: 1, answers: 1, output: 'o' }),
    '✓ stage draft: 1 answer',
  ],
  [
    'agent.call ok',
    ev('agent.call', {
      agent: 'a',
      provider: 'p',
      attempt: 0,
      ok: true,
      model: 'gpt',
      usage: { totalTokens: 1234 },
      latencyMs: 1500,
    }),
    '✓ a via p (gpt): 1,234 tokens, 1.5 s',
  ],
  // An agent.call's attempt is its agent's restart count: 0 for the first call, said from 1.
  [
    'agent.call ok, after a restart',
    ev('agent.call', {
      agent: 'a',
      provider: 'p',
      attempt: 1,
      ok: true,
      model: 'gpt',
      usage: { totalTokens: 64 },
      latencyMs: 1,
    }),
    '✓ a via p (gpt): 64 tokens, 1 ms, attempt 2',
  ],
  [
    'agent.call failed, after two restarts',
    ev('agent.call', {
      agent: 'a',
      provider: 'p',
      attempt: 2,
      ok: false,
      error: "provider 'p': http 500",
    }),
    "✗ a via p: provider 'p': http 500 (attempt 3)",
  ],
  [
    'decision restart',
    decision({
      errorContext: 'child_terminated',
      reason: 'http 500',
      action: 'restart',
      delayMs: 200,
    }),
    '↻ supervisor stage/research restarts stage/research/agent/a after 200 ms (http 500)',
  ],
  [
    'decision restart, start_error',
    decision({ errorContext: 'start_error', reason: 'boom', action: 'restart' }),
    '↻ supervisor stage/research restarts stage/research/agent/a (start_error: boom)',
  ],
  [
    'decision last crash',
    decision({ errorContext: 'child_terminated', reason: 'http 500', action: 'shutdown' }),
    '✗ supervisor stage/research: stage/research/agent/a exited (http 500); not restarted, the supervisor stops',
  ],
  [
    'decision, an exit no restart fixes',
    decision({
      errorContext: 'child_terminated',
      reason: "provider 'p': http 401: bad key",
      exit: 'non_retryable',
      action: 'shutdown',
    }),
    "✗ supervisor stage/research: stage/research/agent/a exited non-retryable (provider 'p': http 401: bad key); not restarted, the supervisor stops",
  ],
  [
    'decision, a spent budget',
    decision({
      errorContext: 'child_terminated',
      reason: "budget_exceeded: samples at 'mission/m1' (used 1 of 1)",
      exit: 'budget_exceeded',
      action: 'shutdown',
    }),
    "✗ supervisor stage/research: stage/research/agent/a exited over budget (budget_exceeded: samples at 'mission/m1' (used 1 of 1)); not restarted, the supervisor stops",
  ],
  [
    'decision, a child supervisor that gave up, transient',
    ev('supervisor.decision', {
      supervisor: 'mission/m1',
      errorContext: 'child_terminated',
      reason:
        "supervisor 'mission/m1/stage/research' shut down: reached_max_restart_intensity (child 'agent/a': provider 'p': http 500: down)",
      offender: {
        id: 'stage/research',
        path: 'mission/m1/stage/research',
        restart: 'transient',
        type: 'supervisor',
        restarts: 0,
      },
      exit: 'shutdown',
      action: 'no_restart',
    }),
    '· supervisor mission/m1: stage/research gave up (shutdown), not restarted (transient)',
  ],
  [
    'decision, a child supervisor that gave up, temporary',
    ev('supervisor.decision', {
      supervisor: 'mission/m1/stage/deliver/plan/planner/tasks',
      errorContext: 'child_terminated',
      reason:
        "supervisor 'mission/m1/stage/deliver/plan/planner/tasks/task/deploy' shut down: reached_max_restart_intensity (child 'agent/operator': crashed)",
      offender: {
        id: 'task/deploy',
        path: 'mission/m1/stage/deliver/plan/planner/tasks/task/deploy',
        restart: 'temporary',
        type: 'supervisor',
        restarts: 0,
      },
      exit: 'shutdown',
      action: 'remove',
    }),
    '− supervisor stage/deliver/plan/planner/tasks: stage/deliver/plan/planner/tasks/task/deploy gave up (shutdown), removed (temporary)',
  ],
  [
    'decision, a report only',
    decision({ errorContext: 'child_terminated', reason: 'crash', exit: 'error', action: 'none' }),
    '· supervisor stage/research reports stage/research/agent/a (crash)',
  ],
  [
    'decision gives up',
    decision({
      errorContext: 'shutdown',
      reason: 'reached_max_restart_intensity',
      action: 'shutdown',
    }),
    '■ supervisor stage/research gives up: reached_max_restart_intensity (last: stage/research/agent/a)',
  ],
  [
    'decision auto_shutdown',
    decision({ errorContext: 'auto_shutdown', reason: 'all_significant', action: 'shutdown' }),
    '· supervisor stage/research ends: its significant children are done (all_significant)',
  ],
  [
    'decision kill, reported as a shutdown_error',
    decision({ errorContext: 'shutdown_error', reason: 'killed', action: 'kill' }),
    '☠ supervisor stage/research killed stage/research/agent/a: it did not stop within its shutdown timeout (shutdown_error: killed)',
  ],
  [
    'decision kill',
    decision({ errorContext: 'shutdown', reason: 'killed', action: 'kill' }),
    '☠ supervisor stage/research killed stage/research/agent/a: it did not stop within its shutdown timeout (shutdown: killed)',
  ],
  [
    'decision shutdown_error',
    decision({ errorContext: 'shutdown_error', reason: 'crash', action: 'no_restart' }),
    '⚠ supervisor stage/research: stage/research/agent/a exited abnormally while being stopped (crash)',
  ],
  [
    'decision remove',
    decision({ errorContext: 'child_terminated', reason: 'normal', action: 'remove' }),
    '− supervisor stage/research removed stage/research/agent/a (normal)',
  ],
  [
    'decision no_restart',
    decision({ errorContext: 'child_terminated', reason: 'shutdown', action: 'no_restart' }),
    '· supervisor stage/research: stage/research/agent/a ended (shutdown), not restarted',
  ],
  [
    'decision reject',
    decision({ errorContext: 'start_error', reason: 'already_present', action: 'reject' }),
    '✗ supervisor stage/research refused to start stage/research/agent/a (start_error: already_present)',
  ],
  [
    'decision, an action of a newer version',
    decision({ errorContext: 'child_terminated', reason: 'x', action: 'hibernate' }),
    '· supervisor stage/research: hibernate stage/research/agent/a (x)',
  ],
  [
    'approval.requested',
    ev('approval.requested', {
      id: 'm1/plan/1',
      stage: 'plan',
      timeoutAt: '2026-01-01T11:00:00.000Z',
      onTimeout: 'reject',
    }),
    '⏸ approval m1/plan/1 waits for a person; at 2026-01-01T11:00:00.000Z it is rejected',
  ],
  [
    'approval.answered approve',
    ev('approval.answered', { id: 'm1/plan/1', decision: 'approve', by: 'api' }),
    '✓ approval m1/plan/1 approved by api',
  ],
  [
    'approval.answered reject',
    ev('approval.answered', {
      id: 'm1/plan/1',
      decision: 'reject',
      by: 'inspector',
      feedback: 'shorter',
    }),
    '✗ approval m1/plan/1 rejected by inspector: shorter',
  ],
  [
    'approval.closed',
    ev('approval.closed', { id: 'm1/plan/1', reason: 'stopped', message: 'stopped by api' }),
    '⊘ approval m1/plan/1 closed unanswered: stopped by api',
  ],
  [
    'maker.vote decided',
    ev('maker.vote', {
      path: 'mission/m1/stage/solve/maker/s',
      k: 3,
      step: 1234,
      outcome: 'decided',
      samples: 4,
      margin: 3,
      answer: '[1,0,2]',
    }),
    '· MAKER step 1,234 decided: [1,0,2] by 4 samples, margin 3',
  ],
  [
    'maker.vote exhausted',
    ev('maker.vote', {
      path: 'mission/m1/stage/solve/maker/s',
      k: 3,
      step: 9,
      outcome: 'exhausted',
      samples: 30,
      margin: 1,
    }),
    '✗ MAKER vote exhausted at step 9 after 30 samples (no answer led by k=3)',
  ],
  [
    'maker.snapshot',
    ev('maker.snapshot', { path: 'p', step: 10000, samples: 31000, flagged: 12 }),
    '▣ MAKER snapshot at step 10,000: 31,000 samples, 12 red-flagged so far',
  ],
  [
    'worker.joined',
    ev('worker.joined', { worker: 'w1', capabilities: ['model', 'sim'] }),
    '+ worker w1 joined (model, sim)',
  ],
  ['worker.left', ev('worker.left', { worker: 'w1' }), '− worker w1 left'],
  [
    'worker.lost',
    ev('worker.lost', {
      worker: 'w1',
      capabilities: ['model'],
      reason: 'missed heartbeats',
      heartbeatAt: '2026-01-01T09:59:54.000Z',
      silentForMs: 6000,
      calls: 2,
    }),
    '✗ worker w1 lost (missed heartbeats, silent for 6.0 s); 2 calls it held will be delivered again',
  ],
  [
    'worker.mismatch',
    ev('worker.mismatch', { worker: 'w1', provider: 'p', message: 'model differs' }),
    "⚠ worker w1 runs another definition of provider 'p': model differs; it refuses this mission's calls",
  ],
  [
    'call.redelivery',
    ev('call.redelivery', {
      provider: 'p',
      caller: 'mission/m1/stage/a/agent/b',
      worker: 'w1',
      attempt: 2,
      maxDeliveries: 5,
      redeliverBy: '2026-01-01T10:00:30.000Z',
      ackWaitMs: 30000,
      deadLetter: false,
    }),
    `↻ the call of stage/a/agent/b (provider 'p'), held by lost worker w1, is delivered again by ${localTime('2026-01-01T10:00:30.000Z')} (in 30.0 s) as attempt 2 of 5`,
  ],
  [
    'call.redelivery, last delivery',
    ev('call.redelivery', {
      provider: 'p',
      worker: 'w1',
      attempt: 6,
      maxDeliveries: 5,
      redeliverBy: '2026-01-01T10:00:30.000Z',
      ackWaitMs: 30000,
      deadLetter: true,
    }),
    "✗ a call to provider 'p', held by lost worker w1, was on its last delivery (5): it goes to the dead letters and fails",
  ],
  [
    'call.redelivered',
    ev('call.redelivered', {
      provider: 'p',
      caller: 'mission/m1/stage/a/agent/b',
      worker: 'w2',
      attempt: 2,
      maxDeliveries: 5,
      from: 'w1',
    }),
    "↻ the call of stage/a/agent/b (provider 'p') delivered again to worker w2 (attempt 2 of 5; w1 was lost)",
  ],
  [
    'genius.phase',
    ev('genius.phase', {
      phase: 'simulate',
      label: 'cheap',
      prompt: 'simulate@v1',
      samples: 2,
      flagged: 1,
    }),
    '◆ simulate (cheap) by simulate@v1, 1 red-flagged',
  ],
  [
    'genius.phase voted',
    ev('genius.phase', {
      phase: 'synthesize',
      prompt: 'synthesize@v1',
      samples: 5,
      flagged: 0,
      vote: { k: 2, samples: 5 },
    }),
    '◆ synthesize by synthesize@v1, voted (k=2, 5 samples)',
  ],
  [
    'genius.text',
    ev('genius.text', {
      phase: 'finalSynthesis',
      prompt: 'finalSynthesis@v1',
      samples: 1,
      flagged: 0,
      chars: 191,
    }),
    '◆ finalSynthesis by finalSynthesis@v1: 191 chars',
  ],
  [
    'genius.phase.failed',
    ev('genius.phase.failed', {
      phase: 'premortem',
      prompt: 'premortem@v1',
      samples: 3,
      reason: 'not JSON',
    }),
    '✗ premortem by premortem@v1 failed after 3 samples: not JSON',
  ],
  [
    'plan.compiled',
    ev('plan.compiled', { tasks: [{ id: 'a' }, { id: 'b' }], levels: [['a'], ['b']] }),
    '▤ plan: 2 tasks (a, b) in 2 levels',
  ],
  [
    'plan.rejected',
    ev('plan.rejected', { error: 'plan has a cycle: a → b → a' }),
    '✗ plan rejected: plan has a cycle: a → b → a',
  ],
  [
    'plan.revised',
    ev('plan.revised', { replan: 1, failed: ['deploy'] }),
    '↺ replan 1: around deploy',
  ],
  [
    'plan.revised, no failure',
    ev('plan.revised', { replan: 2, failed: [] }),
    "↺ replan 2: around the reviewer's concerns",
  ],
  [
    'task.started',
    ev('task.started', { task: 'research', agent: 'researcher' }),
    '▷ task research started (researcher)',
  ],
  [
    'task.finished',
    ev('task.finished', { task: 'research', output: 'o' }),
    '✓ task research finished',
  ],
  [
    'task.failed',
    ev('task.failed', { task: 'deploy', error: 'no credentials' }),
    '✗ task deploy failed: no credentials',
  ],
  [
    'task.blocked',
    ev('task.blocked', { task: 'tests', dependency: 'deploy' }),
    '⊘ task tests blocked (deploy did not finish)',
  ],
  [
    'monitor.abort',
    ev('monitor.abort', { reason: 'sla_exceeded', message: 'over 60 s', by: 'limit' }),
    '■ monitor aborts (limit): over 60 s',
  ],
  [
    'monitor.revise',
    ev('monitor.revise', { reason: 'revise', message: 'too slow', by: 'reviewer' }),
    '↺ reviewer asks for a revision: too slow',
  ],
  [
    'monitor.review_failed',
    ev('monitor.review_failed', { error: 'http 500' }),
    "⚠ the monitor's reviewer failed: http 500; the run goes on",
  ],
  [
    'blackboard.entry',
    ev('blackboard.entry', { agent: 'coder', kind: 'result', data: 'abcd', entrySeq: 1 }),
    '▦ board: coder added a result (4 chars)',
  ],
  [
    'blackboard.compressed',
    ev('blackboard.compressed', { replaced: [1, 2, 3], summary: 's', kind: 'summary' }),
    '▦ board: 3 entries compressed into a summary',
  ],
  [
    'blackboard.compressed, no summarizer',
    ev('blackboard.compressed', { replaced: [1], summary: 's', kind: 'note' }),
    '▦ board: 1 entry dropped (no summarizer)',
  ],
  [
    'blackboard.compaction_failed',
    ev('blackboard.compaction_failed', { error: 'http 500' }),
    '⚠ board: compaction failed: http 500; tried again later',
  ],
  [
    'blackboard.synthesis_failed',
    ev('blackboard.synthesis_failed', { error: 'http 500' }),
    '⚠ board: synthesis for the replan failed: http 500',
  ],
];

function localTime(iso: string): string {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.000`;
}

describe('eventSentence', () => {
  it.each(table)('should say %s in words', (_name, e, sentence) => {
    expect(eventSentence(e)).toBe(sentence);
  });

  it("should not say a start failure again at the mission's end once its start_failed line said it", () => {
    const finished = ev('mission.finished', {
      status: 'failed',
      error: {
        reason: 'start_failed',
        message: "cannot connect to nats 'nats://127.0.0.1:1': connection refused",
      },
    });
    expect(eventSentence(finished, { startFailureSaid: true })).toBe(
      'mission failed: start_failed',
    );
    expect(eventSentence(finished)).toBe(
      "mission failed: start_failed: cannot connect to nats 'nats://127.0.0.1:1': connection refused",
    );
  });

  it('should number a stage once the stage count is known', () => {
    expect(
      eventSentence(ev('stage.entered', { stage: 'polish', index: 1, agents: ['editor'] }), {
        stages: 3,
      }),
    ).toBe('▶ stage 2/3 polish: editor');
  });

  it('should give a type it does not know a readable line: its name in words, then each field, paths short, …Ms as time, long values capped', () => {
    const e = ev('gate.wobbled', {
      path: 'mission/m1/stage/a',
      waitedMs: 2500,
      ok: true,
      detail: { why: 'x'.repeat(100) },
      error: { reason: 'boom', message: 'boom: it broke' },
      skip: undefined,
    });
    // 80 characters at most a value: `{"why":"` and 71 x, then the ellipsis.
    expect(eventSentence(e)).toBe(
      `· gate wobbled: path stage/a, waitedMs 2.5 s, ok true, detail {"why":"${'x'.repeat(71)}…, error boom: it broke`,
    );
    expect(genericSentence(ev('ping'))).toBe('· ping');
  });
});
