import { describe, expect, it } from 'vitest';
import { mission, runAndRead } from '../helpers/missions.js';

describe('MAKER task on a zero-latency model', () => {
  it('should let the event loop run while it steps (timers fire during the task, not only after it)', async () => {
    const config = mission({
      providers: { model: { kind: 'simulated', seed: 1, errorRate: 0, task: { kind: 'hanoi' } } },
      agents: [{ id: 'solver', provider: 'model' }],
      stages: [
        {
          name: 'solve',
          maker: { task: { kind: 'hanoi', disks: 11 }, agent: 'solver', k: 1, maxSamples: 3 },
        },
      ],
    });
    let ticks = 0;
    let stepsAtFirstTick: number | undefined;
    let steps = 0;
    const timer = setInterval(() => {
      ticks++;
      stepsAtFirstTick ??= steps;
    }, 1);
    try {
      const { output } = await runAndRead(config, {
        onEvent: (e) => void (e.type === 'maker.vote' && steps++),
      });
      expect(output.status).toBe('succeeded');
    } finally {
      clearInterval(timer);
    }
    expect(steps).toBe(2047);
    // Ticks while the steps ran, the first well before the last step (each pause comes within 10 ms of stepping).
    expect(ticks).toBeGreaterThan(3);
    expect(stepsAtFirstTick).toBeLessThan(2047);
  });
});
