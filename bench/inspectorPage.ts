/**
 * The inspector page's responsiveness (issue 18's "Measure": "page responsiveness with 10,000
 * workers and 100 missions in the list"): a hub holding 100 missions of 100 workers each (their
 * supervisors' facts and their log's events, no XState), its server, and the page in headless
 * Chromium, a fresh browser context each round. Per round: the page's first contentful paint,
 * the first tree row, the mission list's first page, and picking a mission (click → the tree
 * scoped to it and its node drawn, then the next frame), timed inside the page with
 * performance.now() (a MutationObserver set before the page's scripts) and as wall time from
 * the bench. Also the sizes of /snapshot.json and of the ws's first message. No targets: the
 * issue sets none, so it reports.
 *
 *   npx tsx bench/inspectorPage.ts [--rounds 5] [--missions 100] [--workers 100] [--pick 10]
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { InspectorHub } from '../inspector/hub.js';
import { startInspectorServer, type InspectorServer } from '../inspector/server.js';

const { values: a } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    missions: { type: 'string', default: '100' },
    workers: { type: 'string', default: '100' },
    pick: { type: 'string', default: '10' },
  },
});
const ROUNDS = Math.max(1, Number(a.rounds));
const MISSIONS = Math.max(1, Number(a.missions));
const WORKERS = Math.max(1, Number(a.workers));
/** Which row of the list's first page to click, counted from 1. */
const PICK = Math.min(Math.max(1, Number(a.pick)), Math.min(25, MISSIONS));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ENDS = ['succeeded', 'failed', 'stopped'] as const;

const missionId = (i: number) => `m${String(i).padStart(3, '0')}`;

/** 100 missions: submitted, started, one stage of `WORKERS` workers; every other one finished. */
function fillHub(hub: InspectorHub): { finished: number } {
  const t0 = Date.parse('2025-01-01T00:00:00Z');
  let finished = 0;
  for (let i = 0; i < MISSIONS; i++) {
    const mission = missionId(i);
    const root = `mission/${mission}`;
    const stage = `${root}/stage/s`;
    const at = t0 + i * 60_000;
    const name = `bench-${i % 7}`;
    hub.observe({
      type: 'mission.submitted',
      mission,
      name,
      config: { stages: [{ name: 's', budget: { tokens: 100_000 } }] },
      at,
    });
    hub.observe({ type: 'mission.started', mission, name, stages: ['s'], at: at + 1 });
    const agents = Array.from({ length: WORKERS }, (_, k) => `w${k}`);
    hub.observe({ type: 'stage.entered', mission, stage: 's', index: 0, attempt: 1, agents, at });
    hub.childStarted({
      type: 'child.started',
      path: stage,
      parent: root,
      sessionId: `x:${mission}:stage`,
      kind: 'supervisor',
      restarts: 0,
    });
    for (let k = 0; k < WORKERS; k++)
      hub.childStarted({
        type: 'child.started',
        path: `${stage}/agent/w${k}`,
        parent: stage,
        sessionId: `x:${mission}:w${k}`,
        kind: 'worker',
        restarts: k % 37 === 0 ? 1 : 0,
      });
    if (i % 2 === 1) {
      hub.observe({ type: 'mission.finished', mission, status: ENDS[finished++ % 3], at: at + 2 });
    }
    // A flush a mission: the hub keeps at most maxEventsPerFlush (200) events per flush.
    hub.flush();
  }
  return { finished };
}

interface Round {
  fcp: number;
  firstNode: number;
  firstMission: number;
  wallFirstNode: number;
  select: number;
  wallSelect: number;
  wsFirstBytes: number;
  /** Where the first row's time goes: elk.js loaded, the ws made, open, its snapshot in. */
  elk: number;
  elkBytes: number;
  wsNew: number;
  wsOpen: number;
  wsMessage: number;
}

/** Installed before the page's scripts: when the first tree row and the first mission row appear. */
const MARKS = `(() => {
  const marks = (window.__bench = {});
  const look = () => {
    if (marks.node === undefined && document.querySelector('[data-testid="node"]')) marks.node = performance.now();
    if (marks.mission === undefined && document.querySelector('[data-testid="mission"]')) marks.mission = performance.now();
    if (marks.node !== undefined && marks.mission !== undefined) observer.disconnect();
  };
  const observer = new MutationObserver(look);
  observer.observe(document, { childList: true, subtree: true });
  // The ws's open and first message, before the page's own onmessage parses it.
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      if (marks.wsNew === undefined) marks.wsNew = performance.now();
      this.addEventListener('open', () => { if (marks.wsOpen === undefined) marks.wsOpen = performance.now(); });
      this.addEventListener('message', () => { if (marks.wsMessage === undefined) marks.wsMessage = performance.now(); });
    }
  };
})();`;

/** In the page: click the row, wait for the tree of that mission, then for the next frame. */
const SELECT = `async (id) => {
  const row = document.querySelector('[data-testid="mission"][data-mission="' + id + '"]');
  if (!row) throw new Error('no mission row ' + id);
  const done = () =>
    (document.getElementById('tree-scope')?.textContent || '').includes(id) &&
    document.querySelector('[data-testid="node"][data-path="mission/' + id + '"]') !== null &&
    document.querySelectorAll('[data-testid="node"]').length < 50;
  const t0 = performance.now();
  row.click();
  await new Promise((resolve) => {
    if (done()) return resolve();
    const observer = new MutationObserver(() => {
      if (done()) {
        observer.disconnect();
        resolve();
      }
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  });
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return performance.now() - t0;
}`;

async function round(browser: Browser, url: string, r: number): Promise<Round> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    const page: Page = await context.newPage();
    await page.addInitScript(MARKS);
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    let wsFirstBytes = 0;
    page.on('websocket', (ws) =>
      ws.once('framereceived', (f) => {
        wsFirstBytes =
          typeof f.payload === 'string' ? Buffer.byteLength(f.payload) : f.payload.length;
      }),
    );
    const t0 = performance.now();
    await page.goto(url, { waitUntil: 'commit' });
    await page
      .locator('[data-testid="node"]')
      .first()
      .waitFor({ state: 'attached', timeout: 60_000 });
    const wallFirstNode = performance.now() - t0;
    await page
      .locator('[data-testid="mission"]')
      .first()
      .waitFor({ state: 'attached', timeout: 60_000 });
    // Both marks are taken by now; FCP may trail the first row by a frame.
    const handle = await page.waitForFunction(
      `(() => {
        const fcp = performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint');
        const b = window.__bench;
        const script = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/vendor/elk.js'));
        return fcp && b.node !== undefined && b.mission !== undefined
          ? { ...b, fcp: fcp.startTime, elk: script ? script.responseEnd : 0, elkBytes: script ? script.encodedBodySize : 0 }
          : false;
      })()`,
      undefined,
      { timeout: 30_000 },
    );
    const marks = (await handle.jsonValue()) as Record<
      'fcp' | 'node' | 'mission' | 'elk' | 'elkBytes' | 'wsNew' | 'wsOpen' | 'wsMessage',
      number
    >;
    const count = await page.locator('[data-testid="mission"]').count();
    if (count === 0) throw new Error('the mission list is empty');
    const pick = await page
      .locator('[data-testid="mission"]')
      .nth(Math.min(PICK, count) - 1)
      .getAttribute('data-mission');
    if (!pick) throw new Error('a mission row without data-mission');
    const w0 = performance.now();
    const select = (await page.evaluate(`(${SELECT})(${JSON.stringify(pick)})`)) as number;
    const wallSelect = performance.now() - w0;
    if (errors.length) throw new Error(`round ${r}: the page threw: ${errors.join('; ')}`);
    return {
      fcp: marks.fcp,
      firstNode: marks.node,
      firstMission: marks.mission,
      wallFirstNode,
      select,
      wallSelect,
      wsFirstBytes,
      elk: marks.elk,
      elkBytes: marks.elkBytes,
      wsNew: marks.wsNew,
      wsOpen: marks.wsOpen,
      wsMessage: marks.wsMessage,
    };
  } finally {
    await context.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const ms = (n: number) => `${Math.round(n)} ms`;

function line(label: string, xs: number[]): string {
  return `${label.padEnd(36)} median ${ms(median(xs)).padStart(7)}, max ${ms(Math.max(...xs)).padStart(7)} (${xs.length} rounds)`;
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.error(
      `inspector page bench: no Chromium at ${CHROMIUM}. Install Debian's (sudo apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium binary.`,
    );
    process.exit(1);
  }
  const hub = new InspectorHub();
  const built = performance.now();
  const { finished } = fillHub(hub);
  const snapshot = hub.snapshot();
  const nodes = snapshot.nodes.length;
  const workers = snapshot.nodes.filter((n) => n.kind === 'worker').length;
  if (workers < MISSIONS * WORKERS)
    throw new Error(`expected ${MISSIONS * WORKERS} workers in the hub, found ${workers}`);
  const buildMs = performance.now() - built;
  let server: InspectorServer | undefined;
  let browser: Browser | undefined;
  try {
    const s0 = performance.now();
    JSON.stringify(hub.snapshot());
    const serialize = performance.now() - s0;
    server = await startInspectorServer(hub, {});
    const snapRes = await fetch(`${server.url}snapshot.json`);
    const snapBytes = (await snapRes.arrayBuffer()).byteLength;
    const list = (await (await fetch(`${server.url}missions.json?limit=25`)).json()) as {
      total: number;
    };
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu'],
      });
    } catch (err) {
      throw new Error(
        `Chromium at ${CHROMIUM} did not start (${(err as Error).message.split('\n')[0]}); install it with: sudo apt-get install -y chromium`,
      );
    }
    console.log(
      `inspector page bench: ${MISSIONS} missions × ${WORKERS} workers (${finished} finished), ${ROUNDS} rounds, chromium ${browser.version()}, node ${process.version}`,
    );
    console.log(
      `${'hub'.padEnd(37)}${nodes} nodes (${workers} workers), ${list.total} missions in the list, filled in ${ms(buildMs)}`,
    );
    console.log(`${'snapshot.json'.padEnd(37)}${snapBytes} bytes (${kib(snapBytes)})`);
    const rounds: Round[] = [];
    for (let r = 1; r <= ROUNDS; r++) rounds.push(await round(browser, server.url, r));
    const ws = rounds.map((x) => x.wsFirstBytes).filter((x) => x > 0);
    if (ws.length)
      console.log(`${'ws first message (snapshot)'.padEnd(37)}${ws[0]} bytes (${kib(ws[0]!)})`);
    const col = (k: keyof Round) => rounds.map((x) => x[k]);
    console.log(line('first contentful paint (page)', col('fcp')));
    console.log(line('first node row (page)', col('firstNode')));
    console.log(line('first node row (wall, from goto)', col('wallFirstNode')));
    console.log(line('mission list first page (page)', col('firstMission')));
    console.log(
      `  of which: vendor/elk.js (${kib(rounds[0]!.elkBytes)}) in at ${ms(median(col('elk')))}, ws made ${ms(median(col('wsNew')))}, open ${ms(median(col('wsOpen')))}, snapshot in ${ms(median(col('wsMessage')))}; the hub's snapshot + JSON.stringify take ${ms(serialize)} in node`,
    );
    console.log(line(`select mission #${PICK} (page, to frame)`, col('select')));
    console.log(line(`select mission #${PICK} (wall)`, col('wallSelect')));
    console.log(
      `verdict: with ${nodes} nodes (${kib(snapBytes)} snapshot) the first tree row is drawn ${ms(median(col('firstNode')))} after navigation (median), the mission list ${ms(median(col('firstMission')))}, and picking a mission redraws in ${ms(median(col('select')))}; the issue sets no target`,
    );
  } finally {
    await browser?.close();
    await server?.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(
      `inspector page bench failed: ${err instanceof Error ? err.message : String(err)}`,
    );
    process.exit(1);
  },
);
