/**
 * `maestro mcp --http`: the tools over real HTTP on a random loopback port, in both protocol
 * eras, with progress notifications for a client that asks; away from loopback a bearer token is
 * required and a missing or wrong one is refused; on loopback a foreign Host is refused.
 */
import { request } from 'node:http';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type McpHttpServer, serveMcpHttp } from '../../mcp/mcpHttp.js';
import {
  CAREFUL_PATCH,
  callError,
  callOk,
  type McpFixture,
  mcpFixture,
} from '../helpers/mcpFixture.js';

const logger = pino({ level: 'silent' });

async function connect(
  url: string,
  options: { token?: string; auto?: boolean } = {},
): Promise<Client> {
  const client = new Client(
    { name: 'http-host', version: '0' },
    options.auto ? { versionNegotiation: { mode: 'auto' } } : {},
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      ...(options.token && {
        requestInit: { headers: { authorization: `Bearer ${options.token}` } },
      }),
    }),
  );
  return client;
}

describe('maestro mcp over Streamable HTTP', () => {
  let fx: McpFixture;
  let loopback: McpHttpServer;
  beforeAll(async () => {
    fx = await mcpFixture();
    loopback = await serveMcpHttp(fx.open.factory, { host: '127.0.0.1', port: 0, logger });
  });
  afterAll(async () => {
    await loopback.close();
    await fx.close();
    fx.remove();
  });

  it.each([false, true])(
    'should list and call the tools on loopback (2026 era: %s)',
    async (auto) => {
      const client = await connect(loopback.url, { auto });
      try {
        expect(client.getNegotiatedProtocolVersion()).toBe(auto ? '2026-07-28' : '2025-11-25');
        const { tools } = await client.listTools();
        expect(tools).toHaveLength(25);
        expect(
          (await callOk(client, 'calibrate', { steps: 100, target: 0.9, errorRate: 0.05 })).k,
        ).toBeGreaterThan(0);
        expect(
          (await callOk(client, 'patch_check', { workspace: fx.repo, patch: CAREFUL_PATCH })).ok,
        ).toBe(true);
        const verified = await callOk(client, 'verify', {
          workspace: fx.repo,
          argv: ['node', '--test', 'test/'],
        });
        expect(verified.counts).toMatchObject({ failed: 2 });
        const progress: string[] = [];
        const r = await client.callTool(
          { name: 'vote', arguments: { agent: 'sure', prompt: 'q', k: 2 } },
          { onprogress: (p) => progress.push(p.message ?? '') },
        );
        expect(r.structuredContent).toMatchObject({ outcome: 'decided', winner: '42' });
        expect(progress.length).toBeGreaterThan(0);
        expect(progress[0]).toMatch(/^samples, leader/);
        expect(await callError(client, 'nope', {})).toContain("unknown tool 'nope'");
      } finally {
        await client.close();
      }
    },
  );

  it('should refuse a request whose Host is not local (DNS rebinding)', async () => {
    // fetch may not set Host: node:http can
    const status = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
      const req = request(loopback.url, {
        method: 'POST',
        headers: {
          host: 'evil.example',
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(403);
  });

  it('should answer only /mcp', async () => {
    const res = await fetch(loopback.url.replace('/mcp', '/other'));
    expect(res.status).toBe(404);
  });

  it('should not start away from loopback without a token', async () => {
    await expect(
      serveMcpHttp(fx.open.factory, { host: '0.0.0.0', port: 0, logger }),
    ).rejects.toThrow('away from loopback a bearer token is required');
  });

  it('should refuse a missing or wrong token away from loopback, and serve the right one', async () => {
    const open = await serveMcpHttp(fx.open.factory, {
      host: '0.0.0.0',
      port: 0,
      logger,
      token: 'right-token-123',
    });
    try {
      const url = open.url.replace('0.0.0.0', '127.0.0.1');
      await expect(connect(url)).rejects.toThrow();
      await expect(connect(url, { token: 'wrong-token-123' })).rejects.toThrow();
      const raw = await fetch(url, {
        method: 'POST',
        headers: { authorization: 'Bearer wrong-token-123' },
      });
      expect(raw.status).toBe(401);
      const client = await connect(url, { token: 'right-token-123' });
      expect((await client.listTools()).tools).toHaveLength(25);
      await client.close();
    } finally {
      await open.close();
    }
  });
});
