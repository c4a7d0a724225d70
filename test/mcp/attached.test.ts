/**
 * `maestro mcp --daemon URL`: the mission tools on a running daemon, over its HTTP API, instead
 * of a daemon of the server's own: a mission started, its gate listed, read and answered, its
 * events paged from the daemon's event stream, its decisions read, and another stopped.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { Client as SdkClient } from '@modelcontextprotocol/client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMcp, type OpenMcp } from '../../mcp/mcpServer.js';
import { daemonToken, serveDaemon, type ServedDaemon } from '../helpers/daemonServer.js';
import { eventually } from '../helpers/eventually.js';
import { callOk, mcpFiles } from '../helpers/mcpFixture.js';

describe('maestro mcp attached to a running daemon', () => {
  const files = mcpFiles();
  let served: ServedDaemon;
  let open: OpenMcp;
  let client: Client;
  beforeAll(async () => {
    served = await serveDaemon({ submitPolicy: { paths: [files.root], workspaces: [files.root] } });
    mkdirSync(files.stateDir, { recursive: true });
    open = await openMcp({
      stateDir: files.stateDir,
      roots: [files.root],
      agentsFile: files.agentsFile,
      daemon: { url: served.server.url, token: daemonToken },
      logger: pino({ level: 'silent' }),
      version: 'test',
    });
    const [c, s] = InMemoryTransport.createLinkedPair();
    await open.factory().connect(s);
    client = new SdkClient({ name: 'host', version: '0' });
    await client.connect(c);
  });
  afterAll(async () => {
    await client.close();
    await open.close();
    await served.close();
    rmSync(files.dir, { recursive: true, force: true });
  });

  it('should run a mission on the daemon and answer its gate through the tools', async () => {
    const started = await callOk(client, 'mission_run', {
      path: join(files.root, 'approval.yaml'),
    });
    expect(started.where).toBe(
      served.server.url.endsWith('/') ? served.server.url : `${served.server.url}/`,
    );
    const mission = started.id as string;
    // the daemon itself knows it: the server holds no mission of its own
    expect(served.daemon.status(mission).name).toBe('approval');
    let id = '';
    await eventually(async () => {
      const { approvals } = (await callOk(client, 'approvals_pending', { mission })) as {
        approvals: { id: string }[];
      };
      expect(approvals).toHaveLength(1);
      id = approvals[0]!.id;
    }, 20_000);
    const report = await callOk(client, 'stage_report', { mission, stage: 'plan' });
    expect(report).toMatchObject({ status: 'waiting', approval: id });
    expect(String(report.report)).toContain('Plan: add GET /health');
    const answer = await callOk(client, 'approval_submit', {
      id,
      decision: 'reject',
      feedback: 'shorter',
    });
    expect(answer).toMatchObject({ approval: { status: 'rejected', feedback: 'shorter' } });
    await eventually(async () => {
      const { approvals } = (await callOk(client, 'approvals_pending', { mission })) as {
        approvals: { id: string }[];
      };
      expect(approvals).toHaveLength(1);
      expect(approvals[0]!.id).not.toBe(id);
      id = approvals[0]!.id;
    }, 20_000);
    await callOk(client, 'approval_submit', { id, decision: 'approve' });
    await eventually(async () => {
      expect((await callOk(client, 'mission_status', { id: mission })).state).toBe('succeeded');
    }, 20_000);
    const page = (await callOk(client, 'mission_events', { id: mission, limit: 3 })) as {
      events: { seq: number }[];
      nextSeq: number;
    };
    expect(page.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    const rest = (await callOk(client, 'mission_events', {
      id: mission,
      afterSeq: page.nextSeq,
      limit: 500,
    })) as {
      events: { seq: number; type: string }[];
    };
    expect(rest.events[0]!.seq).toBe(4);
    expect(rest.events.at(-1)!.type).toBe('mission.finished');
    const { decisions } = (await callOk(client, 'evidence_chain', { mission })) as {
      decisions: { type: string }[];
    };
    expect(decisions.map((d) => d.type).filter((t) => t.startsWith('approval.'))).toEqual([
      'approval.requested',
      'approval.answered',
      'approval.requested',
      'approval.answered',
    ]);
    const history = (await callOk(client, 'approval_history', { mission })) as {
      approvals: { status: string }[];
    };
    expect(history.approvals.map((a) => a.status)).toEqual(['rejected', 'approved']);
  });

  it('should stop a mission on the daemon', async () => {
    const started = await callOk(client, 'mission_run', {
      path: join(files.root, 'approval.yaml'),
    });
    await eventually(async () => {
      expect((await callOk(client, 'mission_status', { id: started.id })).state).toBe(
        'awaiting_approval',
      );
    }, 20_000);
    await callOk(client, 'mission_stop', { id: started.id });
    await eventually(async () => {
      expect((await callOk(client, 'mission_status', { id: started.id })).state).toBe('stopped');
    }, 20_000);
  });
});
