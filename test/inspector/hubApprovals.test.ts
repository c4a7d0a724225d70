import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/clock.js';
import { registerSecret } from '../../kernel/secrets.js';
import { InspectorHub } from '../../inspector/hub.js';
import type { InspectorDelta } from '../../inspector/types.js';

const requested = (id: string, output: string, ts = '2026-01-01T00:00:00.000Z') => ({
  type: 'approval.requested',
  mission: 'm1',
  seq: 1,
  ts,
  id,
  stage: 'plan',
  index: 0,
  attempt: 1,
  output,
});

describe('InspectorHub: approvals from the missions’ gate events', () => {
  it('should list a requested approval in the snapshot and in a delta, and drop it once answered', () => {
    const hub = new InspectorHub({ clock: new ManualClock(0) });
    const deltas: InspectorDelta[] = [];
    hub.subscribe((d) => deltas.push(d));
    expect(hub.snapshot().approvals).toEqual([]);
    hub.observe(requested('m1/plan/1', 'the plan'));
    hub.flush();
    const listed = [
      {
        id: 'm1/plan/1',
        path: 'mission/m1/stage/plan',
        question: 'the plan',
        since: Date.parse('2026-01-01T00:00:00.000Z'),
      },
    ];
    expect(deltas.at(-1)!.approvals).toEqual(listed);
    expect(hub.snapshot().approvals).toEqual(listed);
    hub.observe({
      type: 'approval.answered',
      mission: 'm1',
      seq: 2,
      ts: '2026-01-01T00:00:01.000Z',
      id: 'm1/plan/1',
      decision: 'approve',
    });
    hub.flush();
    expect(deltas.at(-1)!.approvals).toEqual([]);
    expect(hub.snapshot().approvals).toEqual([]);
  });

  it('should stop offering an approval whose mission ended at the gate (approval.closed), and show the closing', () => {
    const hub = new InspectorHub({ clock: new ManualClock(0) });
    hub.observe(requested('m1/plan/1', 'the plan'));
    hub.observe(requested('m2/plan/1', 'another'));
    expect(hub.snapshot().approvals.map((a) => a.id)).toEqual(['m1/plan/1', 'm2/plan/1']);
    hub.observe({
      type: 'approval.closed',
      mission: 'm1',
      seq: 3,
      ts: '2026-01-01T00:00:02.000Z',
      id: 'm1/plan/1',
      reason: 'stopped',
      message: 'stopped by request',
    });
    const delta = hub.flush()!;
    expect(delta.approvals?.map((a) => a.id)).toEqual(['m2/plan/1']);
    expect(delta.events.map((e) => [e.type, e.data.reason])).toEqual([
      ['approval.closed', 'stopped'],
    ]);
  });

  it('should send no approvals field when the list did not change, and ignore an answer for an unknown id', () => {
    const hub = new InspectorHub({ clock: new ManualClock(0) });
    const deltas: InspectorDelta[] = [];
    hub.subscribe((d) => deltas.push(d));
    hub.observe({
      type: 'approval.answered',
      mission: 'm1',
      seq: 2,
      ts: '2026-01-01T00:00:01.000Z',
      id: 'nope',
      decision: 'approve',
    });
    const first = hub.flush()!;
    // The answer is in the event stream; the pending list did not change.
    expect(first.events.map((e) => e.type)).toEqual(['approval.answered']);
    expect(first.approvals).toBeUndefined();
    hub.observe(requested('m1/plan/1', 'x'));
    hub.flush();
    hub.observe({
      type: 'stage.entered',
      mission: 'm1',
      seq: 3,
      ts: '2026-01-01T00:00:02.000Z',
      stage: 'build',
      index: 1,
      agents: ['a'],
    });
    hub.flush();
    expect(deltas.at(-1)!.approvals).toBeUndefined();
  });

  it('should cut a long output and mask secrets in it', () => {
    registerSecret('sk-approval-secret-123');
    const hub = new InspectorHub({ clock: new ManualClock(0) });
    hub.observe(requested('m1/plan/1', `key sk-approval-secret-123 ${'x'.repeat(5000)}`));
    const [a] = hub.snapshot().approvals;
    expect(a!.question).not.toContain('sk-approval-secret-123');
    expect(a!.question.length).toBeLessThanOrEqual(2001);
    expect(a!.question.endsWith('…')).toBe(true);
  });

  it('should keep mission.submitted (the whole config) out of the event stream, and show the gate and plan events', () => {
    const hub = new InspectorHub({ clock: new ManualClock(0) });
    hub.observe({
      type: 'mission.submitted',
      mission: 'm1',
      seq: 1,
      ts: '2026-01-01T00:00:00.000Z',
      name: 'x',
      config: { providers: {} },
    });
    hub.observe({
      type: 'mission.started',
      mission: 'm1',
      seq: 2,
      ts: '2026-01-01T00:00:00.000Z',
      name: 'x',
      stages: ['a'],
    });
    hub.observe(requested('m1/plan/1', 'p'));
    hub.observe({
      type: 'task.failed',
      mission: 'm1',
      seq: 4,
      ts: '2026-01-01T00:00:00.000Z',
      path: 'mission/m1/stage/s/plan/planner',
      task: 'deploy',
      error: 'boom',
    });
    hub.observe({
      type: 'plan.revised',
      mission: 'm1',
      seq: 5,
      ts: '2026-01-01T00:00:00.000Z',
      path: 'mission/m1/stage/s/plan/planner',
      replan: 1,
      failed: ['deploy'],
    });
    expect(hub.snapshot().events.map((e) => e.type)).toEqual([
      'mission.started',
      'approval.requested',
      'task.failed',
      'plan.revised',
    ]);
  });
});
