import { describe, expect, it } from 'vitest';
import { InspectorHub, SNAPSHOT_EVENT_BYTES } from '../../inspector/hub.js';

describe('InspectorHub.snapshot: a bounded first message', () => {
  it('should send the newest events that fit in its byte budget, in order, however many it keeps', () => {
    const hub = new InspectorHub();
    for (let seq = 1; seq <= 500; seq++) {
      // A flush every 100 (a snapshot flushes): one delta carries at most 200 events.
      if (seq % 100 === 0) hub.snapshot();
      hub.observe({
        seq,
        ts: '2026-01-01T00:00:00.000Z',
        mission: 'm',
        type: 'agent.call',
        path: 'mission/m/stage/s/agent/a',
        agent: 'a',
        provider: 'p',
        attempt: 0,
        ok: true,
        text: 'x'.repeat(1500),
      });
    }
    const snap = hub.snapshot();
    const events = snap.events as { seq?: number; event?: { seq?: number } }[];
    expect(JSON.stringify(events).length).toBeLessThanOrEqual(SNAPSHOT_EVENT_BYTES + 2);
    expect(events.length).toBeGreaterThan(10);
    expect(events.length).toBeLessThan(500);
    // The newest, in order: the last one kept is the last one observed.
    const seqOf = (e: (typeof events)[number]) => JSON.stringify(e).match(/"seq":(\d+)/)?.[1];
    expect(seqOf(events.at(-1)!)).toBe('500');
    expect(Number(seqOf(events[0]!))).toBe(500 - events.length + 1);
  });
});
