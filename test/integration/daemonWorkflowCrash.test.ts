/**
 * A coding workflow under a real `maestro daemon` process, killed with SIGKILL in the middle of
 * its implement phase (its three candidates written and being tested in the sandbox), then
 * started again: the mission goes on at implement, the implementers' answers come back from the
 * log (none is asked a second time), the gates are answered over the API, and the tree ends
 * green with the chosen patch.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { startDaemon, type DaemonProcess } from '../helpers/daemonProcess.js';
import { eventually } from '../helpers/eventually.js';
import type { LooseEvent } from '../helpers/looseEvent.js';

const PATIENCE = 30_000;
const EXAMPLE = join(import.meta.dirname, '../../examples/bugfix');

function dir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(d, { recursive: true, force: true, maxRetries: 5 }));
  return d;
}

const readLog = (stateDir: string, id: string): LooseEvent[] => {
  const file = EventLog.pathFor(stateDir, id);
  return existsSync(file) ? EventLog.read(file) : [];
};
const implementAnswers = (events: LooseEvent[]) =>
  events.filter((e) => e.type === 'genius.phase' && e.phase === 'workflowImplement').length;

async function approveWhenAsked(d: DaemonProcess, gate: string): Promise<void> {
  await eventually(async () => {
    expect((await d.client.approvals()).map((a) => a.id)).toContain(gate);
  }, PATIENCE);
  await d.client.approve(gate, { decision: 'approve' });
}

describe('a coding workflow killed in implement (real daemon, SIGKILL)', () => {
  it('goes on at implement without asking its implementers again, to a green tree', async () => {
    const repos = dir('maestro-wf-repos-');
    const repo = join(repos, 'demo');
    execFileSync(process.execPath, [join(EXAMPLE, 'prepare.mjs'), repo], { stdio: 'ignore' });
    const stateDir = dir('maestro-wf-state-');
    const config = join(dir('maestro-wf-config-'), 'daemon.yaml');
    writeFileSync(config, `submissions:\n  workspaces: [${JSON.stringify(repos)}]\n`);
    // the tests take a second in the sandbox: a window to kill the daemon while they run
    const source = readFileSync(join(EXAMPLE, 'mission.yaml'), 'utf8')
      .replace('${BUGFIX_REPO:-/tmp/maestro-bugfix-demo}', repo)
      .replace('argv: [node, --test, test/]', 'argv: [sh, -c, "sleep 1; node --test test/"]');
    const id = 'wf-killed';

    const d1 = await startDaemon({ stateDir, args: ['--config', config] });
    await d1.client.submit({ source, filename: 'bugfix.yaml', id });
    await approveWhenAsked(d1, `${id}/fix.analyze/1`);
    await approveWhenAsked(d1, `${id}/fix.hypothesize/1`);
    await eventually(() => {
      if (implementAnswers(readLog(stateDir, id)) < 3) throw new Error('no candidates yet');
    }, PATIENCE);
    expect(await d1.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const atKill = readLog(stateDir, id);
    // killed in implement: its answers logged, the phase not finished
    expect(implementAnswers(atKill)).toBe(3);
    expect(atKill.some((e) => e.type === 'stage.finished' && e.stage === 'fix.implement')).toBe(
      false,
    );

    const d2 = await startDaemon({ stateDir, args: ['--config', config] });
    await approveWhenAsked(d2, `${id}/fix.implement/1`);
    await approveWhenAsked(d2, `${id}/fix.improve/1`);
    await eventually(async () => {
      expect((await d2.client.status(id)).state).toBe('succeeded');
    }, PATIENCE);
    const events = readLog(stateDir, id);
    expect(implementAnswers(events)).toBe(3);
    expect(events.filter((e) => e.type === 'mission.resumed')).toHaveLength(1);
    expect(readFileSync(join(repo, 'src/range.js'), 'utf8')).toContain('i <= b');
    execFileSync(process.execPath, ['--test', 'test/'], { cwd: repo, stdio: 'ignore' });
    await d2.kill('SIGTERM');
  }, 90_000);
});
