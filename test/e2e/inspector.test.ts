/**
 * The inspector in a real headless Chromium: run the crash example with the inspector, open the
 * page, and check what a person would look for: the tree, the restarted worker's restart, a
 * statechart's active state. A screenshot goes to test-output/e2e/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.js';
import { afterAll, describe, expect, it } from 'vitest';
import { InspectorHub } from '../../inspector/hub.js';
import { startInspectorServer } from '../../inspector/server.js';
import { loadConfigFile } from '../../config/loader.js';
import { missionSchema } from '../../config/mission.js';
import { runMission } from '../../runner/runMission.js';
import { tempDir } from '../helpers/missions.js';

const OUT = join('test-output', 'e2e');

let browser: Browser | undefined;
afterAll(async () => browser?.close());

describe('inspector page in headless Chromium', () => {
  it('should draw the crash example: the tree, the restarted worker, an active statechart state', async () => {
    const hub = new InspectorHub();
    hub.start();
    const server = await startInspectorServer(hub, {});
    try {
      const config = await loadConfigFile('examples/crash.yaml', missionSchema);
      const { output } = await runMission(config, {
        stateDir: tempDir(),
        logger: pino({ level: 'silent' }),
        missionId: 'e2e',
        observer: hub,
      });
      expect(output.status).toBe('succeeded');
      hub.flush();

      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(server.url);
      await page.getByTestId('tree').waitFor();
      const worker = page.locator(
        '[data-testid="node"][data-path="mission/e2e/stage/research/agent/researcher"]',
      );
      await worker.waitFor();
      await expect
        .poll(async () => (await worker.getByTestId('restarts').textContent()) ?? '')
        .toContain('1');
      // The mission's statechart is shown; its active state is highlighted.
      await page.locator('[data-testid="node"][data-path="mission/e2e"]').click();
      const active = page.getByTestId('statechart').getByTestId('state-active');
      await active.first().waitFor();
      expect(await active.first().getAttribute('data-state')).toBe('succeeded');
      mkdirSync(OUT, { recursive: true });
      await page.screenshot({ path: join(OUT, 'inspector-crash.png'), fullPage: true });
      expect(existsSync(join(OUT, 'inspector-crash.png'))).toBe(true);
    } finally {
      hub.stop();
      await server.close();
    }
  });
});
