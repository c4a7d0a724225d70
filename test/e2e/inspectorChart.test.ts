/**
 * The statechart diagrams in a real headless Chromium: the mission machine laid out by ELK after
 * the crash example (states, transitions as arrows labelled with their events, the final state
 * lit), a running MAKER vote whose lit state moves while the page watches, and a definition with
 * hostile state keys and event names drawn as text. Screenshots go to test-output/e2e/.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../config/loader.js';
import { missionSchema } from '../../config/mission.js';
import { InspectorHub } from '../../inspector/hub.js';
import { startInspectorServer } from '../../inspector/server.js';
import { runMission } from '../../runner/runMission.js';
import { tempDir } from '../helpers/missions.js';

const OUT = join('test-output', 'e2e');
const HOSTILE = '<img src=x onerror=window.__pwned=1>';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

/** A hub and its server for one test, and a page on it that records its errors. */
async function inspector() {
  const hub = new InspectorHub();
  hub.start();
  const server = await startInspectorServer(hub, {});
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  const close = async () => {
    await page.close();
    hub.stop();
    await server.close();
  };
  return { hub, server, page, errors, close };
}

const chart = (page: Page) => page.getByTestId('statechart');
const edge = (page: Page, from: string, to: string, event: string) =>
  chart(page).locator(`path.edge[data-from="${from}"][data-to="${to}"][data-event="${event}"]`);

async function shot(page: Page, name: string) {
  mkdirSync(OUT, { recursive: true });
  await chart(page).screenshot({ path: join(OUT, name) });
  expect(existsSync(join(OUT, name))).toBe(true);
}

describe('inspector statechart diagrams in headless Chromium', () => {
  it('should draw the mission statechart: its states, transitions as labelled arrows, the final state lit', async () => {
    const { hub, server, page, errors, close } = await inspector();
    try {
      const config = await loadConfigFile('examples/crash.yaml', missionSchema);
      const { output } = await runMission(config, {
        stateDir: tempDir(),
        logger: pino({ level: 'silent' }),
        missionId: 'chart',
        observer: hub,
      });
      expect(output.status).toBe('succeeded');
      hub.flush();

      await page.goto(server.url);
      await page.locator('[data-testid="node"][data-path="mission/chart"]').click();
      await chart(page).locator('svg.chart-svg').waitFor();
      for (const key of ['boot', 'stage', 'stageDone', 'approval', 'accepted', 'succeeded'])
        expect(await chart(page).locator(`g.st[data-state="${key}"]`).count()).toBe(1);
      // machines/mission.ts: a stage that exited normally is done; an approved gate is accepted;
      // the first stage starts from boot; a stop anywhere in the mission aborts it.
      await expect
        .poll(() => edge(page, 'stage', 'stageDone', 'supervisor.child.exited').count())
        .toBe(1);
      expect(await edge(page, 'approval', 'accepted', 'gate.answered').count()).toBe(1);
      expect(await edge(page, 'boot', 'stage', 'always').count()).toBe(1);
      expect(await edge(page, '', 'aborting', 'mission.stop').count()).toBe(1);
      // Each edge ends in an arrowhead: a marker of this SVG.
      const exited = edge(page, 'stage', 'stageDone', 'supervisor.child.exited');
      const marker =
        (await exited.getAttribute('marker-end')) ?? (await exited.getAttribute('marker-start'));
      const id = /^url\(#(.+)\)$/.exec(marker ?? '')?.[1];
      expect(id).toBeTruthy();
      expect(await chart(page).locator(`marker[id="${id}"] path`).count()).toBe(1);
      const labels = await chart(page).locator('text.label').allTextContents();
      expect(labels).toEqual(
        expect.arrayContaining(['supervisor.child.exited', 'gate.answered', 'mission.stop']),
      );
      // The mission ended in `succeeded`: that state is lit, on the active path, and said to be over.
      const active = chart(page).getByTestId('state-active');
      expect(await active.count()).toBe(1);
      expect(await active.getAttribute('data-state')).toBe('succeeded');
      expect((await active.getAttribute('class'))?.split(' ')).toEqual(
        expect.arrayContaining(['st', 'final', 'on-path', 'active']),
      );
      expect(await chart(page).locator('.chart .ended').textContent()).toBe('ended: done');
      await shot(page, 'chart-mission.png');
      // + draws it larger (the pane scrolls), fit brings it back within the pane.
      const svg = chart(page).locator('svg.chart-svg');
      const before = (await svg.boundingBox())!.width;
      await chart(page).getByTestId('chart-zoom-in').click();
      expect((await svg.boundingBox())!.width).toBeGreaterThan(before * 1.2);
      await chart(page).getByTestId('chart-fit').click();
      expect((await svg.boundingBox())!.width).toBeLessThanOrEqual(before + 1);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('should move the lit state of a running MAKER task while the page watches, without a redraw or an error', async () => {
    const { hub, server, page, errors, close } = await inspector();
    try {
      // examples/hanoi.yaml, smaller and slower: 9 disks, 3 ms a sample, so it runs a few seconds.
      const dir = tempDir();
      const yaml = readFileSync('examples/hanoi.yaml', 'utf8')
        .replace('disks: 10', 'disks: 9')
        .replace('    seed: 3\n', '    seed: 3\n    latencyMs: { distribution: fixed, ms: 3 }\n');
      expect(yaml).toContain('latencyMs');
      writeFileSync(join(dir, 'hanoi.yaml'), yaml);
      const config = await loadConfigFile(join(dir, 'hanoi.yaml'), missionSchema);
      await page.goto(server.url);
      await expect.poll(() => page.getByTestId('conn').textContent()).toBe('live');
      const run = runMission(config, {
        stateDir: tempDir(),
        logger: pino({ level: 'silent' }),
        missionId: 'live',
        observer: hub,
      });
      // The task's chart: voting step after step (pausing now and then to yield the event loop),
      // and `done` when the last step is decided.
      const task = page.locator(
        '[data-testid="node"][data-path="mission/live/stage/solve/maker/solver"]',
      );
      await task.waitFor({ timeout: 10_000 });
      await task.click();
      // The pane showed another actor's chart before the click (the mission's): wait for the task's.
      await expect
        .poll(() => page.locator('#detail-title').textContent())
        .toBe('Statechart: maker/solver');
      const active = chart(page).getByTestId('state-active');
      await active.first().waitFor();
      await expect
        .poll(() => chart(page).locator('[data-state="voting"], [data-state="done"]').count())
        .toBeGreaterThan(0);
      // The same SVG all along: later updates only move the lit state.
      const svg = chart(page).locator('svg.chart-svg');
      await svg.evaluate((el) => {
        (el as unknown as Record<string, unknown>).__first = true;
      });
      let finished = false;
      const ran = run.then((r) => {
        finished = true;
        return r;
      });
      const seen: string[] = [];
      const started = Date.now();
      let last = 0;
      let shotTaken = false;
      for (let stop = Infinity; Date.now() < stop; ) {
        const state = await active
          .first()
          .getAttribute('data-state', { timeout: 500 })
          .catch(() => null);
        if (state && seen.at(-1) !== state) seen.push(state);
        if (state === 'voting' && !shotTaken && Date.now() - started > 500) {
          shotTaken = true;
          await shot(page, 'chart-maker.png');
        }
        if (finished && stop === Infinity) stop = Math.max(Date.now() + 500, started + 2000);
        last = Date.now();
        await page.waitForTimeout(10);
      }
      expect(last - started).toBeGreaterThanOrEqual(2000);
      expect(new Set(seen).size, `states seen: ${seen.join(' → ')}`).toBeGreaterThanOrEqual(2);
      expect(seen.every((s) => ['next', 'voting', 'pausing', 'done'].includes(s))).toBe(true);
      expect(seen.at(-1)).toBe('done');
      expect(
        await svg.evaluate((el) => (el as unknown as Record<string, unknown>).__first === true),
      ).toBe(true);
      expect(await edge(page, 'voting', 'done', 'vote.decided').count()).toBe(1);
      const { output } = await ran;
      expect(shotTaken).toBe(true);
      expect(output.status).toBe('succeeded');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  }, 60_000);

  it('should draw hostile state keys and event names as text, and fall back to an outline without ELK', async () => {
    const { server, page, errors, close } = await inspector();
    try {
      await page.goto(server.url);
      const def = {
        key: 'm',
        type: 'compound',
        initial: HOSTILE,
        states: [
          {
            key: HOSTILE,
            on: [
              { event: HOSTILE, targets: ['other'] },
              { event: '<b>x</b>', targets: [] },
            ],
          },
          { key: 'other', on: [{ event: 'xstate.after.200.m.other', targets: [`#m.${HOSTILE}`] }] },
        ],
      };
      const result = await page.evaluate(`(async () => {
        const { renderChart } = await import('/chart.js');
        const pane = (id) => {
          const el = document.createElement('div');
          el.id = id;
          document.body.append(el);
          return el;
        };
        const until = async (ok) => {
          for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
        };
        const def = ${JSON.stringify(def)};
        const a = pane('hostile');
        renderChart(a, def, ${JSON.stringify(HOSTILE)}, { key: 'hostile', status: 'stopped' });
        await until(() => a.querySelector('svg'));
        // A layout that finishes after its pane moved on to another definition draws nothing there.
        const b = pane('late');
        renderChart(b, def, 'other', { key: 'late-first' });
        renderChart(b, { key: 'n', initial: 'only', states: [{ key: 'only' }] }, 'only', { key: 'late-second' });
        await until(() => b.querySelector('svg'));
        await new Promise((r) => setTimeout(r, 100));
        const elk = window.ELK;
        window.ELK = undefined;
        const c = pane('no-elk');
        renderChart(c, def, 'other', { key: 'no-elk' });
        window.ELK = elk;
        const d = pane('none');
        renderChart(d, undefined, undefined, {});
        return {
          imgs: document.querySelectorAll('img').length,
          pwned: window.__pwned === 1,
          states: [...a.querySelectorAll('g.st')].map((g) => g.getAttribute('data-state')),
          keys: [...a.querySelectorAll('text.key')].map((t) => t.textContent),
          events: [...a.querySelectorAll('path.edge')].map((p) => p.getAttribute('data-event')),
          labels: [...a.querySelectorAll('text.label')].map((t) => t.textContent),
          notes: [...a.querySelectorAll('text.note')].map((t) => t.textContent),
          active: a.querySelector('[data-testid="state-active"]')?.getAttribute('data-state'),
          ended: a.querySelector('.ended')?.textContent,
          late: [...b.querySelectorAll('g.st')].map((g) => g.getAttribute('data-state')),
          noElk: c.textContent,
          noElkActive: c.querySelector('[data-testid="state-active"]')?.getAttribute('data-state'),
          none: d.textContent,
        };
      })()`);
      expect(result).toEqual({
        imgs: 0,
        pwned: false,
        states: ['', HOSTILE, 'other'],
        keys: ['m', HOSTILE, 'other'],
        events: [HOSTILE, 'xstate.after.200.m.other'],
        labels: [HOSTILE, 'after 200ms'],
        notes: ['↻ <b>x</b>'],
        active: HOSTILE,
        ended: 'ended: stopped',
        late: ['', 'only'],
        noElk: expect.stringContaining('no diagram (the layout library (ELK) is not loaded)'),
        noElkActive: 'other',
        none: 'no statechart for this actor',
      });
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});
