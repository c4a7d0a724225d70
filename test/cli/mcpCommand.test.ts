/**
 * `maestro mcp`'s flags as a person or a host gives them: a refusal before anything starts (a
 * token without --http, no token away from loopback, no --root from / or the home, a state dir
 * another server holds), and --http on loopback making a bearer token of its own, kept in the
 * state dir (0600) and required of every request.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, describe, expect, it } from 'vitest';
import { trackChild } from '../helpers/childProcesses.js';
import { eventually } from '../helpers/eventually.js';
import { mcpFiles, REPO_ROOT } from '../helpers/mcpFixture.js';
import { rmSync } from 'node:fs';

const DEV = join(REPO_ROOT, 'cli/dev.js');
const files = mcpFiles();
afterAll(() => rmSync(files.dir, { recursive: true, force: true }));

function mcp(args: string[], cwd = REPO_ROOT) {
  return spawnSync(process.execPath, [DEV, 'mcp', ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
    input: '',
  });
}

describe('maestro mcp flags', () => {
  it('should refuse --token without --http, and --http away from loopback without a token, starting nothing', () => {
    const state = join(files.dir, 'never');
    const a = mcp(['--root', files.root, '--state-dir', state, '--token', 'x']);
    expect(a.status).toBe(2);
    expect(a.stderr).toContain('--token is the bearer token of --http');
    const b = mcp(['--root', files.root, '--state-dir', state, '--http', '0.0.0.0:0']);
    expect(b.status).toBe(2);
    expect(b.stderr).toContain('away from loopback a bearer token is required');
    expect(a.stdout + b.stdout).toBe('');
    expect(existsSync(state)).toBe(false);
  });

  it.each([
    ['/', 'the root of the disk'],
    [homedir(), 'your home'],
  ])('should want a --root when started in %s', (cwd, what) => {
    const r = mcp(['--state-dir', join(files.dir, 'never')], cwd);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      `the current directory is ${what}: name the folders the tools may touch with --root DIR`,
    );
  });

  it('should say what to do when another server holds the state dir', async () => {
    const state = join(files.dir, 'held');
    const first = spawn(
      process.execPath,
      [DEV, 'mcp', '--root', files.root, '--state-dir', state],
      {
        cwd: REPO_ROOT,
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    trackChild(first);
    let err = '';
    first.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    await eventually(() => expect(err).toContain('tools over stdio'), 20_000);
    const second = mcp(['--root', files.root, '--state-dir', state]);
    expect(second.status).toBe(2);
    expect(second.stderr).toContain(`is in use by maestro pid ${first.pid}`);
    expect(second.stderr).toContain(
      'give this one its own --state-dir, or run one maestro daemon and start each with --daemon URL',
    );
    first.stdin.end();
    expect(await new Promise((r) => first.once('exit', r))).toBe(0);
  });

  it('should make a bearer token for --http on loopback, keep it 0600 and require it', async () => {
    const state = join(files.dir, 'http');
    mkdirSync(state, { recursive: true });
    const child = spawn(
      process.execPath,
      [DEV, 'mcp', '--root', files.root, '--state-dir', state, '--http', '127.0.0.1:0'],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    trackChild(child);
    let err = '';
    let out = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await eventually(() => expect(err).toContain('bearer token in'), 20_000);
    const file = join(state, 'mcp.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const { url, token } = JSON.parse(readFileSync(file, 'utf8')) as { url: string; token: string };
    expect(err).not.toContain(token);
    expect((await fetch(url, { method: 'POST' })).status).toBe(401);
    const client = new Client({ name: 'host', version: '0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    expect((await client.listTools()).tools).toHaveLength(25);
    await client.close();
    child.kill('SIGTERM');
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
    expect(out).toBe('');
  });
});
