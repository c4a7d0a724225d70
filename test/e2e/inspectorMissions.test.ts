/**
 * The inspector page under the daemon, in Debian's chromium: the mission list (each state as
 * what it is, filters, search), a picked mission's tree alone with nothing left running and no
 * supervisor row beside its stages, its history in words grouped by stage with the raw record
 * a click away, MAKER progress, a gate answered from the page, and a hostile answer shown as
 * text, never run. Screenshots go to test-output/e2e/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.js';
import { afterAll, describe, expect, it } from 'vitest';
import { daemonsPerTest, daemonToken, submit, until } from '../helpers/daemonServer.js';
import { crashingMissionYaml } from '../helpers/missions.js';

const OUT = join('test-output', 'e2e');
const serve = daemonsPerTest();

let browser: Browser | undefined;
afterAll(async () => browser?.close());

async function open(url: string): Promise<{ page: Page; errors: string[] }> {
  browser ??= await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return { page, errors };
}

const hostile = `name: hostile
providers:
  p:
    kind: scripted
    responses: ['<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">']
agents: [{ id: writer, provider: p }]
stages:
  - { name: draft, prompt: 'write', agents: [writer] }
`;
const gated = `name: gated
providers:
  p: { kind: scripted, responses: ['the plan', 'built'] }
agents: [{ id: writer, provider: p }]
stages:
  - { name: plan, prompt: 'plan', agents: [writer], approval: true }
  - { name: build, prompt: 'build {{previous}}', agents: [writer] }
`;
const maker = `name: hanoi-small
providers:
  sim: { kind: simulated, seed: 5, task: { kind: hanoi, errorMode: dominant, redFlagRate: 0.05 } }
agents: [{ id: solver, provider: sim }]
stages:
  - name: solve
    maker: { task: { kind: hanoi, disks: 5 }, agent: solver, k: 2, maxSamples: 30, redFlag: { maxChars: 1500 } }
`;

describe('inspector page under the daemon, in headless Chromium', () => {
  it('should list the missions as what they are, filter them, and show a picked one alone: its tree, its history in words, MAKER progress', async () => {
    const d = await serve();
    const crash = await submit(d, crashingMissionYaml);
    await until(d, crash, 'succeeded');
    const solve = await submit(d, maker);
    await until(d, solve, 'succeeded');
    const gate = await submit(d, gated);
    await until(d, gate, 'awaiting_approval');

    const { page, errors } = await open(d.server.url);
    const rows = page.getByTestId('mission');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).toEqual([
      'awaiting_approval',
      'succeeded',
      'succeeded',
    ]);
    expect(await rows.first().textContent()).toContain('waiting at a gate');
    await page.getByTestId('mission-status').selectOption('succeeded');
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByTestId('mission-filter').fill('crash');
    await expect.poll(() => rows.count()).toBe(1);
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, 'missions-filtered.png') });

    // Picked: its tree alone, the stages the mission's children, nothing still running.
    await rows.first().click();
    await expect.poll(() => page.getByTestId('tree-scope').textContent()).toContain(crash);
    const paths = () =>
      page
        .getByTestId('tree')
        .getByTestId('node')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-path')!));
    await expect
      .poll(async () => (await paths()).includes(`mission/${crash}/stage/polish`))
      .toBe(true);
    const shown = await paths();
    expect(shown.every((p) => p.startsWith(`mission/${crash}`))).toBe(true);
    expect(shown).not.toContain(`mission/${crash}/supervisor`);
    expect(
      shown.filter((p) => !/^mission\/[^/]+(\/stage\/\w+(\/agent\/\w+(\/[\w.()]+)?)?)?$/.test(p)),
    ).toEqual([]);
    expect(await page.locator('[data-testid="tree"] .node.st-active').count()).toBe(0);
    const writer = page.locator(
      `[data-testid="node"][data-path="mission/${crash}/stage/draft/agent/writer"]`,
    );
    expect(await writer.getByTestId('restarts').textContent()).toContain('1');
    expect(await page.getByTestId('detail').getByTestId('outcome').textContent()).toBe('succeeded');

    // Its history, in words, grouped by stage; the raw record one click away.
    const lines = page.getByTestId('history-line');
    await expect.poll(() => lines.count()).toBeGreaterThan(8);
    const groups = await page
      .getByTestId('history-group')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-stage')));
    // In the order they ran: the mission's start, each stage, the mission's end.
    expect(groups).toEqual(['', 'draft', 'polish', '']);
    const restart = page
      .locator('[data-testid="history-group"][data-stage="draft"] [data-testid="history-line"]')
      .filter({ hasText: 'restarts stage/draft/agent/writer' });
    expect(await restart.count()).toBe(1);
    await restart.getByTestId('raw-toggle').click();
    expect(await restart.locator('pre').textContent()).toContain('"type": "supervisor.decision"');
    await page.screenshot({ path: join(OUT, 'mission-crash.png') });

    // A link to one node: `#mission=…&node=…` opens the page on it, its chart drawn.
    const link = await browser!.newPage({ viewport: { width: 1500, height: 900 } });
    const agent = `mission/${crash}/stage/draft/agent/writer`;
    await link.goto(`${d.server.url}#mission=${crash}&node=${encodeURIComponent(agent)}`);
    await expect
      .poll(() => link.locator('#detail-title').textContent())
      .toBe('Statechart: agent/writer');
    await link.getByTestId('statechart').locator('svg').first().waitFor();
    await link.close();

    // The MAKER mission: its progress in words.
    await page.getByTestId('mission-status').selectOption('');
    await page.getByTestId('mission-filter').fill('hanoi');
    await expect.poll(() => rows.count()).toBe(1);
    await rows.first().click();
    await expect
      .poll(() => page.getByTestId('maker-progress').first().textContent())
      .toMatch(/^step 31 of 31 · [\d.]+ samples\/step · [\d.]+% red-flagged/);
    await page.screenshot({ path: join(OUT, 'mission-maker.png') });
    expect(errors).toEqual([]);
  });

  it('should answer a gate from the page opened with the token, and show a hostile answer as text, never run', async () => {
    const d = await serve();
    const bad = await submit(d, hostile);
    await until(d, bad, 'succeeded');
    const gate = await submit(d, gated);
    await until(d, gate, 'awaiting_approval');
    const { page, errors } = await open(`${d.server.url}#token=${daemonToken}&mission=${gate}`);
    const card = page.getByTestId('approval');
    await card.waitFor();
    expect(await card.textContent()).toContain('the plan');
    await card.getByTestId('approve').click();
    await until(d, gate, 'succeeded');
    await expect.poll(() => page.getByTestId('approvals').textContent()).toContain('none pending');

    await page.getByTestId('mission-filter').fill('hostile');
    await expect.poll(() => page.getByTestId('mission').count()).toBe(1);
    await page.getByTestId('mission').first().click();
    // The answer is the stage's output: in its `stage.finished` line's raw record, as text.
    const answer = page.locator('[data-testid="history-line"][data-type="stage.finished"]');
    await expect.poll(() => answer.count()).toBe(1);
    await page.getByTestId('tab-live').click();
    await page.getByTestId('tab-history').click();
    await answer.getByTestId('raw-toggle').click();
    expect(await answer.locator('pre').textContent()).toContain(
      '<script>window.__pwned = 1</script><img src=x onerror=',
    );
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('#history img, #history script, #events img').count()).toBe(0);
    await page.screenshot({ path: join(OUT, 'mission-hostile.png') });
    expect(errors).toEqual([]);
  });

  it("should draw a plan stage's task graph with each task's state, a council's rounds, and a workflow's candidates and selection", async () => {
    const d = await serve();
    const plan = await submit(d, readFileSync('examples/plan.yaml', 'utf8'));
    await until(d, plan, 'succeeded');
    const council = await submit(d, readFileSync('examples/council-simulated.yaml', 'utf8'));
    await until(d, council, 'succeeded');
    const { page, errors } = await open(`${d.server.url}#mission=${plan}`);
    await expect.poll(() => page.getByTestId('history-line').count()).toBeGreaterThan(10);
    await page.getByTestId('tab-stages').click();
    const tasks = page.getByTestId('plan-version').first().getByTestId('plan-task');
    await expect.poll(() => tasks.count()).toBe(6);
    const states = Object.fromEntries(
      await tasks.evaluateAll((els) =>
        els.map((e) => [e.getAttribute('data-task'), e.getAttribute('data-state')]),
      ),
    );
    // examples/plan.yaml: the deploy task fails (no credentials), the rest finish.
    expect(states).toMatchObject({ research: 'finished', design: 'finished', deploy: 'failed' });
    const edges = await page
      .locator('[data-testid="plan-version"] .plan-edge')
      .evaluateAll((els) =>
        els.map((e) => `${e.getAttribute('data-from')}→${e.getAttribute('data-to')}`),
      );
    expect(edges).toContain('research→design');
    expect(await page.getByTestId('plan-version').count()).toBeGreaterThan(1);
    await page.screenshot({ path: join(OUT, 'stages-plan.png') });

    await page.getByTestId('mission-filter').fill('council');
    await expect.poll(() => page.getByTestId('mission').count()).toBe(1);
    await page.getByTestId('mission').first().click();
    const rounds = page.getByTestId('council-round');
    await expect.poll(() => rounds.count()).toBeGreaterThan(0);
    expect(await rounds.last().textContent()).toContain('quorum met');
    await page.screenshot({ path: join(OUT, 'stages-council.png') });

    // A workflow's evidence, drawn from its records (a real workflow needs a repository and bubblewrap).
    // A string, so that vitest's transform leaves the page's own `import()` alone.
    const shown = (await page.evaluate(`(async () => {
      const { renderStageViews } = await import('/stageViews.js');
      const el = document.createElement('div');
      const path = 'mission/w/stage/fix.implement/phase/implement';
      const check = (ok, passed, failed) => ({ ok, exitCode: ok ? 0 : 1, passed, failed });
      const bad = 'c2<img src=x onerror="globalThis.__pwned = 3">';
      renderStageViews(el, [
        { stage: 'fix', raw: { type: 'workflow.candidate', path, evidence: { id: 'c1', source: 'agent/a', apply: { ok: true, stats: { files: 1, added: 3, removed: 1 }, diff: '', hash: 'h' }, test: check(true, 12, 0) } } },
        { stage: 'fix', raw: { type: 'workflow.candidate', path, evidence: { id: bad, source: 'agent/b', apply: { ok: false, reason: 'conflict', detail: '' } } } },
        { stage: 'fix', raw: { type: 'workflow.selection', path, selection: { outcome: 'selected', chosen: 'c1', steps: [{ step: 'tests pass', kept: ['c1'], dropped: [{ id: bad, why: 'does not apply' }] }] } } },
      ]);
      document.body.append(el);
      return { text: el.textContent, rows: el.querySelectorAll('[data-testid="workflow-candidate"]').length, imgs: el.querySelectorAll('img').length };
    })()`)) as { text: string; rows: number; imgs: number };
    expect(shown.rows).toBe(2);
    expect(shown.imgs).toBe(0);
    expect(shown.text).toContain('implement: selected c1');
    expect(shown.text).toContain('applies: 1 files, +3 −1');
    expect(shown.text).toContain('test ✓ 12 passed');
    expect(shown.text).toContain(
      'dropped c2<img src=x onerror="globalThis.__pwned = 3">: does not apply',
    );
    expect(await page.evaluate('globalThis.__pwned')).toBeUndefined();
    expect(errors).toEqual([]);
  });
});
