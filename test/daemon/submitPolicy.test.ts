import { describe, expect, it } from 'vitest';
import { mission } from '../helpers/missions.js';
import {
  allowedEnv,
  CLOSED_POLICY,
  envAllowOf,
  parseAllowCli,
  submissionIssues,
  submitPolicySchema,
} from '../../daemon/submitPolicy.js';

const withCli = (p: Record<string, unknown>) =>
  mission({
    providers: { c: { kind: 'cli', command: '/usr/bin/tool', ...p } as never },
    agents: [{ id: 'a', provider: 'c' }],
    stages: [{ name: 's', prompt: 'p', agents: ['a'] }],
  });

describe('submission policy', () => {
  const withWorkspace = (workspace: Record<string, unknown>) =>
    mission({
      providers: { s: { kind: 'scripted', responses: ['x'] } },
      agents: [{ id: 'a', provider: 's' }],
      stages: [{ name: 's', prompt: 'p', agents: ['a'] }],
      workspace: { path: '/srv/repos/app', ...workspace } as never,
    });
  const test = { argv: ['npm', 'test'] };

  it('should refuse a workspace outside the directories the operator allows (none by default)', () => {
    const config = withWorkspace({ verify: { test } });
    expect(submissionIssues(config, CLOSED_POLICY)).toEqual([
      {
        path: ['workspace', 'path'],
        message:
          "a submitted mission's workspace must be an absolute path inside a directory the daemon allows (none; submissions.workspaces in the daemon config)",
      },
    ]);
    const open = { ...CLOSED_POLICY, workspaces: ['/srv/repos'] };
    expect(submissionIssues(config, open)).toEqual([]);
    expect(
      submissionIssues(withWorkspace({ path: '/srv/other' }), open).map((i) => i.path),
    ).toEqual([['workspace', 'path']]);
    // the allowed directory itself is a workspace it allows (maestro mcp's --root is one)
    expect(submissionIssues(withWorkspace({ path: '/srv/repos' }), open)).toEqual([]);
    expect(
      submissionIssues(withWorkspace({ path: '/srv/repos-other' }), open).map((i) => i.path),
    ).toEqual([['workspace', 'path']]);
    // a relative path would be the daemon's own folder: refused though it reads as inside
    expect(submissionIssues(withWorkspace({ path: 'repos/app' }), open).map((i) => i.path)).toEqual(
      [['workspace', 'path']],
    );
  });

  it('should keep a submitted workspace in bubblewrap, off the network, away from secrets', () => {
    const open = { ...CLOSED_POLICY, workspaces: ['/srv/repos'], env: ['CI'] };
    const config = withWorkspace({
      sandbox: { kind: 'none', env: ['PATH', 'OPENAI_API_KEY', 'CI'] },
      verify: { test: { ...test, network: true, env: ['AWS_SECRET_ACCESS_KEY'] } },
    });
    expect(submissionIssues(config, open).map((i) => i.path.join('.'))).toEqual([
      'workspace.sandbox.kind',
      'workspace.sandbox.env.1',
      'workspace.verify.test.network',
      'workspace.verify.test.env.0',
    ]);
  });

  it('should refuse a submitted cli provider that loosens its worktree sandbox', () => {
    const policy = {
      ...CLOSED_POLICY,
      cli: [{ command: '/usr/bin/tool', args: [], env: ['PATH'] }],
    };
    const loose = withCli({ envAllowlist: ['PATH'], sandbox: { readOnly: ['/root/.ssh'] } });
    expect(submissionIssues(loose, policy).map((i) => i.path.join('.'))).toEqual([
      'providers.c.sandbox',
    ]);
    const tight = withCli({ envAllowlist: ['PATH'], sandbox: { network: false } });
    expect(submissionIssues(tight, policy)).toEqual([]);
  });

  it('should allow nothing by default: no command, no variable', () => {
    expect(submitPolicySchema.parse({})).toEqual(CLOSED_POLICY);
    expect(submissionIssues(withCli({}), CLOSED_POLICY).map((i) => i.path.join('.'))).toEqual([
      'providers.c.command',
    ]);
    expect(envAllowOf(CLOSED_POLICY).has('HOME')).toBe(false);
    expect(
      allowedEnv({ HOME: '/root', A: '1' }, { ...CLOSED_POLICY, env: ['A', 'UNSET'] }),
    ).toEqual({ A: '1' });
  });

  it('should match a command by its exact path and args, and hold its envAllowlist and cwd to the entry', () => {
    const policy = submitPolicySchema.parse({
      cli: [{ command: '/usr/bin/tool', args: ['{prompt}'], env: ['PATH'], cwd: '/srv/work' }],
    });
    expect(
      submissionIssues(withCli({ args: ['{prompt}'], envAllowlist: ['PATH'] }), policy),
    ).toEqual([]);
    expect(
      submissionIssues(
        withCli({ args: ['{prompt}'], envAllowlist: ['PATH'], cwd: '/srv/work' }),
        policy,
      ),
    ).toEqual([]);
    expect(
      submissionIssues(
        withCli({ args: ['{prompt}'], envAllowlist: ['PATH', 'HOME'], cwd: '/' }),
        policy,
      ).map((i) => i.message),
    ).toEqual([
      "provider 'c': cli command '/usr/bin/tool' may not see 'HOME' (the daemon gives it 'PATH'; set envAllowlist to those, or allow more in submissions.cli[].env)",
      "provider 'c': cwd '/' is not allowed for submitted missions (the daemon allows '/srv/work')",
    ]);
    expect(
      submissionIssues(withCli({ command: 'tool', args: ['{prompt}'] }), policy)[0]!.message,
    ).toContain("cli command 'tool' is not allowed");
  });

  it("should hold a submitted provider's own caps to the daemon's ceilings", () => {
    const big = mission({
      providers: {
        s: {
          kind: 'scripted',
          responses: ['x'],
          maxAnswerBytes: 1e8,
          maxPromptBytes: 2e6,
        } as never,
      },
      agents: [{ id: 'a', provider: 's' }],
      stages: [{ name: 's', prompt: 'p', agents: ['a'] }],
    });
    expect(submissionIssues(big, CLOSED_POLICY).map((i) => [i.path.join('.'), i.message])).toEqual([
      [
        'providers.s.maxAnswerBytes',
        "provider 's': maxAnswerBytes 100000000 is over the daemon's ceiling for submitted missions (4194304; submissions.maxAnswerBytes in the daemon config)",
      ],
      [
        'providers.s.maxPromptBytes',
        "provider 's': maxPromptBytes 2000000 is over the daemon's ceiling for submitted missions (1048576; submissions.maxPromptBytes in the daemon config)",
      ],
    ]);
    expect(
      submissionIssues(big, submitPolicySchema.parse({ maxAnswerBytes: 1e8, maxPromptBytes: 2e6 })),
    ).toEqual([]);
    expect(
      submissionIssues(
        withCli({ maxOutputBytes: 5e6 }),
        submitPolicySchema.parse({ cli: [{ command: '/usr/bin/tool' }] }),
      ).map((i) => i.path.join('.')),
    ).toEqual(['providers.c.maxOutputBytes']);
  });

  it('should read --allow-cli as an absolute command and its exact args', () => {
    expect(parseAllowCli('/usr/bin/codex exec {prompt}')).toEqual({
      command: '/usr/bin/codex',
      args: ['exec', '{prompt}'],
      env: ['PATH', 'HOME', 'LANG'],
    });
    expect(() => parseAllowCli('codex exec')).toThrow('expected an absolute path');
  });
});
