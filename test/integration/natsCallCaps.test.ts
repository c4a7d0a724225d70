/**
 * Call caps over a real nats-server: the answer cap applies on the worker that runs the provider,
 * and an answer too big for the server's max_payload reaches the caller as a clear error at once,
 * not as a request that waits out its timeout.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callAgent } from '../../actors/agentCall.js';
import { createProvider } from '../../actors/providers/createProvider.js';
import { serveProviders, type ProviderService } from '../../actors/providerService.js';
import { systemClock } from '../../kernel/clock.js';
import { providerConfigSchema, type ProviderConfigInput } from '../../config/providers.js';
import { NonRetryableError } from '../../supervisors/exits.js';
import { BudgetNode } from '../../supervisors/budget.js';
import { NatsTransport } from '../../transport/natsTransport.js';
import { startNatsServer, type NatsServerHandle } from '../helpers/natsServer.js';

const MAX_PAYLOAD = 64 * 1024;
const providers: Record<string, ProviderConfigInput> = {
  // Under its own cap (4 MiB by default), over the server's max_payload.
  big: { kind: 'scripted', responses: ['b'.repeat(100_000)] },
  // The worker's cap refuses it before any reply is built.
  capped: { kind: 'scripted', responses: ['c'.repeat(10_000)], maxAnswerBytes: 5_000 },
  small: { kind: 'scripted', responses: ['fits'] },
};

describe('call caps over NATS (real nats-server, max_payload 64 KiB)', () => {
  let server: NatsServerHandle;
  let worker: NatsTransport;
  let caller: NatsTransport;
  let service: ProviderService;
  beforeAll(async () => {
    server = await startNatsServer({ jetstream: false, config: `max_payload: ${MAX_PAYLOAD}\n` });
    worker = await NatsTransport.connect({ servers: server.url });
    caller = await NatsTransport.connect({ servers: server.url });
    const built = Object.entries(providers).map(([id, input]) =>
      createProvider(id, providerConfigSchema.parse(input)),
    );
    service = serveProviders(worker, built, pino({ level: 'silent' }));
    await worker.connection.flush();
  });
  afterAll(async () => {
    service?.stop();
    await worker?.close();
    await caller?.close();
    await server?.stop();
  });

  const call = (provider: string, prompt = 'go') =>
    callAgent({
      transport: caller,
      agent: { id: 'a', provider, capabilities: [], timeoutMs: 30_000 },
      budget: new BudgetNode('m', {}, systemClock),
      caller: 'm/s/a',
      prompt,
    });

  it('should answer a reply too big for max_payload with a non-retryable error naming the provider, at once', async () => {
    const started = performance.now();
    const err = await call('big').catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as Error).message).toMatch(
      /^provider 'big': answer of 100\d{3} bytes does not fit the transport's max payload \(65536 bytes\); lower providers\.big\.maxAnswerBytes below it, or over NATS raise the server's max_payload \(non-retryable: output_cap\)$/,
    );
  });

  it("should apply the answer cap on the worker, and carry its error's class back", async () => {
    const err = await call('capped').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as NonRetryableError).cause).toMatchObject({
      name: 'ProviderAnswerCapError',
      setting: 'maxAnswerBytes',
      limit: 5_000,
    });
    expect((err as Error).message).toBe(
      "provider 'capped': answer of more than 5000 bytes (maxAnswerBytes); raise providers.capped.maxAnswerBytes if it is expected (non-retryable: output_cap)",
    );
  });

  it("should refuse a call too big for max_payload on the caller's side, naming the provider and the limit", async () => {
    const err = await call('small', 'p'.repeat(70_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as Error).message).toMatch(
      /^provider 'small': call of 70\d{3} bytes does not fit the transport's max payload \(65536 bytes\); shorten the prompt, or over NATS raise the server's max_payload \(non-retryable: prompt_cap\)$/,
    );
    await expect(call('small')).resolves.toMatchObject({ text: 'fits' });
  });
});
