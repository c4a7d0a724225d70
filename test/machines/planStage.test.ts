import { fileURLToPath } from 'node:url';
import type { LooseEvent } from '../helpers/looseEvent.js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { recoverMission } from '../../log/missionRecovery.js';
import { ManualClock } from '../../kernel/clock.js';
import { loadConfigFile } from '../../config/loader.js';
import { missionSchema, type MissionConfig } from '../../config/mission.js';
import type { ScriptedProviderConfig } from '../../config/providers.js';
import { planResume } from '../../daemon/missionResume.js';
import { runMission } from '../../runner/runMission.js';
import { mission, runAndRead } from '../helpers/missions.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/plan.yaml', import.meta.url));
const APPROACHES = ['brute_force', 'elegant', 'resilient', 'cheap', 'fast'];
const SYNTHESIS =
  'Done: research, design, route, readiness flag, tests, release runbook. Failed: the automated deploy (no cluster credentials); replaced by a runbook for a person. Next: release by the runbook.';

const example = (): Promise<MissionConfig> => loadConfigFile(EXAMPLE, missionSchema, { env: {} });
/** The example's path for the orchestrator of mission m1. */
const ORCH = 'mission/m1/stage/deliver/plan/planner';

const phases = (events: LooseEvent[]) =>
  events
    .filter((e) => e.type === 'genius.phase')
    .map((e) => (e.label === undefined ? e.phase : `${e.phase}/${e.label}`));
const finishedCount = (events: LooseEvent[]) => {
  const n: Record<string, number> = {};
  for (const e of events)
    if (e.type === 'task.finished') n[e.task as string] = (n[e.task as string] ?? 0) + 1;
  return n;
};
const compiledTasks = (events: LooseEvent[]) =>
  events
    .filter((e) => e.type === 'plan.compiled')
    .map((e) => (e.tasks as { id: string }[]).map((t) => t.id));

const json = (v: unknown) => JSON.stringify(v);
/** A planner that plans one task, `work` (capability work), through the GeniusLoop with one approach. */
const oneTaskPlanner = {
  kind: 'scripted' as const,
  responses: [
    json({ problem: 'p', constraints: [], assumptions: [], minimalSolution: 'm' }),
    json({ approach: 'only', summary: 's', steps: ['one'], risks: [] }),
    json({ approach: 'only', weaknesses: [], score: 7, fatal: false }),
    json({
      confidence: 0.9,
      steps: [{ id: 'work', title: 'Work', prompt: 'Do the work.', capabilities: ['work'] }],
    }),
    json({ fatalFlaws: [] }),
  ],
  onExhausted: 'error' as const,
};

// A manual clock that nobody moves: the monitor never ticks, so the run is the same every time.
const still = () => ({ clock: new ManualClock(0) });

describe('a plan stage (planStageChildren) in a mission', () => {
  it("should plan, run the tasks, replan around the failed deploy and end with the editor's synthesis", async () => {
    const { output, events } = await runAndRead(await example(), still());
    expect(output.status).toBe('succeeded');
    expect(output.result).toBe(SYNTHESIS);
    expect(output.stages).toEqual([
      {
        name: 'deliver',
        output: SYNTHESIS,
        answers: [expect.objectContaining({ agent: 'planner', text: SYNTHESIS })],
      },
    ]);

    // Every GeniusLoop phase left its event, one per approach where it runs per approach.
    expect(phases(events)).toEqual([
      'deconstruct',
      ...APPROACHES.map((a) => `simulate/${a}`),
      ...APPROACHES.map((a) => `stressTest/${a}`),
      'synthesize',
      'premortem',
      'revise/replan',
      'premortem',
    ]);
    expect(
      events.filter((e) => e.type === 'genius.phase').every((e) => e.path === `${ORCH}/genius`),
    ).toBe(true);

    expect(compiledTasks(events)).toEqual([
      ['research', 'design', 'backend', 'flag', 'tests', 'deploy'],
      ['runbook'],
    ]);
    expect(events.find((e) => e.type === 'plan.compiled')).toMatchObject({
      path: ORCH,
      tasks: [
        { id: 'research', agent: 'researcher', dependsOn: [] },
        { id: 'design', agent: 'architect', dependsOn: ['research'] },
        { id: 'backend', agent: 'coder', dependsOn: ['design'] },
        { id: 'flag', agent: 'coder', dependsOn: ['design'] },
        { id: 'tests', agent: 'coder', dependsOn: ['backend', 'flag'] },
        { id: 'deploy', agent: 'operator', dependsOn: ['tests'] },
      ],
      levels: [['research'], ['design'], ['backend', 'flag'], ['tests'], ['deploy']],
    });
    const failed = events.filter((e) => e.type === 'task.failed');
    expect(failed.map((e) => e.task)).toEqual(['deploy']);
    expect(failed[0]!.error).toContain('no credentials for the production cluster');
    expect(events.filter((e) => e.type === 'plan.revised')).toEqual([
      expect.objectContaining({ path: ORCH, replan: 1, failed: ['deploy'] }),
    ]);
    // The revision comes after the failure and before the second plan.
    const at = (type: string, n = 0) => events.indexOf(events.filter((e) => e.type === type)[n]!);
    expect(at('task.failed')).toBeLessThan(at('plan.revised'));
    expect(at('plan.revised')).toBeLessThan(at('plan.compiled', 1));

    expect(finishedCount(events)).toEqual({
      research: 1,
      design: 1,
      backend: 1,
      flag: 1,
      tests: 1,
      runbook: 1,
    });
    expect(events.filter((e) => e.type === 'task.started').map((e) => e.task)).toEqual([
      'research',
      'design',
      'backend',
      'flag',
      'tests',
      'deploy',
      'runbook',
    ]);

    // Each task's result went on the blackboard, by the agent that ran it; the failure too.
    const board = events.filter((e) => e.type === 'blackboard.entry');
    expect(board.every((e) => e.path === `${ORCH}/blackboard`)).toBe(true);
    expect(board.map((e) => [e.entrySeq, e.kind, e.agent, String(e.data).split(':')[0]])).toEqual([
      [1, 'result', 'researcher', 'research'],
      [2, 'result', 'architect', 'design'],
      [3, 'result', 'coder', 'backend'],
      [4, 'result', 'coder', 'flag'],
      [5, 'result', 'coder', 'tests'],
      [6, 'failure', 'operator', 'deploy'],
      // Before the replan, the planner's answer to the board's synthesis query joins the board.
      [7, 'synthesis', 'planner', 'State'],
      [8, 'result', 'writer', 'runbook'],
    ]);
    expect(board[0]!.data).toBe(
      'research: The service boots the db pool, then the queue consumer; ready once both are up.',
    );
    // The synthesis is a text call of the editor; the mission ends with it.
    expect(events.filter((e) => e.type === 'genius.text')).toEqual([
      expect.objectContaining({ path: `${ORCH}/genius`, phase: 'boardSynthesis' }),
      expect.objectContaining({
        path: `${ORCH}/synthesis`,
        phase: 'finalSynthesis',
        chars: SYNTHESIS.length,
      }),
    ]);
    expect(events.filter((e) => e.type === 'monitor.abort' || e.type === 'plan.rejected')).toEqual(
      [],
    );
  });

  it('should fail the mission with reason aborted, without a restart, when the reviewer aborts', async () => {
    const clock = new ManualClock(0);
    const config = mission({
      providers: {
        thinker: oneTaskPlanner,
        // Answers only after a minute on the clock: still working when the reviewer is asked.
        slow: { kind: 'scripted', responses: [{ text: 'worked', delayMs: 60_000 }] },
        reviewing: {
          kind: 'scripted',
          responses: [json({ decision: 'abort', reason: 'the goal is unsafe' })],
        },
      },
      agents: [
        { id: 'planner', provider: 'thinker' },
        { id: 'worker', provider: 'slow', capabilities: ['work'] },
        { id: 'reviewer', provider: 'reviewing' },
      ],
      stages: [
        {
          name: 'deliver',
          plan: {
            goal: 'do it',
            planner: 'planner',
            approaches: ['only'],
            monitor: { reviewer: 'reviewer', intervalMs: 50 },
          },
        },
      ],
    });
    const { output, events } = await runAndRead(config, {
      clock,
      // Once the task runs, the monitor's first tick comes.
      onEvent: (e) => e.type === 'task.started' && setImmediate(() => clock.advance(50)),
    });
    expect(output.status).toBe('failed');
    expect(output.error).toEqual({
      reason: 'aborted',
      message: 'aborted by the reviewer: the goal is unsafe',
    });
    expect(events.filter((e) => e.type === 'monitor.abort')).toEqual([
      expect.objectContaining({
        path: 'mission/m1/stage/deliver/plan/planner',
        reason: 'aborted',
        message: 'the goal is unsafe',
        by: 'reviewer',
      }),
    ]);
    // Planned once: neither the stage supervisor nor the mission ran it again.
    expect(phases(events).filter((p) => p === 'deconstruct')).toHaveLength(1);
    // The stage supervisor and the mission's pass the abort up as it is: no restart, at either level.
    expect(
      events
        .filter((e) => e.type === 'supervisor.decision')
        .map((e) => [e.supervisor, e.errorContext, e.action, e.reason]),
    ).toEqual([
      [
        'mission/m1/stage/deliver',
        'child_terminated',
        'shutdown',
        'aborted by the reviewer: the goal is unsafe',
      ],
      ['mission/m1', 'child_terminated', 'shutdown', 'aborted by the reviewer: the goal is unsafe'],
    ]);
    expect(events.filter((e) => e.type === 'task.finished')).toEqual([]);
    expect(events.at(-1)).toMatchObject({
      type: 'mission.finished',
      status: 'failed',
      error: { reason: 'aborted' },
    });
  });

  it("should fail the mission at once with the provider's message when a task's provider gives a non-retryable error: no replan, no restart", async () => {
    const config = mission({
      providers: {
        thinker: oneTaskPlanner,
        denied: {
          kind: 'scripted',
          responses: [{ error: 'bad key', errorKind: 'server', status: 401 }],
        },
      },
      agents: [
        { id: 'planner', provider: 'thinker' },
        { id: 'worker', provider: 'denied', capabilities: ['work'] },
      ],
      stages: [
        {
          name: 'deliver',
          plan: { goal: 'do it', planner: 'planner', approaches: ['only'], maxReplans: 2 },
        },
      ],
    });
    const { output, events } = await runAndRead(config, still());
    expect(output.status).toBe('failed');
    expect(output.error).toEqual({
      reason: 'non_retryable',
      message: "provider 'denied': http 401: bad key (non-retryable: http_401)",
    });
    expect(events.filter((e) => e.type === 'agent.call' && e.agent === 'worker')).toHaveLength(1);
    expect(phases(events).filter((p) => p === 'deconstruct')).toHaveLength(1);
    expect(
      events.filter((e) => e.type === 'supervisor.decision' && e.action === 'restart'),
    ).toEqual([]);
  });

  it('should resume after a suspension without planning again or running finished tasks again', async () => {
    const straight = await runAndRead(await example(), still());

    const suspend = new AbortController();
    const first = await runAndRead(await example(), {
      ...still(),
      suspend: suspend.signal,
      onEvent: (e) =>
        e.type === 'task.finished' && e.task === 'design' && queueMicrotask(() => suspend.abort()),
    });
    expect(first.output.status).toBe('suspended');
    expect(finishedCount(first.events)).toEqual({ research: 1, design: 1 });

    const file = EventLog.pathFor(first.stateDir, 'm1');
    const recovered = recoverMission(file, 'm1');
    expect(recovered.plans.get(ORCH)).toMatchObject({
      finished: { research: expect.any(String), design: expect.any(String) },
      replans: 0,
      plan: { steps: expect.any(Array) },
    });
    const config = missionSchema.parse(recovered.submitted!.config);
    // A scripted provider starts its script over in a new run: the planner is given the part a
    // resumed run still asks for (the board synthesis, the replan and its premortem), as a real
    // model would be asked.
    const thinker = config.providers.thinker as ScriptedProviderConfig;
    config.providers.thinker = { ...thinker, responses: thinker.responses.slice(-3) };
    const { output } = await runMission(config, {
      stateDir: first.stateDir,
      logger: pino({ level: 'silent' }),
      missionId: 'm1',
      input: recovered.submitted!.input,
      resume: planResume(recovered, config),
      keySalt: recovered.submitted!.keySalt,
      usedBefore: recovered.usage,
      ...still(),
    });
    const events = EventLog.read(file);
    expect(output.status).toBe('succeeded');
    expect(output.result).toBe(straight.output.result);
    expect(output.stages).toEqual(straight.output.stages);
    // The board came back from the log: its entries go on numbering where they were.
    const entrySeqs = events.filter((e) => e.type === 'blackboard.entry').map((e) => e.entrySeq);
    expect(entrySeqs).toEqual(entrySeqs.map((_, i) => i + 1));

    const resumedAt = events.findIndex((e) => e.type === 'mission.resumed');
    expect(resumedAt).toBeGreaterThan(0);
    const after = events.slice(resumedAt);
    // No planning after the resume: only the replan around the deploy.
    expect(phases(after)).toEqual(['revise/replan', 'premortem']);
    expect(compiledTasks(after)).toEqual([['backend', 'flag', 'tests', 'deploy'], ['runbook']]);
    expect(after.filter((e) => e.type === 'task.started').map((e) => e.task)).toEqual([
      'backend',
      'flag',
      'tests',
      'deploy',
      'runbook',
    ]);
    // Over the whole log, every task that finished did so once.
    expect(finishedCount(events)).toEqual({
      research: 1,
      design: 1,
      backend: 1,
      flag: 1,
      tests: 1,
      runbook: 1,
    });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });

  it('should restart a crashed orchestrator from where it was: no planning again, no finished task again', async () => {
    const config = mission({
      providers: {
        thinker: {
          kind: 'scripted',
          responses: [
            json({ problem: 'p', constraints: [], assumptions: [], minimalSolution: 'm' }),
            json({ approach: 'only', summary: 's', steps: ['one'], risks: [] }),
            json({ approach: 'only', weaknesses: [], score: 7, fatal: false }),
            json({
              confidence: 0.9,
              steps: [
                { id: 'a', title: 'A', prompt: 'Do a.' },
                { id: 'b', title: 'B', prompt: 'Do b.', dependsOn: ['a'] },
              ],
            }),
            json({ fatalFlaws: [] }),
          ],
          onExhausted: 'error',
        },
        hands: { kind: 'scripted', responses: ['a done', 'b done'], onExhausted: 'error' },
        // The synthesizer crashes once: the orchestrator fails, and its stage supervisor restarts it.
        editorial: {
          kind: 'scripted',
          responses: [{ error: 'editor crashed', errorKind: 'crash' }, 'all done'],
          onExhausted: 'error',
        },
      },
      agents: [
        { id: 'planner', provider: 'thinker' },
        { id: 'worker', provider: 'hands' },
        { id: 'editor', provider: 'editorial' },
      ],
      stages: [
        {
          name: 'deliver',
          plan: {
            goal: 'do it',
            planner: 'planner',
            synthesizer: 'editor',
            approaches: ['only'],
            resamples: 0,
          },
          supervision: { intensity: 1 },
        },
      ],
    });
    const { output, events } = await runAndRead(config, still());
    expect(output).toMatchObject({ status: 'succeeded', result: 'all done' });
    expect(
      events
        .filter((e) => e.type === 'supervisor.decision' && e.action === 'restart')
        .map((e) => (e.offender as { id: string }).id),
    ).toEqual(['plan/planner']);
    expect(phases(events).filter((p) => p === 'deconstruct')).toHaveLength(1);
    expect(finishedCount(events)).toEqual({ a: 1, b: 1 });
    // The restarted orchestrator compiled the plan it had, with nothing left to run.
    expect(compiledTasks(events)).toEqual([['a', 'b'], []]);
    // Tasks naming no capability went to the worker, not to the planner listed first.
    expect(events.filter((e) => e.type === 'task.started').map((e) => e.agent)).toEqual([
      'worker',
      'worker',
    ]);
  });
});
