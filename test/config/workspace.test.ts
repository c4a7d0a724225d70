import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../config/loader.js';
import { missionSchema } from '../../config/mission.js';
import { DEFAULT_DENY, workspacePathIssues, workspaceSchema } from '../../config/workspace.js';
import { ConfigError } from '../../kernel/errors.js';
import { tempDir } from '../helpers/missions.js';

const mission = (workspace: string) => `name: fix
providers:
  s: { kind: scripted, responses: [ok] }
agents: [{ id: a, provider: s }]
stages: [{ name: one, prompt: go, agents: [a] }]
workspace:
${workspace}`;

describe('the workspace section', () => {
  it('should fill the defaults: the blocked paths, bubblewrap, 4 GiB, no network', () => {
    const w = workspaceSchema.parse({ path: '.', verify: { test: { argv: ['npm', 'test'] } } });
    expect(w.deny).toEqual(DEFAULT_DENY);
    expect(w.sandbox).toEqual({
      kind: 'bwrap',
      env: ['PATH', 'HOME', 'LANG', 'TERM'],
      memoryMb: 4096,
      maxOutputBytes: 1_048_576,
    });
    expect(w.verify.test).toEqual({
      argv: ['npm', 'test'],
      timeoutMs: 300_000,
      network: false,
      env: [],
    });
  });

  it('should refuse a command given as a shell string, with its line and the argv to write', () => {
    const text = mission('  path: .\n  verify:\n    test: { argv: "npm test -- --run" }');
    let err: unknown;
    try {
      parseConfigText(text, 'fix.yaml', missionSchema);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issue = (err as ConfigError).issues[0]!;
    expect(issue.path).toBe('workspace.verify.test.argv');
    expect(issue.line).toBe(9);
    expect(issue.message).toBe(
      'expected argv (a list), not a shell string: write ["npm", "test", "--", "--run"]',
    );
  });

  it('should say when the folder is missing, not a folder, or (for a non-root user) not writable', () => {
    const base = tempDir();
    expect(workspacePathIssues({ path: 'nope' }, base)).toEqual([
      { path: ['workspace', 'path'], message: `'${join(base, 'nope')}' does not exist` },
    ]);
    writeFileSync(join(base, 'file'), 'x');
    expect(workspacePathIssues({ path: 'file' }, base)[0]?.message).toContain('is not a folder');
    mkdirSync(join(base, 'repo'));
    expect(workspacePathIssues({ path: 'repo' }, base)).toEqual([]);
    expect(workspacePathIssues(undefined, base)).toEqual([]);
    chmodSync(join(base, 'repo'), 0o500);
    // Root writes anywhere: the check is the kernel's (access(2)), so only a user sees it refused.
    const expected =
      process.getuid?.() === 0
        ? []
        : [expect.objectContaining({ message: expect.stringContaining('not writable') })];
    expect(workspacePathIssues({ path: 'repo' }, base)).toEqual(expected);
  });
});

describe('a mission whose workspace folder is not there', () => {
  it('should be refused by validate and run with exit 2, at the line of workspace.path', async () => {
    const { main } = await import('../../cli/main.js');
    const { captureIo } = await import('../helpers/captureIo.js');
    const dir = tempDir();
    const file = join(dir, 'fix.yaml');
    writeFileSync(file, mission('  path: ./repo'));
    for (const argv of [
      ['validate', file],
      ['run', file, '--state-dir', join(dir, 'st')],
    ]) {
      const io = captureIo();
      expect(await main(argv, io), argv[0]).toBe(2);
      expect(io.stderr.join('\n')).toContain(
        `fix.yaml:7 workspace.path: '${join(dir, 'repo')}' does not exist`,
      );
    }
    mkdirSync(join(dir, 'repo'));
    const ok = captureIo();
    expect(await main(['validate', file], ok)).toBe(0);
  });
});
