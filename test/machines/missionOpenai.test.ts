import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../actors/providers/random.js';
import { hanoiSimulatedAnswer } from '../../actors/tasks/hanoiSimulator.js';
import { mission, runAndRead } from '../helpers/missions.js';

const KEY = 'sk-mission-test-key-0123456789';

async function fakeOpenAI(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
) {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}

let close: (() => void) | undefined;
afterEach(() => close?.());

describe('a mission on an OpenAI-compatible endpoint (local server, real SDK)', () => {
  it("should fail at once on a 401, with the provider's message first: no restart at any level", async () => {
    let calls = 0;
    const { server, url } = await fakeOpenAI((_req, res) => {
      calls++;
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Incorrect API key provided' } }));
    });
    close = () => server.close();
    const config = mission({
      providers: {
        kimi: {
          kind: 'openai',
          baseURL: url,
          apiKeyEnv: 'TEST_KIMI_KEY',
          model: 'kimi-test',
          maxRetries: 3,
        },
      },
      agents: [{ id: 'a', provider: 'kimi' }],
      stages: [
        { name: 's', prompt: 'hi', agents: ['a'], supervision: { intensity: 3, periodMs: 10_000 } },
      ],
      supervision: { intensity: 3, periodMs: 10_000 },
    });
    const { output, events } = await runAndRead(config, { env: { TEST_KIMI_KEY: KEY } });
    expect(calls).toBe(1);
    expect(output.status).toBe('failed');
    expect(output.error).toEqual({
      reason: 'non_retryable',
      message: "provider 'kimi': http 401: Incorrect API key provided (non-retryable: http_401)",
    });
    const decisions = events.filter((e) => e.type === 'supervisor.decision');
    expect(decisions.map((d) => d.action)).not.toContain('restart');
    expect(decisions.map((d) => [d.supervisor, d.errorContext, d.action])).toEqual([
      ['mission/m1/stage/s', 'child_terminated', 'shutdown'],
      ['mission/m1', 'child_terminated', 'shutdown'],
    ]);
  });

  it('should restart on a 401 when the provider says it is retryable (nonRetryable: [])', async () => {
    let calls = 0;
    const { server, url } = await fakeOpenAI((_req, res) => {
      calls++;
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'not yet' } }));
    });
    close = () => server.close();
    const config = mission({
      providers: {
        kimi: {
          kind: 'openai',
          baseURL: url,
          apiKeyEnv: 'TEST_KIMI_KEY',
          model: 'kimi-test',
          maxRetries: 0,
          nonRetryable: [],
        },
      },
      agents: [{ id: 'a', provider: 'kimi' }],
      stages: [
        { name: 's', prompt: 'hi', agents: ['a'], supervision: { intensity: 1, periodMs: 10_000 } },
      ],
    });
    const { output } = await runAndRead(config, { env: { TEST_KIMI_KEY: KEY } });
    expect(calls).toBe(2);
    expect(output.error?.reason).toBe('reached_max_restart_intensity');
  });

  it('should answer, count usage and cost, and keep the key out of the event log even when the server echoes it', async () => {
    let calls = 0;
    const { server, url } = await fakeOpenAI((req, res) => {
      calls++;
      if (calls === 1) {
        // A retryable failure that echoes the key (a 401 is not retried: see the next test).
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { message: `upstream failed for key ${req.headers.authorization?.slice(7)}` },
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'c1',
          object: 'chat.completion',
          created: 0,
          model: 'kimi-test',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: 'a real answer' },
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
        }),
      );
    });
    close = () => server.close();
    const config = mission({
      providers: {
        kimi: {
          kind: 'openai',
          baseURL: url,
          apiKeyEnv: 'TEST_KIMI_KEY',
          model: 'kimi-test',
          maxRetries: 0,
          prices: { inputPerMTok: 1, outputPerMTok: 4 },
        },
      },
      agents: [{ id: 'a', provider: 'kimi' }],
      stages: [
        { name: 's', prompt: 'hi', agents: ['a'], supervision: { intensity: 1, periodMs: 10_000 } },
      ],
    });
    const { output, eventLogFile } = await runAndRead(config, { env: { TEST_KIMI_KEY: KEY } });
    expect(output.status).toBe('succeeded');
    expect(output.result).toBe('a real answer');
    expect(output.usage.tokens).toBe(1500);
    expect(output.usage.costUsd).toBeCloseTo(0.001 + 0.002, 10);
    expect(calls).toBe(2);
    const log = readFileSync(eventLogFile, 'utf8');
    expect(log).toContain('"action":"restart"');
    expect(log).not.toContain(KEY);
  });

  it('should refuse to start, naming the variable, when the API key is not set', async () => {
    const config = mission({
      providers: {
        kimi: {
          kind: 'openai',
          baseURL: 'http://127.0.0.1:9/v1',
          apiKeyEnv: 'NO_SUCH_KEY_VAR',
          model: 'm',
        },
      },
      agents: [{ id: 'a', provider: 'kimi' }],
      stages: [{ name: 's', prompt: 'hi', agents: ['a'] }],
    });
    await expect(runAndRead(config, { env: {} })).rejects.toThrow(
      "providers.kimi.apiKeyEnv: environment variable 'NO_SUCH_KEY_VAR' is not set",
    );
  });

  it('should run the Hanoi MAKER mission on an OpenAI-compatible endpoint with the real prompt and strict parser', async () => {
    const random = mulberry32(5);
    const temperatures = new Set<number>();
    const { server, url } = await fakeOpenAI((_req, res, body) => {
      const request = JSON.parse(body) as {
        messages: { role: string; content: string }[];
        temperature?: number;
      };
      if (request.temperature !== undefined) temperatures.add(request.temperature);
      const prompt = request.messages.at(-1)!.content;
      // A model that follows the strategy (never wrong: HTTP may reorder samples, so a seeded error would not be repeatable).
      const content = hanoiSimulatedAnswer(prompt, random, { errorRate: 0 });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'c',
          object: 'chat.completion',
          created: 0,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 200, completion_tokens: 20, total_tokens: 220 },
        }),
      );
    });
    close = () => server.close();
    const config = mission({
      providers: {
        llm: { kind: 'openai', baseURL: url, apiKeyEnv: 'TEST_KEY', model: 'm', maxRetries: 0 },
      },
      agents: [{ id: 'solver', provider: 'llm' }],
      stages: [
        {
          name: 'solve',
          maker: {
            task: { kind: 'hanoi', disks: 4 },
            agent: 'solver',
            k: 2,
            redFlag: { maxChars: 1500 },
          },
        },
      ],
    });
    const { output, events } = await runAndRead(config, { env: { TEST_KEY: KEY } });
    expect(output.status).toBe('succeeded');
    expect(JSON.parse(output.result!).state).toEqual({ pegs: [[], [], [4, 3, 2, 1]] });
    expect(events.filter((e) => e.type === 'maker.vote')).toHaveLength(15);
    expect([...temperatures].sort()).toEqual([0, 0.1]);
  });
});
