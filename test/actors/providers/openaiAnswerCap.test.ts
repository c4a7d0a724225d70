import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openaiProviderSchema, type ProviderConfigInput } from '../../../config/providers.js';
import { createProvider } from '../../../actors/providers/createProvider.js';
import {
  ProviderAnswerCapError,
  ProviderHttpError,
  ProviderTimeoutError,
} from '../../../actors/providers/errors.js';

const env = { MAESTRO_TEST_KEY: 'sk-cap-test-0123456789' };
const MB = 1024 * 1024;

/** A server that answers every request with `handler`, and counts what it managed to send. */
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

/** Writes the start of a completion whose content never ends, as fast as the client reads, until `total` bytes or the client goes. */
function flood(res: ServerResponse, total: number, sent: { bytes: number; closed: boolean }): void {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  res.on('close', () => (sent.closed = true));
  res.write('{"choices":[{"index":0,"message":{"role":"assistant","content":"');
  const pump = (): void => {
    while (!res.destroyed && sent.bytes < total) {
      sent.bytes += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end('"}}]}');
  };
  pump();
}

function provider(baseURL: string, extra: Partial<ProviderConfigInput> = {}) {
  const config = openaiProviderSchema.parse({
    kind: 'openai',
    baseURL,
    apiKeyEnv: 'MAESTRO_TEST_KEY',
    model: 'm',
    maxRetries: 0,
    ...extra,
  });
  return createProvider('big', config, { env });
}

describe('openai answer caps (local server, real SDK)', () => {
  it('should refuse a 100 MB answer with a Content-Length at once, before reading it, with memory bounded', async () => {
    const sent = { bytes: 0, closed: false };
    const url = await serve((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': String(100 * MB),
      });
      flood(res, 100 * MB, sent);
    });
    const before = process.memoryUsage();
    const started = performance.now();
    const err = await provider(url)
      .complete({ prompt: 'hi' })
      .catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(err).toBeInstanceOf(ProviderAnswerCapError);
    expect((err as Error).message).toBe(
      "provider 'big': answer of more than 4194304 bytes (maxAnswerBytes); raise providers.big.maxAnswerBytes if it is expected",
    );
    expect(err).toMatchObject({
      kind: 'output_cap',
      retryable: false,
      nonRetryable: true,
      limit: 4 * MB,
      setting: 'maxAnswerBytes',
    });
    expect(elapsed).toBeLessThan(2_000);
    const after = process.memoryUsage();
    expect(after.rss - before.rss).toBeLessThan(100 * MB);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(50 * MB);
    await expect.poll(() => sent.closed).toBe(true);
    // What the kernel's socket buffers took before the client hung up, far short of the 100 MB.
    expect(sent.bytes).toBeLessThan(32 * MB);
  });

  it('should cut a body with no Content-Length that streams forever once more than the cap has come', async () => {
    const sent = { bytes: 0, closed: false };
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      flood(res, Infinity, sent);
    });
    const before = process.memoryUsage().rss;
    const err = await provider(url, { maxAnswerBytes: MB })
      .complete({ prompt: 'hi' })
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      "provider 'big': answer of more than 1048576 bytes (maxAnswerBytes); raise providers.big.maxAnswerBytes if it is expected",
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * MB);
    await expect.poll(() => sent.closed).toBe(true);
    expect(sent.bytes).toBeLessThan(32 * MB);
  });

  it("should end a body that trickles past the timeout (the SDK's own timeout stops at the headers)", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"choices":[');
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(' ')), 50);
      res.on('close', () => clearInterval(t));
    });
    const started = performance.now();
    const err = await provider(url, { timeoutMs: 400 })
      .complete({ prompt: 'hi' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderTimeoutError);
    expect((err as Error).message).toBe(
      "provider 'big': timed out after 400 ms: the body was still arriving",
    );
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("should bound an error status's body as well: the SDK reads it, the cap stops it", async () => {
    const sent = { bytes: 0, closed: false };
    const url = await serve((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      flood(res, Infinity, sent);
    });
    const err = await provider(url, { maxAnswerBytes: MB })
      .complete({ prompt: 'hi' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect((err as Error).message).toBe(
      "provider 'big': http 500: provider 'big': answer of more than 1048576 bytes (maxAnswerBytes); raise providers.big.maxAnswerBytes if it is expected",
    );
    await expect.poll(() => sent.closed).toBe(true);
  });

  it('should take an answer under the cap whole', async () => {
    const content = 'x'.repeat(MB);
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          choices: [{ index: 0, message: { role: 'assistant', content } }],
          usage: { prompt_tokens: 1, completion_tokens: 2 },
        }),
      );
    });
    const r = await provider(url, { maxAnswerBytes: MB + 1000 }).complete({ prompt: 'hi' });
    expect(r.text).toBe(content);
  });

  it('should ask for no more than maxAnswerTokens and refuse an answer that reports more', async () => {
    const asked: unknown[] = [];
    const url = await new Promise<string>((resolve) => {
      server = createServer((req, res) => {
        let raw = '';
        req.on('data', (c: Buffer) => (raw += c.toString()));
        req.on('end', () => {
          asked.push((JSON.parse(raw) as { max_tokens?: number }).max_tokens);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              choices: [{ index: 0, message: { role: 'assistant', content: 'long' } }],
              usage: { prompt_tokens: 1, completion_tokens: 5000 },
            }),
          );
        });
      });
      server.listen(0, '127.0.0.1', () =>
        resolve(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/v1`),
      );
    });
    const p = provider(url, { maxAnswerTokens: 100 });
    const capped = await p.complete({ prompt: 'hi', maxTokens: 500 }).catch((e: unknown) => e);
    expect((capped as Error).message).toBe(
      "provider 'big': answer of 5000 completion tokens is over 100 (maxAnswerTokens); raise providers.big.maxAnswerTokens if it is expected",
    );
    const ignored = await provider(url)
      .complete({ prompt: 'hi', maxTokens: 50 })
      .catch((e: unknown) => e);
    expect((ignored as Error).message).toBe(
      "provider 'big': answer of 5000 completion tokens is over the call's maxTokens (50): the server did not honour max_tokens",
    );
    expect(asked).toEqual([100, 50]);
  });
});
