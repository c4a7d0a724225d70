/**
 * An approval answered from the inspector page under `maestro run --inspect --inspect-token`, in
 * a real headless Chromium: the page opened with the token shows the gate with its buttons, a
 * rejection with feedback sends the stage back, an approval lets the mission finish, and run
 * serves the page until it is closed.
 */
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.js';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { runCommand } from '../../cli/run.js';
import { captureIo } from '../helpers/captureIo.js';
import { tempDir } from '../helpers/missions.js';

let browser: Browser | undefined;
afterAll(async () => browser?.close());

describe('inspector page in headless Chromium: approvals under maestro run', () => {
  it('should reject with feedback and then approve from the page opened with the token', async () => {
    const stateDir = tempDir();
    const io = captureIo({ err: true });
    const stdin = new PassThrough(); // open and silent: only the page answers
    const code = runCommand(
      'examples/approval.yaml',
      {
        inspect: '0',
        'inspect-token': 'page-token-42',
        'state-dir': stateDir,
        'mission-id': 'e2e',
      },
      io,
      { stdin },
    );
    await vi.waitFor(() =>
      expect(io.stderr.some((l) => l.startsWith('inspector: http'))).toBe(true),
    );
    const url = /inspector: (http\S+)/.exec(
      io.stderr.find((l) => l.startsWith('inspector: '))!,
    )![1]!;

    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${url}#token=page-token-42`);
    const first = page.locator('[data-testid="approval"][data-id="e2e/plan/1"]');
    await first.waitFor();
    expect(await first.locator('.question').textContent()).toBe(
      'Plan: add GET /health returning 200 and the version; one test.',
    );
    await first.locator('input').fill('shorter, no version');
    await first.getByTestId('reject').click();
    const second = page.locator('[data-testid="approval"][data-id="e2e/plan/2"]');
    await second.waitFor();
    await second.getByTestId('approve').click();
    await vi.waitFor(
      () => expect(io.stderr.some((l) => l.startsWith('mission succeeded'))).toBe(true),
      { timeout: 10_000 },
    );
    await page.getByText('none pending').waitFor();
    await page.close();
    expect(await code).toBe(0);
    expect(io.stdout).toEqual(['Done: /health added, test passing.']);
    const answered = EventLog.read(join(stateDir, 'missions', 'e2e.jsonl')).filter(
      (e) => e.type === 'approval.answered',
    );
    expect(answered.map((e) => [e.id, e.decision, e.feedback, e.by])).toEqual([
      ['e2e/plan/1', 'reject', 'shorter, no version', 'inspector'],
      ['e2e/plan/2', 'approve', undefined, 'inspector'],
    ]);
    stdin.end();
  });
});
