/**
 * `maestro mcp` as a host starts it: a child process on stdio. Its stdout carries JSON-RPC and
 * nothing else (every byte parses), its log goes to stderr; and a host-style session with the
 * SDK's client lists the tools, runs a verification, starts the bugfix workflow, answers its
 * gates — one of them after the server was SIGKILLed and started again on the same state dir —
 * and reads the evidence chain: nothing lost, nothing done twice.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, describe, expect, it } from 'vitest';
import { trackChild } from '../helpers/childProcesses.js';
import { eventually } from '../helpers/eventually.js';
import { callOk, mcpFiles, REPO_ROOT, TEST_ENV } from '../helpers/mcpFixture.js';

const DEV = join(REPO_ROOT, 'cli/dev.js');
const TEST = ['node', '--test', 'test/'];
const files = mcpFiles();
const servers: number[] = [];
afterAll(() => {
  for (const pid of servers)
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  rmSync(files.dir, { recursive: true, force: true });
});

function args(): string[] {
  return [
    DEV,
    'mcp',
    '--root',
    files.root,
    '--agents',
    files.agentsFile,
    '--state-dir',
    files.stateDir,
    '--log-level',
    'debug',
  ];
}

async function host(): Promise<{ client: Client; pid: number; stderr: () => string }> {
  let err = '';
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: args(),
    stderr: 'pipe',
    cwd: REPO_ROOT,
    // what a host gives: its few variables, and the agents file's key
    env: { ...getDefaultEnvironment(), ...TEST_ENV },
  });
  transport.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const client = new Client({ name: 'host', version: '0' });
  await client.connect(transport);
  servers.push(transport.pid!);
  return { client, pid: transport.pid!, stderr: () => err };
}

describe('maestro mcp over stdio, spawned', () => {
  it('should write nothing but JSON-RPC to stdout, and its log to stderr', async () => {
    const child = spawn(process.execPath, args(), {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    trackChild(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const send = (m: unknown) => child.stdin.write(`${JSON.stringify(m)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'raw', version: '0' },
      },
    });
    await eventually(() => expect(out).toContain('"id":1'), 20_000);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    // a line that is not JSON-RPC is dropped, said on stderr, and the server goes on
    child.stdin.write('{"not": "json-rpc"}\n');
    send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'calibrate', arguments: { steps: 10, target: 0.9, errorRate: 0.1 } },
    });
    // a mission makes the daemon log (debug, to stderr), and a bad call makes an error result
    send({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'mission_run', arguments: { path: join(files.root, 'hello.yaml') } },
    });
    send({
      jsonrpc: '2.0',
      id: 4,
      method: 'tools/call',
      params: { name: 'verify', arguments: { workspace: '/', argv: ['ls'] } },
    });
    await eventually(() => expect(out).toContain('"id":4'), 20_000);
    await new Promise((r) => setTimeout(r, 500));
    child.stdin.end();
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines.at(-1)).toBe('');
    for (const line of lines.slice(0, -1))
      expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    const ids = lines.slice(0, -1).map((l) => (JSON.parse(l) as { id?: number }).id);
    expect(ids.sort()).toEqual([1, 2, 3, 4]);
    expect(err).toContain('maestro mcp: 25 tools over stdio');
    expect(err).toContain('maestro mcp: stdio: a message was dropped');
    expect(err.split('\n').length).toBeGreaterThan(3);
  });

  it('should carry a host-style session through a kill -9 of the server: verify, the workflow, its gates, the evidence', async () => {
    let h = await host();
    expect((await h.client.listTools()).tools).toHaveLength(25);
    const red = await callOk(h.client, 'verify', { workspace: files.repo, argv: TEST });
    expect(red).toMatchObject({ ok: false, counts: { passed: 1, failed: 2 } });
    const started = await callOk(h.client, 'workflow_start', {
      workspace: files.repo,
      task: 'sumRange in src/range.js gives wrong sums; its tests fail. Fix it.',
      agent: 'lead',
      implementers: ['careful', 'hasty', 'sloppy'],
      test: TEST,
    });
    const mission = started.id as string;
    const gate = async (stage: string) => {
      let id = '';
      await eventually(async () => {
        const { approvals } = (await callOk(h.client, 'approvals_pending', { mission })) as {
          approvals: { id: string; stage: string }[];
        };
        expect(approvals.map((a) => a.stage)).toEqual([stage]);
        id = approvals[0]!.id;
      }, 30_000);
      return id;
    };
    const analyze = await gate('fix.analyze');
    await callOk(h.client, 'approval_submit', { id: analyze, decision: 'approve' });
    const hypothesize = await gate('fix.hypothesize');
    // the server dies while the gate waits; the host starts it again
    process.kill(h.pid, 'SIGKILL');
    await h.client.close().catch(() => undefined);
    h = await host();
    expect(await gate('fix.hypothesize')).toBe(hypothesize);
    const answered = await callOk(h.client, 'approval_submit', {
      id: hypothesize,
      decision: 'approve',
    });
    expect(answered).toMatchObject({ alreadyAnswered: false, approval: { status: 'approved' } });
    await callOk(h.client, 'approval_submit', {
      id: await gate('fix.implement'),
      decision: 'approve',
    });
    await callOk(h.client, 'approval_submit', {
      id: await gate('fix.improve'),
      decision: 'approve',
    });
    await eventually(async () => {
      expect((await callOk(h.client, 'mission_status', { id: mission })).state).toBe('succeeded');
    }, 30_000);
    const { decisions } = (await callOk(h.client, 'evidence_chain', { mission, limit: 500 })) as {
      decisions: {
        type: string;
        stage?: string;
        chosen?: string;
        selection?: { chosen?: string };
      }[];
    };
    expect(decisions.filter((d) => d.type === 'approval.answered')).toHaveLength(4);
    expect(decisions.filter((d) => d.type === 'approval.requested')).toHaveLength(4);
    expect(decisions.some((d) => d.type === 'workflow.selection')).toBe(true);
    // nothing done twice: each phase asked its model once, each stage finished once
    const log = readFileSync(join(files.stateDir, 'missions', `${mission}.jsonl`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(
        (l) =>
          JSON.parse(l) as {
            type: string;
            phase?: string;
            stage?: string;
            data?: { type: string; phase?: string };
          },
      );
    const body = (e: (typeof log)[number]) =>
      (e.data ?? e) as { type: string; phase?: string; stage?: string };
    const phases = log
      .map(body)
      .filter((e) => e.type === 'genius.phase')
      .map((e) => e.phase);
    expect(phases.filter((p) => p === 'workflowAnalyze')).toHaveLength(1);
    expect(phases.filter((p) => p === 'workflowHypothesize')).toHaveLength(1);
    expect(phases.filter((p) => p === 'workflowImplement')).toHaveLength(3);
    const finished = log
      .map(body)
      .filter((e) => e.type === 'stage.finished')
      .map((e) => e.stage);
    expect(new Set(finished).size).toBe(finished.length);
    expect(log.map(body).some((e) => e.type === 'mission.resumed')).toBe(true);
    // the tests pass in the user's tree: the patch went in once
    expect((await callOk(h.client, 'verify', { workspace: files.repo, argv: TEST })).ok).toBe(true);
    await h.client.close();
  }, 120_000);
});
