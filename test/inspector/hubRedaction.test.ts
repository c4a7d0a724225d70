import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/clock.js';
import { registerSecret } from '../../kernel/secrets.js';
import { InspectorHub } from '../../inspector/hub.js';
import type { InspectorDelta } from '../../inspector/types.js';

const SECRET = 'sk-test-0123456789abcdef';

describe('InspectorHub: redaction', () => {
  it('should store no registered secret: not in events, node errors, votes, the snapshot or the deltas', () => {
    registerSecret(SECRET);
    const hub = new InspectorHub({ clock: new ManualClock() });
    const deltas: InspectorDelta[] = [];
    hub.subscribe((d) => deltas.push(d));
    hub.observe({
      type: 'agent.call',
      mission: 'm',
      path: 'mission/m/stage/s/agent/a',
      error: { message: `401 for key ${SECRET}` },
      prompt: [`use ${SECRET}`],
    });
    hub.observe({
      type: 'supervisor.decision',
      supervisor: 'mission/m/stage/s',
      errorContext: 'child_terminated',
      reason: `bad key ${SECRET}`,
      action: 'restart',
      offender: {
        id: 'agent/a',
        path: 'mission/m/stage/s/agent/a',
        restart: 'transient',
        type: 'worker',
        restarts: 0,
      },
    });
    hub.observe({
      type: 'maker.vote',
      path: 'r',
      step: 0,
      outcome: 'decided',
      samples: 3,
      margin: 2,
      answer: SECRET,
      tallies: { [SECRET]: 2, other: 1 },
    });
    hub.observe({ type: 'worker.joined', mission: 'm', worker: `w-${SECRET}` });
    hub.flush();
    const snap = hub.snapshot();
    const text = JSON.stringify({ snap, deltas, since: hub.since(0) });
    expect(text).not.toContain(SECRET);
    expect(text).toContain('[REDACTED]');
    expect(snap.nodes.find((n) => n.id === 'mission/m/stage/s/agent/a')!.lastError!.message).toBe(
      'bad key [REDACTED]',
    );
    expect(snap.votes[0]).toMatchObject({
      winner: '[REDACTED]',
      tallies: { '[REDACTED]': 2, other: 1 },
    });
    expect(snap.nodes.map((n) => n.id)).toContain('workers/m/w-[REDACTED]');
  });
});
