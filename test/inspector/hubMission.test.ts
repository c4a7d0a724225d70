import { describe, expect, it } from 'vitest';
import type { MissionConfigInput } from '../../config/mission.js';
import { InspectorHub } from '../../inspector/hub.js';
import type { InspectorDelta, InspectorNode } from '../../inspector/types.js';
import { mission, runAndRead } from '../helpers/missions.js';

const byId = (nodes: InspectorNode[]) => Object.fromEntries(nodes.map((n) => [n.id, n]));

describe('InspectorHub on a whole mission (runMission with the hub as its observer)', () => {
  it('should show the mission tree at stable paths, with the crashed agent restarted in place', async () => {
    const hub = new InspectorHub();
    const deltas: InspectorDelta[] = [];
    hub.subscribe((d) => deltas.push(d));
    const config = mission({
      providers: {
        flaky: { kind: 'scripted', responses: [{ error: 'boom', errorKind: 'server' }, 'fine'] },
      },
      agents: [{ id: 'x', provider: 'flaky' }],
      stages: [
        { name: 's', prompt: 'p', agents: ['x'], supervision: { intensity: 2, periodMs: 10_000 } },
      ],
    });
    hub.watch(); // a client is connected: XState inspection is attached while someone watches
    const { output } = await runAndRead(config, { observer: hub });
    expect(output.status).toBe('succeeded');
    const snap = hub.snapshot();
    const nodes = byId(snap.nodes);
    expect(nodes['mission/m1']).toMatchObject({
      kind: 'mission',
      definition: 'mission',
      value: 'succeeded',
      status: 'done',
    });
    // The mission's own supervisor is the mission's node: its stages are the mission's children.
    expect(nodes['mission/m1/supervisor']).toBeUndefined();
    expect(nodes['mission/m1']!.supervisor).toMatchObject({ status: 'done', restarts: 0 });
    expect(nodes['mission/m1']).toMatchObject({ outcome: 'succeeded' });
    expect(nodes['mission/m1/stage/s']).toMatchObject({
      kind: 'supervisor',
      parent: 'mission/m1',
      restarts: 0,
    });
    // Nothing under a finished mission still runs.
    expect(snap.nodes.filter((n) => n.status === 'active')).toEqual([]);
    expect(nodes['mission/m1/stage/s/agent/x']).toMatchObject({
      parent: 'mission/m1/stage/s',
      restarts: 1,
      lastError: { message: "provider 'flaky': http 500: boom" },
    });
    expect(
      snap.nodes.filter((n) => n.id.startsWith('mission/m1/stage/s/') && /\/\d+$/.test(n.id)),
    ).toEqual([]);
    expect(Object.keys(snap.definitions)).toEqual(
      expect.arrayContaining(['mission', 'supervisor']),
    );
    const types = snap.events.map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'mission.started',
        'stage.entered',
        'agent.call',
        'supervisor.decision',
        'child.restarted',
        'stage.finished',
        'mission.finished',
      ]),
    );
    expect(hub.stats).toEqual({ internalErrors: 0, dropped: 0 });
  });

  it('should show the latest MAKER vote at the runner and its vote statechart beneath it', async () => {
    const hub = new InspectorHub();
    const config = mission({
      providers: {
        sim: {
          kind: 'simulated',
          seed: 11,
          errorRate: 0,
          task: { kind: 'hanoi', errorMode: 'dominant', redFlagRate: 0 },
        },
      },
      agents: [{ id: 'solver', provider: 'sim' }],
      stages: [
        {
          name: 'solve',
          maker: {
            task: { kind: 'hanoi', disks: 3 },
            agent: 'solver',
            k: 2,
            maxSamples: 20,
            redFlag: { maxChars: 1500 },
          },
        },
      ],
    } as Pick<MissionConfigInput, 'providers' | 'agents' | 'stages'>);
    hub.watch(); // a client is connected: XState inspection is attached while someone watches
    const { output } = await runAndRead(config, { observer: hub });
    expect(output.status).toBe('succeeded');
    const snap = hub.snapshot();
    const runner = 'mission/m1/stage/solve/maker/solver';
    expect(snap.votes).toEqual([
      expect.objectContaining({ path: runner, step: 6, outcome: 'decided', samples: 2 }),
    ]);
    const nodes = byId(snap.nodes);
    expect(nodes[runner]).toMatchObject({ logic: 'makerTask', status: 'done' });
    expect(nodes[`${runner}/vote`]).toMatchObject({
      parent: runner,
      logic: 'makerVote',
      definition: 'makerVote',
    });
  });

  it('should inspect nothing while no one watches, and show the live tree once a client watches', async () => {
    const hub = new InspectorHub();
    const seen: string[] = [];
    const inspect = hub.inspect;
    (hub as unknown as { inspect: typeof inspect }).inspect = (e) => {
      seen.push(e.type);
      inspect(e);
    };
    const { mission } = await import('../helpers/missions.js');
    const config = mission({
      providers: { p: { kind: 'scripted', responses: ['ok'] } },
      agents: [{ id: 'a', provider: 'p' }],
      stages: [{ name: 's', prompt: 'go', agents: ['a'] }],
    });
    await runAndRead(config, { observer: hub, missionId: 'quiet' });
    expect(seen).toEqual([]);
    // Lifecycle facts and mission events still arrive without inspection.
    expect(hub.snapshot().nodes.some((n) => n.id === 'mission/quiet/stage/s/agent/a')).toBe(true);
  });

  it('should end the nodes of children that finished while no client watched, from the supervisors decisions', async () => {
    const hub = new InspectorHub();
    const { mission } = await import('../helpers/missions.js');
    const config = mission({
      providers: { p: { kind: 'scripted', responses: ['ok'] } },
      agents: [{ id: 'a', provider: 'p' }],
      stages: [{ name: 's', prompt: 'go', agents: ['a'] }],
    });
    await runAndRead(config, { observer: hub, missionId: 'ended' });
    const status = (id: string) => hub.snapshot().nodes.find((n) => n.id === id)?.status;
    expect(status('mission/ended/stage/s/agent/a')).toBe('done');
    expect(status('mission/ended/stage/s')).toBe('done');
  });
});
