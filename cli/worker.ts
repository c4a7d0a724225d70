/**
 * `maestro worker`: serves provider calls for its capabilities (provider ids of a config file)
 * over NATS, both ways they come: request/reply in the `maestro.providers` queue group (short
 * calls, such as MAKER samples) and the durable JetStream work queue (calls that must survive a
 * worker's death). Registers in the worker registry and heartbeats; on SIGTERM it drains: takes
 * no new work, finishes and acks what it holds, deregisters, exits 0.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import {
  executeAgentCall,
  serveProviders,
  type DefinitionGuard,
} from '../actors/providerService.js';
import { oversizedReply } from '../actors/providers/callCaps.js';
import { serializeProviderError } from '../actors/providers/errors.js';
import type { Provider } from '../actors/providers/provider.js';
import { loadConfigFile } from '../config/loader.js';
import { providerIdentity } from '../config/providerIdentity.js';
import { createLogger } from '../kernel/logger.js';
import { workerConfigSchema } from '../config/workerConfig.js';
import { buildProviders } from '../runner/runMission.js';
import { WorkerRegistration } from '../transport/natsRegistry.js';
import { NatsTransport } from '../transport/natsTransport.js';
import { ensureWorkStreams, WorkWorker } from '../transport/natsWorkQueue.js';
import type { Json } from '../transport/transport.js';
import type { Io } from './io.js';
import { UsageError } from './io.js';
import { natsOptionsFromFlags } from './natsConnect.js';
import type { NatsFlags } from './natsFlags.js';
import { errorMessage } from '../kernel/errors.js';
import { version } from './version.js';

export interface WorkerFlags extends NatsFlags {
  capability?: string[];
  config?: string;
  concurrency?: string;
  id?: string;
  'heartbeat-ms'?: string;
  'ack-wait-ms'?: string;
  'log-level'?: string;
}

function positiveInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${flag}: expected a positive integer, got '${value}'`);
  return n;
}

export async function workerCommand(
  flags: WorkerFlags,
  io: Io,
  signals: NodeJS.EventEmitter = process,
): Promise<number> {
  const capabilities = (flags.capability ?? [])
    .flatMap((c) => c.split(','))
    .map((c) => c.trim())
    .filter(Boolean);
  if (!flags.nats?.length)
    throw new UsageError('maestro worker: --nats URL is required (try: maestro worker --help)');
  if (capabilities.length === 0)
    throw new UsageError(
      'maestro worker: at least one --capability NAME is required (try: maestro worker --help)',
    );
  if (!flags.config)
    throw new UsageError(
      'maestro worker: --config FILE is required: the file whose providers it serves (a mission file will do)',
    );
  const concurrency = positiveInt('concurrency', flags.concurrency, 4);
  const heartbeatMs = positiveInt('heartbeat-ms', flags['heartbeat-ms'], 2000);
  // How long a durable job held by a worker that died waits before another worker gets it.
  const ackWaitMs = positiveInt('ack-wait-ms', flags['ack-wait-ms'], 30_000);
  const config = await loadConfigFile(flags.config, workerConfigSchema);
  for (const c of capabilities) {
    if (!(c in config.providers)) {
      throw new UsageError(
        `--capability '${c}': no provider '${c}' in ${flags.config} (known: ${Object.keys(config.providers).join(', ')})`,
      );
    }
  }
  const id = flags.id ?? `${hostname()}-${process.pid}`;
  const logger = createLogger({ level: flags['log-level'] ?? 'info' }).child({ worker: id });
  const providers = buildProviders(
    Object.fromEntries(capabilities.map((c) => [c, config.providers[c]!])),
    process.env,
  );
  // Advertised in the registry and checked on every call: a mission that names another
  // definition of a provider is refused, never served by this one.
  const definitions = Object.fromEntries(
    capabilities.map((c) => [c, providerIdentity(config.providers[c]!)]),
  );
  const guard: DefinitionGuard = {
    worker: id,
    hashes: Object.fromEntries(Object.entries(definitions).map(([c, d]) => [c, d.hash])),
  };
  const natsOptions = natsOptionsFromFlags(flags, `maestro-worker-${id}`)!;
  let transport: NatsTransport;
  try {
    // Replies are built from our own types: no need for the strict JSON replacer on every answer.
    transport = await NatsTransport.connect(natsOptions, { logger, strictPayloads: false });
  } catch (err) {
    io.err(`maestro worker: ${errorMessage(err)}`);
    return 1;
  }
  const nc = transport.connection;
  const service = serveProviders(transport, providers, logger, { concurrency, definitions: guard });
  await ensureWorkStreams(nc);
  const work = new WorkWorker(nc, { logger, workerId: id });
  const maxPayload = () => nc.info?.max_payload ?? 1024 * 1024;
  for (const p of providers)
    await work.start(p.id, durableHandler(p, guard, logger, maxPayload), {
      concurrency,
      ackWaitMs,
    });
  const registration = await WorkerRegistration.start(
    nc,
    {
      id,
      capabilities,
      host: hostname(),
      pid: process.pid,
      version: version(),
      load: { inFlight: 0, concurrency },
      startedAt: Date.now(),
      heartbeatMs,
      definitions,
    },
    { heartbeatMs, logger },
  );
  // What a mission's refusal is compared with: the hash and the secret-free fields of each definition.
  logger.info(
    {
      definitions: Object.fromEntries(
        Object.entries(definitions).map(([c, d]) => [
          c,
          { hash: d.hash.slice(0, 12), ...d.fields },
        ]),
      ),
    },
    'provider definitions',
  );
  const loadTimer = setInterval(
    () => registration.setLoad(service.inFlight + work.stats.inFlight),
    Math.max(100, heartbeatMs / 2),
  );
  io.err(
    `maestro worker ${id}: serving ${capabilities.join(', ')} on ${[natsOptions.servers].flat().join(', ')} (concurrency ${concurrency}); SIGTERM drains and exits`,
  );
  await new Promise<void>((resolve) => {
    const onSignal = () => resolve();
    signals.once('SIGTERM', onSignal);
    signals.once('SIGINT', onSignal);
  });
  io.err(
    `maestro worker ${id}: draining (finishing ${service.inFlight + work.stats.inFlight} calls, taking no new ones)`,
  );
  clearInterval(loadTimer);
  await drainAll(service, work, registration, transport, logger);
  io.err(`maestro worker ${id}: drained, deregistered, exiting`);
  return 0;
}

/**
 * Runs a durable job; a retryable provider failure is thrown so JetStream redelivers it (a call
 * for another definition of the provider too: another worker may run the mission's). A failure
 * of a type the provider names `nonRetryable` is the job's answer at once, as over request/reply:
 * running it again would fail the same way, and the caller must get the provider's own error,
 * with `nonRetryable`, to end the mission rather than restart the agent.
 */
function durableHandler(
  provider: Provider,
  guard: DefinitionGuard,
  logger: Logger,
  maxPayload: () => number,
) {
  return async (payload: Json, ctx: { signal: AbortSignal }): Promise<Json> => {
    const {
      malformed: _m,
      refused,
      ...reply
    } = await executeAgentCall(provider, payload, ctx.signal, guard);
    if (refused !== undefined)
      logger.warn(
        { provider: provider.id },
        'durable call for another provider definition refused, handed back',
      );
    // `wire`: after the last delivery, the caller gets the provider's error, not a plain one.
    if (!reply.ok && reply.error.retryable === true && reply.error.nonRetryable !== true)
      throw Object.assign(new Error(reply.error.message), { retryable: true, wire: reply.error });
    // Too big to record or publish, it would be handed back and redelivered until dead-lettered.
    const tooBig = reply.ok ? oversizedReply(provider.id, reply, maxPayload()) : undefined;
    if (tooBig)
      return { v: 1, ok: false, error: serializeProviderError(tooBig) } as unknown as Json;
    return { v: 1, ...reply } as unknown as Json;
  };
}

async function drainAll(
  service: { drain(): Promise<void> },
  work: WorkWorker,
  registration: WorkerRegistration,
  transport: NatsTransport,
  logger: Logger,
): Promise<void> {
  const step = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, `drain: ${what} failed`);
    }
  };
  await Promise.all([
    step('provider service', () => service.drain()),
    step('work queue', () => work.drain()),
  ]);
  await step('deregister', () => registration.deregister());
  await step('close', () => transport.close());
}
