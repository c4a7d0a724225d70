import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../kernel/errors.js';
import { openaiProviderSchema, type ProviderConfigInput } from '../../../config/providers.js';
import {
  ProviderAbortedError,
  ProviderHttpError,
  ProviderRateLimitError,
  ProviderResponseError,
  ProviderTimeoutError,
} from '../../../actors/providers/errors.js';
import { OpenAIProvider } from '../../../actors/providers/openai.js';

const KEY = 'sk-test-0123456789abcdef';
const env = { MAESTRO_TEST_KEY: KEY };

/** What the fake server answers to one request; `hang` never answers. */
interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  hang?: boolean;
}

const completion = (
  content: unknown,
  usage = { prompt_tokens: 1_200, completion_tokens: 300, total_tokens: 1_500 },
) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 0,
  model: 'gpt-test',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage,
});

let server: Server;
let baseURL: string;
let replies: Reply[] = [];
let seen: { url: string | undefined; headers: IncomingHttpHeaders; body: unknown }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      seen.push({ url: req.url, headers: req.headers, body: JSON.parse(raw) as unknown });
      const reply = replies.shift() ?? {
        status: 500,
        body: { error: { message: 'no reply scripted' } },
      };
      if (reply.hang) return;
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  replies = [];
  seen = [];
});

type Input = Omit<Extract<ProviderConfigInput, { kind: 'openai' }>, 'kind' | 'model'> & {
  model?: string;
};

function openai(input: Input = {}): OpenAIProvider {
  const config = openaiProviderSchema.parse({
    kind: 'openai',
    model: 'gpt-test',
    baseURL,
    apiKeyEnv: 'MAESTRO_TEST_KEY',
    ...input,
  });
  return new OpenAIProvider('gpt', config, env);
}

async function failure(provider: OpenAIProvider, signal?: AbortSignal): Promise<Error> {
  return provider.complete({ prompt: 'p' }, signal).then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: Error) => err,
  );
}

describe('openai provider', () => {
  it('should answer with the usage the server counted and its cost', async () => {
    replies.push({ body: completion('4') });
    const provider = openai({ prices: { inputPerMTok: 2.5, outputPerMTok: 10 } });
    const result = await provider.complete({
      system: 'be terse',
      prompt: '2+2?',
      temperature: 0,
      maxTokens: 5,
    });
    expect(result).toMatchObject({
      text: '4',
      usage: { promptTokens: 1_200, completionTokens: 300, totalTokens: 1_500 },
      provider: 'gpt',
      model: 'gpt-test',
    });
    expect(result.usage.estimated).toBeUndefined();
    expect(result.costUsd).toBeCloseTo(0.006, 12);
    expect(seen[0]?.url).toBe('/v1/chat/completions');
    expect(seen[0]?.body).toEqual({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'be terse' },
        { role: 'user', content: '2+2?' },
      ],
      temperature: 0,
      max_tokens: 5,
    });
  });

  it('should send the key as a bearer token, and the configured headers', async () => {
    replies.push({ body: completion('ok') });
    await openai({ headers: { 'X-Title': 'maestro' } }).complete({
      prompt: 'p',
      model: 'other-model',
    });
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(seen[0]?.headers['x-title']).toBe('maestro');
    expect(seen[0]?.body).toMatchObject({ model: 'other-model' });
  });

  it('should estimate usage when the server reports none', async () => {
    replies.push({ body: { choices: [{ message: { content: 'abcd' } }] } });
    const result = await openai().complete({ prompt: 'abcdefgh' });
    expect(result.usage).toEqual({
      promptTokens: 2,
      completionTokens: 1,
      totalTokens: 3,
      estimated: true,
    });
  });

  it('should let the SDK retry a 429 after retry-after-ms and then succeed', async () => {
    replies.push({
      status: 429,
      headers: { 'retry-after-ms': '1' },
      body: { error: { message: 'slow down' } },
    });
    replies.push({ body: completion('second time lucky') });
    const result = await openai().complete({ prompt: 'p' });
    expect(result.text).toBe('second time lucky');
    expect(seen).toHaveLength(2);
  });

  it('should raise a retryable rate limit error once the retries are spent', async () => {
    replies.push({
      status: 429,
      headers: { 'retry-after-ms': '1' },
      body: { error: { message: 'slow down' } },
    });
    const err = await failure(openai({ maxRetries: 0 }));
    expect(err).toBeInstanceOf(ProviderRateLimitError);
    expect(err).toMatchObject({
      message: "provider 'gpt': rate limited: slow down",
      retryable: true,
    });
  });

  it('should raise a retryable http error for a 500', async () => {
    replies.push({ status: 500, body: { error: { message: 'upstream exploded' } } });
    const err = await failure(openai({ maxRetries: 0 }));
    expect(err).toBeInstanceOf(ProviderHttpError);
    expect(err).toMatchObject({
      message: "provider 'gpt': http 500: upstream exploded",
      status: 500,
      retryable: true,
    });
    expect(seen).toHaveLength(1);
  });

  it('should raise a non-retryable http error for a 400', async () => {
    replies.push({ status: 400, body: { error: { message: "unknown model 'gpt-test'" } } });
    const err = await failure(openai());
    expect(err).toMatchObject({ name: 'ProviderHttpError', status: 400, retryable: false });
    expect(seen).toHaveLength(1);
  });

  it('should time out on a server that never answers', async () => {
    replies.push({ hang: true });
    const err = await failure(openai({ timeoutMs: 200, maxRetries: 0 }));
    expect(err).toBeInstanceOf(ProviderTimeoutError);
    expect(err.message).toBe("provider 'gpt': timed out after 200 ms");
  });

  it('should stop when aborted', async () => {
    replies.push({ hang: true });
    const controller = new AbortController();
    const call = failure(openai(), controller.signal);
    setImmediate(() => controller.abort());
    expect(await call).toBeInstanceOf(ProviderAbortedError);
  });

  it('should reject a body that is not JSON', async () => {
    replies.push({ headers: { 'content-type': 'text/plain' }, body: 'not json at all' });
    const err = await failure(openai());
    expect(err).toBeInstanceOf(ProviderResponseError);
    expect(err.message).toBe(
      "provider 'gpt': malformed response: body is not json: 'not json at all'",
    );
  });

  it('should reject a body that claims to be JSON and is not', async () => {
    replies.push({ body: '{"choices": [' });
    const err = await failure(openai());
    expect(err).toBeInstanceOf(ProviderResponseError);
    expect(err).toMatchObject({
      message: `provider 'gpt': malformed response: body is not json: '{"choices": ['`,
      excerpt: '{"choices": [',
    });
  });

  it('should reject JSON without choices, or without string content', async () => {
    replies.push({ body: { id: 'x' } }, { body: completion(null) });
    const provider = openai();
    const missing = await failure(provider);
    expect(missing).toBeInstanceOf(ProviderResponseError);
    expect(missing.message).toBe(
      `provider 'gpt': malformed response: no choices[0].message.content: '{"id":"x"}'`,
    );
    expect(await failure(provider)).toBeInstanceOf(ProviderResponseError);
  });

  it('should never put the key in an error message, even when the server echoes it', async () => {
    replies.push(
      { status: 401, body: { error: { message: `incorrect API key provided: ${KEY}` } } },
      { headers: { 'content-type': 'text/plain' }, body: `echo ${KEY}` },
      { body: { choices: [], echoed: KEY } },
      { status: 503, body: KEY },
    );
    const provider = openai({ maxRetries: 0 });
    const errors = [
      await failure(provider),
      await failure(provider),
      await failure(provider),
      await failure(provider),
    ];
    expect(errors[0]?.message).toBe(
      "provider 'gpt': http 401: incorrect API key provided: [redacted]",
    );
    for (const err of errors) {
      expect(err.message).not.toContain(KEY);
      expect(String((err as { cause?: Error }).cause?.message ?? '')).not.toContain(KEY);
    }
  });

  it('should refuse to start without its API key variable', () => {
    const config = openaiProviderSchema.parse({
      kind: 'openai',
      model: 'm',
      apiKeyEnv: 'MAESTRO_NO_SUCH_KEY',
    });
    const construct = () => new OpenAIProvider('gpt', config, {});
    expect(construct).toThrow(UserError);
    expect(construct).toThrow(
      "providers.gpt.apiKeyEnv: environment variable 'MAESTRO_NO_SUCH_KEY' is not set",
    );
  });
});
