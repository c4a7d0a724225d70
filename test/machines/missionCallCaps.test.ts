import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { LoggedEvent } from '../../log/eventLog.js';
import { mission, runAndRead } from '../helpers/missions.js';

const MiB = 1024 * 1024;
// Room for restarts at both levels: a failure that were restarted would show as more calls.
const roomy = { intensity: 5, periodMs: 60_000 };

const restarts = (events: LoggedEvent[]) =>
  events.filter((e) => e.type === 'supervisor.decision' && e.action === 'restart');
const calls = (events: LoggedEvent[]) => events.filter((e) => e.type === 'agent.call');

describe('a mission whose call is over a cap', () => {
  it('should fail at once on a 10 MiB stage prompt, with the size and the cap, before any call is made', async () => {
    const config = mission({
      providers: { x: { kind: 'scripted', responses: ['never asked'] } },
      agents: [{ id: 'a', provider: 'x' }],
      stages: [{ name: 's', prompt: '{{input}}', agents: ['a'], supervision: roomy }],
      supervision: roomy,
    });
    const started = performance.now();
    const { output, events } = await runAndRead(config, { input: 'y'.repeat(10 * MiB) });
    expect(output.status).toBe('failed');
    expect(output.error).toEqual({
      reason: 'non_retryable',
      message:
        "provider 'x': prompt of 10485760 bytes is over maxPromptBytes (1048576); shorten it or raise providers.x.maxPromptBytes (non-retryable: prompt_cap)",
    });
    expect(restarts(events)).toEqual([]);
    // The one attempt, refused before the transport: nothing was sent.
    expect(calls(events)).toMatchObject([
      { attempt: 0, ok: false, errorName: 'NonRetryableError' },
    ]);
    expect(calls(events)).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("should count the role with the prompt, against the provider's own maxPromptBytes", async () => {
    const config = mission({
      providers: { x: { kind: 'scripted', responses: ['ok'], maxPromptBytes: 100 } },
      agents: [{ id: 'a', provider: 'x', role: 'r'.repeat(60) }],
      stages: [{ name: 's', prompt: '{{input}}', agents: ['a'], supervision: roomy }],
      supervision: roomy,
    });
    const { output, events } = await runAndRead(config, { input: 'p'.repeat(41) });
    expect(output.error).toEqual({
      reason: 'non_retryable',
      message:
        "provider 'x': prompt of 101 bytes is over maxPromptBytes (100); shorten it or raise providers.x.maxPromptBytes (non-retryable: prompt_cap)",
    });
    expect(restarts(events)).toEqual([]);
  });

  it('should fail at once on a scripted answer over maxAnswerBytes (output_cap is non-retryable by default)', async () => {
    const config = mission({
      providers: { p: { kind: 'scripted', responses: ['z'.repeat(2_000)], maxAnswerBytes: 1_000 } },
      agents: [{ id: 'a', provider: 'p' }],
      stages: [{ name: 's', prompt: 'go', agents: ['a'], supervision: roomy }],
      supervision: roomy,
    });
    const { output, events } = await runAndRead(config);
    expect(output.error).toEqual({
      reason: 'non_retryable',
      message:
        "provider 'p': answer of more than 1000 bytes (maxAnswerBytes); raise providers.p.maxAnswerBytes if it is expected (non-retryable: output_cap)",
    });
    expect(restarts(events)).toEqual([]);
  });

  it('should restart an answer over the cap when nonRetryable leaves output_cap out', async () => {
    const config = mission({
      providers: {
        p: {
          kind: 'simulated',
          answers: ['w'.repeat(2_000)],
          maxAnswerTokens: 100,
          nonRetryable: [],
        },
      },
      agents: [{ id: 'a', provider: 'p' }],
      stages: [
        { name: 's', prompt: 'go', agents: ['a'], supervision: { intensity: 1, periodMs: 60_000 } },
      ],
      supervision: { intensity: 1, periodMs: 60_000 },
    });
    const { output, events } = await runAndRead(config);
    expect(output.error).toEqual({
      reason: 'reached_max_restart_intensity',
      message:
        "stage 's' gave up: reached_max_restart_intensity; last crash: agent/a: provider 'p': answer of 500 completion tokens is over 100 (maxAnswerTokens); raise providers.p.maxAnswerTokens if it is expected",
    });
    expect(restarts(events)).toHaveLength(1);
  });

  it('should say at once that an answer does not fit the transport, instead of the caller timing out', async () => {
    const config = mission({
      providers: { p: { kind: 'scripted', responses: ['q'.repeat(2 * MiB)] } },
      agents: [{ id: 'a', provider: 'p', timeoutMs: 60_000 }],
      stages: [{ name: 's', prompt: 'go', agents: ['a'], supervision: roomy }],
      supervision: roomy,
    });
    const started = performance.now();
    const { output, events } = await runAndRead(config);
    expect(output.error?.reason).toBe('non_retryable');
    expect(output.error?.message).toMatch(
      /^provider 'p': answer of 2097\d{3} bytes does not fit the transport's max payload \(1048576 bytes\); lower providers\.p\.maxAnswerBytes below it, or over NATS raise the server's max_payload \(non-retryable: output_cap\)$/,
    );
    expect(restarts(events)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('should fail at once, not hang, on a 100 MB answer from an OpenAI-compatible server (real SDK): one request', async () => {
    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      const pump = (): void => {
        while (!res.destroyed && sent < 100 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      const config = mission({
        providers: {
          big: { kind: 'openai', baseURL, apiKeyEnv: 'TEST_BIG_KEY', model: 'm', maxRetries: 2 },
        },
        agents: [{ id: 'a', provider: 'big' }],
        stages: [{ name: 's', prompt: 'go', agents: ['a'], supervision: roomy }],
        supervision: roomy,
      });
      const started = performance.now();
      const { output, events } = await runAndRead(config, {
        env: { TEST_BIG_KEY: 'sk-big-0123456789' },
      });
      expect(output.error).toEqual({
        reason: 'non_retryable',
        message:
          "provider 'big': answer of more than 4194304 bytes (maxAnswerBytes); raise providers.big.maxAnswerBytes if it is expected (non-retryable: output_cap)",
      });
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(requests).toBe(1);
      expect(restarts(events)).toEqual([]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
