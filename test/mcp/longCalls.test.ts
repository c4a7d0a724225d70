/**
 * Long tool calls: progress notifications keep coming while a call runs (the last one again
 * every interval, so a host's 60 s timeout never fires on a live call), and a call the client
 * cancels aborts the model calls it has in flight.
 */
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { serverFactory } from '../../mcp/toolServer.js';
import { callOk, type McpFixture, mcpFixture } from '../helpers/mcpFixture.js';

describe('maestro mcp, long calls', () => {
  let fx: McpFixture;
  let client: Client;
  beforeAll(async () => {
    fx = await mcpFixture();
    // the same tools, with progress every 100 ms instead of 5 s
    const factory = serverFactory(fx.open.tools, {
      version: 'test',
      logger: pino({ level: 'silent' }),
      progressEveryMs: 100,
    });
    const [c, s] = InMemoryTransport.createLinkedPair();
    await factory().connect(s);
    client = new Client({ name: 'host', version: '0' });
    await client.connect(c);
  });
  afterAll(async () => {
    await client.close();
    await fx.close();
    fx.remove();
  });

  it('should send progress while a slow call runs, growing, and the result after it', async () => {
    const seen: { progress: number; message?: string }[] = [];
    const r = await client.callTool(
      { name: 'ensemble', arguments: { agents: ['slow'], prompt: 'q' } },
      { onprogress: (p) => seen.push(p) },
    );
    expect(r.structuredContent).toMatchObject({ answers: [{ agent: 'slow', text: 'late' }] });
    // 1.5 s of model latency at one notification per 100 ms, then the answer's own
    expect(seen.length).toBeGreaterThanOrEqual(8);
    expect(seen.map((p) => p.progress)).toEqual(seen.map((_, i) => i + 1));
    expect(seen.at(-1)!.message).toBe('answers (1 of 1)');
  });

  it('should abort the model calls of a call the client cancels, and keep serving', async () => {
    const ask = vi.spyOn(fx.open.context.catalog, 'ask');
    const stop = new AbortController();
    const call = client.callTool(
      { name: 'vote', arguments: { agent: 'slow', prompt: 'q', k: 3 } },
      { signal: stop.signal },
    );
    await vi.waitFor(() => expect(ask).toHaveBeenCalledTimes(3));
    stop.abort();
    await expect(call).rejects.toThrow();
    await vi.waitFor(() => {
      for (const [, , options] of ask.mock.calls) expect(options.signal?.aborted).toBe(true);
    });
    ask.mockRestore();
    expect((await callOk(client, 'red_flag_check', { text: 'still here' })).answer).toBe(
      'still here',
    );
  });
});
