/**
 * A new inspector client's first message is bounded by what is live, not by history: a daemon's
 * hub keeps the missions running and the last `keepEnded` that ended, so after 150 missions the
 * snapshot is no bigger than after 30, and well under 64 KB.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Daemon } from '../../daemon/daemon.js';
import { InspectorHub } from '../../inspector/hub.js';
import { eventually } from '../helpers/eventually.js';
import { tempDir } from '../helpers/missions.js';

const hello = readFileSync('examples/hello.yaml', 'utf8');

describe('the inspector first message under a daemon', () => {
  it('should stay the same size however many missions have run (at most 64 KB)', async () => {
    const hub = new InspectorHub({ keepEnded: 20 });
    const daemon = new Daemon({
      stateDir: tempDir(),
      logger: pino({ level: 'silent' }),
      env: {},
      syncEveryMs: 0,
      observer: hub,
    });
    daemon.start();
    const run = async (n: number) => {
      for (let i = 0; i < n; i += 10) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(10, n - i) }, () => daemon.submit({ source: hello })),
        );
        await eventually(() => {
          for (const m of batch) expect(daemon.status(m.id).state).toBe('succeeded');
        }, 20_000);
      }
    };
    const size = () => JSON.stringify(hub.snapshot()).length;
    try {
      await run(30);
      const after30 = size();
      await run(120);
      const after150 = size();
      expect(after150).toBeLessThanOrEqual(64 * 1024);
      // The same 20 ended missions' worth (ids differ in length by nothing): within 10%.
      expect(after150).toBeLessThan(after30 * 1.1);
      const shown = new Set(
        hub
          .snapshot()
          .nodes.filter((n) => n.id.startsWith('mission/'))
          .map((n) => n.id.split('/')[1]),
      );
      expect(shown.size).toBe(20);
    } finally {
      await daemon.shutdown();
    }
  }, 60_000);
});
