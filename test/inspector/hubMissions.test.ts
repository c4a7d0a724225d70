/**
 * What the hub knows of a mission from its log, watched or not: its state in words, its trace
 * id, budgets used and their limits, its MAKER runners' progress, the list the page shows, and
 * a tree that tells the truth after the mission ends (nothing still running, a stopped mission
 * shown stopped, the mission's supervisor folded into its node).
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/clock.js';
import { InspectorHub } from '../../inspector/hub.js';
import type { InspectorNode } from '../../inspector/types.js';
import { mission, runAndRead } from '../helpers/missions.js';

const byId = (nodes: InspectorNode[]) => Object.fromEntries(nodes.map((n) => [n.id, n]));

/** Lifecycle facts for a mission with one stage of `workers` agents, as the supervisors give them. */
function tree(hub: InspectorHub, id: string, workers: number): void {
  let sid = 0;
  const fact = (path: string, parent: string, kind: 'supervisor' | 'worker') =>
    hub.childStarted({
      type: 'child.started',
      path,
      parent,
      sessionId: `${id}:${++sid}`,
      kind,
      restarts: 0,
    });
  fact(`mission/${id}/supervisor`, `mission/${id}`, 'supervisor');
  fact(`mission/${id}/stage/s`, `mission/${id}/supervisor`, 'supervisor');
  for (let i = 0; i < workers; i++)
    fact(`mission/${id}/stage/s/agent/a${i}`, `mission/${id}/stage/s`, 'worker');
}

function started(hub: InspectorHub, id: string, at: number, name = 'demo'): void {
  hub.observe({
    type: 'mission.submitted',
    mission: id,
    at,
    name,
    config: {
      budget: { tokens: 1000, samples: 10 },
      stages: [{ name: 's', budget: { costUsd: 2 } }],
    },
  });
  hub.observe({
    type: 'mission.started',
    mission: id,
    at,
    name,
    stages: ['s'],
    traceId: 'ab'.repeat(16),
  });
  hub.observe({
    type: 'stage.entered',
    mission: id,
    at,
    stage: 's',
    index: 0,
    attempt: 1,
    agents: ['a0'],
  });
}

describe('InspectorHub: missions from their logs', () => {
  it('should say each mission as what it is: running, waiting at a gate, stopped (not failed), with its trace id and budgets', () => {
    const hub = new InspectorHub({ clock: new ManualClock(1_000) });
    tree(hub, 'm1', 2);
    started(hub, 'm1', 1_000);
    hub.observe({
      type: 'agent.call',
      mission: 'm1',
      path: 'mission/m1/stage/s/agent/a0',
      ok: true,
      usage: { totalTokens: 40 },
      costUsd: 0.5,
    });
    hub.flush();
    let nodes = byId(hub.snapshot().nodes);
    expect(nodes['mission/m1']).toMatchObject({
      outcome: 'running',
      traceId: 'ab'.repeat(16),
      budget: {
        used: { tokens: 40, costUsd: 0.5, samples: 1 },
        limit: { tokens: 1000, samples: 10 },
      },
    });
    expect(nodes['mission/m1/stage/s']).toMatchObject({
      parent: 'mission/m1',
      budget: { used: { tokens: 40, costUsd: 0.5, samples: 1 }, limit: { costUsd: 2 } },
    });
    // The mission's supervisor is the mission's own node, not a row beside its stages.
    expect(nodes['mission/m1/supervisor']).toBeUndefined();
    expect(nodes['mission/m1']!.supervisor).toMatchObject({ status: 'active', restarts: 0 });

    hub.observe({
      type: 'approval.requested',
      mission: 'm1',
      id: 'm1/s/1',
      stage: 's',
      question: 'ok?',
    });
    expect(hub.missionList().missions[0]).toMatchObject({ id: 'm1', state: 'awaiting_approval' });
    hub.observe({
      type: 'supervisor.decision',
      mission: 'm1',
      supervisor: 'mission/m1/supervisor',
      action: 'shutdown',
      reason: 'shutdown',
    });
    hub.observe({
      type: 'mission.finished',
      mission: 'm1',
      status: 'failed',
      error: { reason: 'stopped', message: 'stopped by request' },
      usage: { tokens: 55, costUsd: 0.75, samples: 2, wallTimeMs: 10 },
    });
    hub.flush();
    nodes = byId(hub.snapshot().nodes);
    expect(nodes['mission/m1']).toMatchObject({
      status: 'stopped',
      outcome: 'stopped',
      budget: { used: { tokens: 55, costUsd: 0.75, samples: 2 } },
    });
    expect(nodes['mission/m1/stage/s']!.budget!.used).toEqual({
      tokens: 55,
      costUsd: 0.75,
      samples: 2,
    });
    // Nothing under a mission that ended still runs.
    expect(Object.values(nodes).filter((n) => n.status === 'active')).toEqual([]);
    expect(hub.missionList().missions[0]).toMatchObject({
      state: 'stopped',
      finishedAt: expect.any(String),
    });
  });

  it('should list missions newest first, filtered by state and by text in the name or id, a page at a time', () => {
    const hub = new InspectorHub();
    for (let i = 0; i < 30; i++) {
      const id = `m${String(i).padStart(2, '0')}`;
      started(hub, id, Date.UTC(2026, 0, 1, 0, 0, i), i % 3 === 0 ? 'nightly-build' : 'review');
      if (i % 2 === 0)
        hub.observe({
          type: 'mission.finished',
          mission: id,
          status: i % 4 === 0 ? 'succeeded' : 'failed',
        });
    }
    const all = hub.missionList({ limit: 10 });
    expect(all.total).toBe(30);
    expect(all.missions.map((m) => m.id)).toEqual([
      'm29',
      'm28',
      'm27',
      'm26',
      'm25',
      'm24',
      'm23',
      'm22',
      'm21',
      'm20',
    ]);
    expect(hub.missionList({ limit: 10, offset: 25 }).missions.map((m) => m.id)).toEqual([
      'm04',
      'm03',
      'm02',
      'm01',
      'm00',
    ]);
    const succeeded = hub.missionList({ states: ['succeeded'] });
    expect(succeeded.total).toBe(8);
    expect(succeeded.missions.every((m) => m.state === 'succeeded')).toBe(true);
    const nightly = hub.missionList({ text: 'NIGHTLY', states: ['running'] });
    expect(nightly.missions.map((m) => m.id)).toEqual(['m27', 'm21', 'm15', 'm09', 'm03']);
    expect(hub.missionList({ text: 'm1' }).total).toBe(10);
    hub.forgetMission('m29');
    expect(hub.missionList().total).toBe(29);
  });

  it("should show a MAKER runner's progress: step N of M, samples per step, red-flag rate, speed and ETA", () => {
    const hub = new InspectorHub();
    const runner = 'mission/h/stage/solve/maker/solver';
    hub.observe({ type: 'mission.started', mission: 'h', name: 'hanoi', stages: ['solve'] });
    hub.observe({
      type: 'stage.entered',
      mission: 'h',
      stage: 'solve',
      index: 0,
      attempt: 1,
      agents: ['solver'],
      maker: { kind: 'hanoi', disks: 3 },
    });
    // Steps are counted from 0: the third vote decides step 2, and 3 steps are done.
    for (let step = 0; step < 3; step++)
      hub.observe({
        type: 'maker.vote',
        mission: 'h',
        path: runner,
        step,
        k: 2,
        outcome: 'decided',
        samples: 4,
        flagged: { format: 1 },
        answer: 'move',
        ts: new Date(Date.UTC(2026, 0, 1) + step * 1000).toISOString(),
      });
    const vote = hub.flush()!.votes.find((v) => v.path === runner)!;
    expect(vote.progress).toMatchObject({
      step: 3,
      steps: 7,
      samplesPerStep: 4,
      redFlagRate: 0.25,
    });
    expect(vote.progress!.stepsPerSecond).toBeCloseTo(1, 5);
    expect(vote.progress!.etaMs).toBeCloseTo(4000, -1);
    // Stopped short (a budget, a stop): no ETA for steps that will not come.
    hub.observe({
      type: 'mission.finished',
      mission: 'h',
      status: 'failed',
      error: { reason: 'budget_exceeded', message: 'samples' },
    });
    const after = hub.flush()!.votes.find((v) => v.path === runner)!;
    expect(after.progress).toEqual({ step: 3, steps: 7, samplesPerStep: 4, redFlagRate: 0.25 });
  });

  it('should give each shown event its words through the describer, redacted, and survive a describer that throws', () => {
    const hub = new InspectorHub({
      describe: (e) => {
        if (e.type === 'mission.resumed') throw new Error('no words');
        return `said: ${String(e.type)} with hunter2`;
      },
      redact: <T>(v: T): T =>
        JSON.parse(JSON.stringify(v).replaceAll('hunter2', '[redacted]')) as T,
    });
    hub.observe({ type: 'mission.started', mission: 'm', name: 'n', stages: [] });
    hub.observe({ type: 'mission.resumed', mission: 'm', stage: 0, attempt: 1, done: [] });
    const events = hub.flush()!.events;
    expect(events.map((e) => e.text)).toEqual(['said: mission.started with [redacted]', undefined]);
    expect(hub.stats.internalErrors).toBe(0);
  });

  it('should draw an unwatched mission whole after it ends: its chart and final state, each agent as its machine, no node still running', async () => {
    const hub = new InspectorHub();
    const config = mission({
      providers: {
        flaky: { kind: 'scripted', responses: [{ error: 'boom', errorKind: 'server' }, 'fine'] },
      },
      agents: [{ id: 'x', provider: 'flaky' }],
      budget: { tokens: 100_000 },
      stages: [
        { name: 's', prompt: 'p', agents: ['x'], supervision: { intensity: 2, periodMs: 10_000 } },
      ],
    });
    // No hub.watch(): no client is connected, so XState inspection is never attached.
    const { output } = await runAndRead(config, { observer: hub });
    expect(output.status).toBe('succeeded');
    const snap = hub.snapshot();
    const nodes = byId(snap.nodes);
    expect(nodes['mission/m1']).toMatchObject({
      kind: 'mission',
      definition: 'mission',
      value: 'succeeded',
      status: 'done',
      outcome: 'succeeded',
      budget: { limit: { tokens: 100_000 } },
    });
    expect(nodes['mission/m1']!.budget!.used.tokens).toBeGreaterThan(0);
    expect(nodes['mission/m1/stage/s']).toMatchObject({ parent: 'mission/m1', status: 'done' });
    expect(nodes['mission/m1/stage/s/agent/x']).toMatchObject({
      logic: 'agent',
      definition: 'agent',
      restarts: 1,
      lastError: { message: "provider 'flaky': http 500: boom" },
    });
    expect(snap.definitions.agent).toBeDefined();
    expect(snap.nodes.filter((n) => n.status === 'active')).toEqual([]);
    expect(
      snap.nodes.filter((n) => /^mission\/[^/]+:\d+$/.test(n.id) || !n.id.startsWith('mission/m1')),
    ).toEqual([]);
  });

  it("should give each attempt of a stage its own budget with the stage's limit, and a resumed mission first incarnations, not restarts", () => {
    const hub = new InspectorHub();
    tree(hub, 'm2', 1);
    started(hub, 'm2', 1_000);
    hub.observe({
      type: 'stage.finished',
      mission: 'm2',
      stage: 's',
      index: 0,
      attempt: 1,
      usage: { tokens: 8, costUsd: 0, samples: 1, wallTimeMs: 1 },
    });
    // Rejected at its gate: the stage runs again as `stage/s@2`, a new child with its own budget.
    hub.observe({
      type: 'stage.entered',
      mission: 'm2',
      stage: 's',
      index: 0,
      attempt: 2,
      agents: ['a0'],
    });
    hub.observe({
      type: 'stage.finished',
      mission: 'm2',
      stage: 's',
      index: 0,
      attempt: 2,
      usage: { tokens: 58, costUsd: 0, samples: 2, wallTimeMs: 2 },
    });
    hub.flush();
    let nodes = byId(hub.snapshot().nodes);
    expect(nodes['mission/m2/stage/s']!.budget).toEqual({
      used: { tokens: 8, costUsd: 0, samples: 1 },
      limit: { costUsd: 2 },
    });
    expect(nodes['mission/m2/stage/s@2']!.budget).toEqual({
      used: { tokens: 50, costUsd: 0, samples: 1 },
      limit: { costUsd: 2 },
    });

    hub.observe({
      type: 'mission.suspended',
      mission: 'm2',
      usage: { tokens: 58, costUsd: 0, samples: 2, wallTimeMs: 2 },
    });
    hub.flush();
    expect(byId(hub.snapshot().nodes)['mission/m2']).toMatchObject({
      status: 'stopped',
      outcome: 'suspended',
    });
    hub.observe({ type: 'mission.resumed', mission: 'm2', stage: 0, attempt: 2, done: [] });
    // The new runtime starts the same paths again, with new sessions.
    hub.childStarted({
      type: 'child.started',
      path: 'mission/m2/stage/s',
      parent: 'mission/m2/supervisor',
      sessionId: 'new:1',
      kind: 'supervisor',
      restarts: 0,
    });
    hub.flush();
    nodes = byId(hub.snapshot().nodes);
    expect(nodes['mission/m2']).toMatchObject({ status: 'active', outcome: 'running' });
    expect(nodes['mission/m2/stage/s']).toMatchObject({ status: 'active', restarts: 0 });
    expect(hub.snapshot().events.filter((e) => e.type === 'child.restarted')).toEqual([]);
  });

  it('should show a watched mission that failed as failed, though its machine ends in a final state', async () => {
    const hub = new InspectorHub();
    hub.watch();
    const config = mission({
      providers: {
        down: { kind: 'scripted', responses: [{ error: 'boom', errorKind: 'server' }] },
      },
      agents: [{ id: 'x', provider: 'down' }],
      stages: [
        { name: 's', prompt: 'p', agents: ['x'], supervision: { intensity: 1, periodMs: 10_000 } },
      ],
    });
    const { output } = await runAndRead(config, { observer: hub });
    expect(output.status).toBe('failed');
    expect(byId(hub.snapshot().nodes)['mission/m1']).toMatchObject({
      status: 'error',
      outcome: 'failed',
    });
  });
});
