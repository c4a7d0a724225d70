import { describe, expect, it } from 'vitest';
import { InspectorHub } from '../../inspector/hub.js';
import type { InspectorDelta } from '../../inspector/types.js';
import { mission, runAndRead } from '../helpers/missions.js';

describe('InspectorHub.forgetMission (a daemon lets finished missions go)', () => {
  it('should remove a finished mission’s nodes, votes and approvals, and send the removals', async () => {
    const hub = new InspectorHub();
    const deltas: InspectorDelta[] = [];
    hub.subscribe((d) => deltas.push(d));
    hub.watch();
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
    });
    const { output } = await runAndRead(config, { observer: hub });
    expect(output.status).toBe('succeeded');
    hub.observe({
      type: 'approval.requested',
      mission: 'm1',
      seq: 99,
      ts: '2026-01-01T00:00:00.000Z',
      id: 'm1/x/1',
      stage: 'x',
      output: 'o',
    });
    hub.observe({
      type: 'approval.requested',
      mission: 'other',
      seq: 1,
      ts: '2026-01-01T00:00:00.000Z',
      id: 'other/x/1',
      stage: 'x',
      output: 'o',
    });
    const before = hub.snapshot();
    const ours = before.nodes
      .filter((n) => n.id === 'mission/m1' || n.id.startsWith('mission/m1/'))
      .map((n) => n.id);
    expect(ours.length).toBeGreaterThan(3);
    expect(before.votes.length).toBe(1);
    hub.forgetMission('m1');
    const delta = hub.flush()!;
    expect([...delta.removes].sort()).toEqual([...ours].sort());
    expect(delta.approvals?.map((a) => a.id)).toEqual(['other/x/1']);
    const after = hub.snapshot();
    expect(after.nodes.filter((n) => n.id.startsWith('mission/m1'))).toEqual([]);
    expect(after.votes).toEqual([]);
    expect(after.approvals.map((a) => a.id)).toEqual(['other/x/1']);
    expect(hub.stats.internalErrors).toBe(0);
  });
});
