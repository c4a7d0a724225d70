/**
 * A coding CLI run in a candidate's worktree, inside the real sandbox (bubblewrap) on a real git
 * repository: what it edits there is the candidate, read back as `git diff`; it cannot write the
 * state dir, the user's tree or the home, cannot read the user's tree or a key it was not
 * allowed, and reaches the network only while its config keeps the default `network: true`.
 */
import { createServer, type Server } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { candidateFromCli } from '../../../actors/coding/cliCandidate.js';
import { CliProvider } from '../../../actors/providers/cli.js';
import { CliExitError, CliSpawnError } from '../../../actors/providers/errors.js';
import { cliProviderSchema } from '../../../config/providers.js';
import { Workspace } from '../../../workspace/workspace.js';
import { gitRepo, readTree, tempDir } from '../../workspace/workspaceRepo.js';

const HOST_ENV = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/root',
  LANG: 'C',
  OPENAI_API_KEY: 'sk-test-not-for-the-cli',
  CLI_TOKEN: 'token-the-cli-may-see',
};

/**
 * The coding CLI: reads its task (JSON) on stdin, edits src/a.txt and adds added.txt in its cwd,
 * then tries every escape the task names and prints a report of what happened.
 */
const CODER = `
const fs = require('node:fs'); const net = require('node:net'); const cp = require('node:child_process');
const task = JSON.parse(fs.readFileSync(0, 'utf8'));
const report = { cwd: process.cwd(), wrote: {}, read: {}, env: {} };
if (task.edit) {
  fs.writeFileSync('src/a.txt', fs.readFileSync('src/a.txt', 'utf8').replace('old', 'new'));
  fs.writeFileSync('added.txt', 'made by the cli\\n');
}
for (const p of task.writeTo) {
  try { fs.writeFileSync(p, 'escaped'); report.wrote[p] = 'ok'; } catch (e) { report.wrote[p] = e.code; }
}
for (const p of task.readFrom) {
  try { fs.readFileSync(p); report.read[p] = 'ok'; } catch (e) { report.read[p] = e.code; }
}
for (const v of ['OPENAI_API_KEY', 'CLI_TOKEN']) report.env[v] = process.env[v] ?? null;
try { report.gitDiff = cp.execFileSync('git', ['diff', '--stat'], { encoding: 'utf8' }); }
catch (e) { report.gitDiff = 'failed: ' + e.message; }
const s = net.connect(task.port, '127.0.0.1');
s.on('connect', () => { report.net = 'connected'; s.destroy(); done(); });
s.on('error', (e) => { report.net = e.code; done(); });
function done() { process.stdout.write(JSON.stringify(report)); if (task.exit) process.exit(task.exit); }
`;

let server: Server;
let port = 0;
// The repositories and state dirs outside /tmp, which the sandbox replaces anyway: what hides
// them from the CLI is the confinement, not the private /tmp.
const outside = mkdtempSync('/var/tmp/maestro-cli-candidate-');
const tmpBefore = process.env.TMPDIR;
process.env.TMPDIR = outside;
afterAll(() => {
  if (tmpBefore === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmpBefore;
  rmSync(outside, { recursive: true, force: true });
});
beforeAll(async () => {
  server = createServer((s) => {
    s.on('error', () => {}); // the CLI hangs up at once: a reset is no news here
    s.end('hello from the host\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const opened: Workspace[] = [];
afterEach(() => {
  for (const ws of opened.splice(0)) ws.close();
});

function coder(sandbox: Record<string, unknown> = {}): CliProvider {
  const config = cliProviderSchema.parse({
    kind: 'cli',
    command: 'node',
    args: ['-e', CODER],
    envAllowlist: ['PATH', 'HOME', 'LANG', 'CLI_TOKEN'],
    timeoutMs: 30_000,
    sandbox,
  });
  return new CliProvider('coder', config, HOST_ENV);
}

async function setUp() {
  const root = gitRepo({ 'src/a.txt': 'old line\n', 'README.md': '# r\n' });
  const stateDir = tempDir('maestro-state-');
  const ws = await Workspace.open(root, { stateDir, mission: 'm1' });
  opened.push(ws);
  const task = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      edit: true,
      port,
      writeTo: [
        join(stateDir, 'planted.txt'),
        join(root, 'planted.txt'),
        join(HOST_ENV.HOME, 'planted.txt'),
        '/etc/planted.txt',
      ],
      readFrom: [join(root, 'README.md'), join(stateDir, 'workspaces')],
      ...extra,
    });
  return { root, stateDir, ws, task };
}

describe('a coding CLI in a candidate worktree', () => {
  it('should make its edits the candidate, confined to the worktree, the user tree untouched', async () => {
    const { root, stateDir, ws, task } = await setUp();
    const before = readTree(root);
    const made = await candidateFromCli({
      workspace: ws,
      name: 'cli-1',
      provider: coder(),
      request: { prompt: task() },
    });
    if (!made.ok) throw new Error(`expected a candidate, got ${made.reason}`);
    expect(made.edit.changes.map((c) => c.path).sort()).toEqual(['added.txt', 'src/a.txt']);
    expect(made.edit.stats).toEqual({ files: 2, added: 2, removed: 1 });
    expect(made.edit.diff).toContain('-old line');
    expect(made.edit.diff).toContain('+new line');

    const report = JSON.parse(made.answer.text);
    expect(report.cwd).toBe(made.candidate.dir);
    expect(made.candidate.dir.startsWith(outside)).toBe(true);
    for (const [path, outcome] of Object.entries(report.wrote))
      expect([path, outcome]).toEqual([path, expect.stringMatching(/^E(ROFS|NOENT|ACCES)$/)]);
    for (const [path, outcome] of Object.entries(report.read))
      expect([path, outcome]).toEqual([path, 'ENOENT']);
    expect(report.env).toEqual({ OPENAI_API_KEY: null, CLI_TOKEN: 'token-the-cli-may-see' });
    expect(report.gitDiff).toContain('src/a.txt');
    expect(report.net).toBe('connected');

    // nothing escaped: the user's tree byte for byte, nothing planted in the state dir
    expect(readTree(root)).toEqual(before);
    expect(existsSync(join(stateDir, 'planted.txt'))).toBe(false);
    expect(existsSync(join(root, 'planted.txt'))).toBe(false);
    expect(readFileSync(join(made.candidate.dir, 'src/a.txt'), 'utf8')).toBe('new line\n');
  });

  it('should keep it off the network when its config says network: false', async () => {
    const { ws, task } = await setUp();
    const made = await candidateFromCli({
      workspace: ws,
      name: 'offline',
      provider: coder({ network: false }),
      request: { prompt: task() },
    });
    if (!made.ok) throw new Error(`expected a candidate, got ${made.reason}`);
    expect(JSON.parse(made.answer.text).net).toMatch(/^E(NETUNREACH|CONNREFUSED)$/);
  });

  it('should say no_op and remove the worktree when the CLI changed nothing', async () => {
    const { ws, stateDir, task } = await setUp();
    const made = await candidateFromCli({
      workspace: ws,
      name: 'idle',
      provider: coder(),
      request: { prompt: task({ edit: false }) },
    });
    expect(made).toMatchObject({ ok: false, reason: 'no_op', name: 'idle' });
    expect(ws.candidates()).toEqual([]);
    expect(readdirSync(join(stateDir, 'worktrees', 'm1'))).toEqual([]);
  });

  it("should fail with the CLI's own error and remove the worktree when it exits non-zero", async () => {
    const { ws, task } = await setUp();
    const err = await candidateFromCli({
      workspace: ws,
      name: 'broken',
      provider: coder(),
      request: { prompt: task({ exit: 3 }) },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliExitError);
    expect((err as CliExitError).exitCode).toBe(3);
    expect(ws.candidates()).toEqual([]);
  });

  it('should say a command the sandbox cannot find is a spawn error', async () => {
    const { ws } = await setUp();
    const config = cliProviderSchema.parse({ kind: 'cli', command: 'no-such-coding-cli' });
    const err = await candidateFromCli({
      workspace: ws,
      name: 'missing',
      provider: new CliProvider('ghost', config, HOST_ENV),
      request: { prompt: 'fix it' },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliSpawnError);
    expect((err as Error).message).toContain('no-such-coding-cli');
  });
});
