/**
 * A coding workflow under the daemon: submitted as text with a workspace in a directory the
 * operator allows, its gates answered through the daemon's API (an approval's note going to the
 * next phase), the patch applied to the tree; and the same mission refused when the operator
 * allows no workspace.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../daemon/daemon.js';
import { CLOSED_POLICY } from '../../daemon/submitPolicy.js';
import { eventually } from '../helpers/eventually.js';
import { tempDir } from '../helpers/missions.js';

let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.shutdown();
  daemon = undefined;
});

const EXAMPLE = join(import.meta.dirname, '../../examples/bugfix');

function setUp(workspaces: string[] | 'repo') {
  const allowed = tempDir('maestro-repos-');
  const repo = join(allowed, 'demo');
  execFileSync(process.execPath, [join(EXAMPLE, 'prepare.mjs'), repo], { stdio: 'ignore' });
  const source = readFileSync(join(EXAMPLE, 'mission.yaml'), 'utf8').replace(
    '${BUGFIX_REPO:-/tmp/maestro-bugfix-demo}',
    repo,
  );
  daemon = new Daemon({
    stateDir: tempDir('maestro-daemon-'),
    logger: pino({ level: 'silent' }),
    syncEveryMs: 0,
    submitPolicy: { ...CLOSED_POLICY, workspaces: workspaces === 'repo' ? [allowed] : workspaces },
  });
  daemon.start();
  return { d: daemon, repo, source };
}

describe('daemon: a coding workflow', () => {
  it('should run it to a green tree, its gates answered over the API', async () => {
    const { d, repo, source } = setUp('repo');
    const { id } = await d.submit({ source, filename: 'bugfix.yaml' });
    const answered: string[] = [];
    for (const stage of ['fix.analyze', 'fix.hypothesize', 'fix.implement', 'fix.improve']) {
      await eventually(
        () => expect(d.approvals().map((a) => a.id)).toEqual([`${id}/${stage}/1`]),
        20_000,
      );
      await d.answer(`${id}/${stage}/1`, {
        decision: 'approve',
        ...(stage === 'fix.analyze' && { feedback: 'b is included' }),
      });
      answered.push(stage);
    }
    await eventually(() => expect(d.status(id).state).toBe('succeeded'), 20_000);
    expect(answered).toHaveLength(4);
    expect(readFileSync(join(repo, 'src/range.js'), 'utf8')).toContain('i <= b');
    execFileSync(process.execPath, ['--test', 'test/'], { cwd: repo, stdio: 'ignore' });
  });

  it('should refuse it at its line when the operator allows no workspace', async () => {
    const { d, source } = setUp([]);
    await expect(d.submit({ source, filename: 'bugfix.yaml' })).rejects.toThrow(
      /bugfix\.yaml:\d+ workspace\.path: a submitted mission's workspace must be an absolute path inside a directory the daemon allows \(none/,
    );
  });
});
