/**
 * One mission, embedded: providers served over an in-memory transport, an event log file under
 * the state directory, the mission statechart under a supervision tree. Resolves with the
 * mission's output when it ends, succeeded or failed; rejects only on Maestro's own failure.
 */
import { createActor, type Actor } from 'xstate';
import type { Logger } from 'pino';
import { endMission, missionEvent, missionTraceId, startMission } from '../kernel/tracing.js';
import { EventLog, type LoggedEvent } from '../log/eventLog.js';
import { AgentActivityFold, type AgentActivity } from '../log/agentActivity.js';
import type { LogWriteError } from '../log/logWriteError.js';
import { serveProviders } from '../actors/providerService.js';
import { createProvider, type Provider } from '../actors/providers/index.js';
import { systemClock, type Clock } from '../kernel/clock.js';
import type { MissionConfig } from '../config/mission.js';
import type { ProviderConfig } from '../config/providers.js';
import { errorMessage } from '../kernel/errors.js';
import { providerIdentity } from '../config/providerIdentity.js';
import { registerSecret, registerSecretEnv } from '../kernel/secrets.js';
import { BudgetNode, createRuntime, type BudgetUsage } from '../supervisors/index.js';
import { MemoryTransport } from '../transport/memoryTransport.js';
import type { NatsOptions } from '../transport/natsOptions.js';
import { claimNewMissionId } from '../log/missionIds.js';
import type { NatsHub, NatsRuntime, ProviderIdentities } from './natsRuntime.js';
import type { MissionObserver } from './missionObserver.js';

export type { MissionObserver };
import type { Transport } from '../transport/transport.js';
import { randomUUID } from 'node:crypto';
import {
  missionMachine,
  type MissionMachineEvent,
  type MissionOutput,
  type MissionResume,
} from '../machines/mission.js';

export interface RunOptions {
  stateDir: string;
  logger: Logger;
  missionId?: string;
  input?: string;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** Every event, after it is written to the event log. */
  onEvent?: (event: LoggedEvent) => void;
  /** Aborting asks the mission to stop: running work is shut down and the mission fails with `stopped`. */
  signal?: AbortSignal;
  /** Run the mission's agents on remote workers over NATS (`maestro worker`) instead of in process. */
  nats?: NatsOptions;
  /** A NATS connection shared with other missions (the daemon's), instead of `nats`: not closed with the mission. */
  natsHub?: NatsHub;
  /** With `nats`: how long to wait for a worker for every provider the mission uses. @default 10000 */
  waitWorkersMs?: number;
  /** Watches everything: the inspector's hub. */
  observer?: MissionObserver;
  /**
   * Aborting suspends the mission (a daemon stopping): running work is shut down in order, the
   * log is synced, and the mission ends `suspended`, with no `mission.finished`: it resumes later.
   */
  suspend?: AbortSignal;
  /** Go on from the mission's own event log (a daemon restarting): its id, config and progress. */
  resume?: MissionResume;
  /** The salt for call keys, persisted with the mission (`mission.submitted`). @default a new one */
  keySalt?: string;
  /** fdatasync the event log at most this long after a write. @default none */
  syncEveryMs?: number;
  /** Called once the mission's actor runs, with a way to send it events (approval answers). */
  onStart?: (send: (event: MissionMachineEvent) => void) => void;
  /** Usage recorded before a resume, counted into the mission's budget first. */
  usedBefore?: Partial<BudgetUsage>;
  /**
   * A mission that cannot start (no worker, NATS unreachable, a missing key): `finish` ends its
   * log failed (`maestro run`: nothing will try it again), `retry` leaves the log open after its
   * `mission.start_failed`, so the daemon's next start tries it again. @default 'finish'
   */
  onStartFailure?: 'finish' | 'retry';
}

/** What the inspector needs from a run (the hub implements it). */

export interface RunResult {
  output: MissionOutput;
  eventLogFile: string;
  /**
   * The disk fault that stopped the log (full, failing): the mission was suspended at its last
   * written event (`output.status` is `suspended`) and resumes from its log like after a crash.
   */
  writeFault?: LogWriteError;
  /** What each agent did in this run: calls, failed calls, restarts, the last error. */
  agents: AgentActivity[];
}

export { newMissionId } from '../log/missionIds.js';

/** Builds the mission's providers; throws a UserError for one that cannot work (an unset API key). */
export function buildProviders(
  providers: Record<string, ProviderConfig>,
  env: NodeJS.ProcessEnv,
  clock?: Clock,
): Provider[] {
  return Object.entries(providers).map(([id, pc]) => {
    if (pc.kind === 'openai') registerSecret(env[pc.apiKeyEnv]);
    if (pc.kind === 'cli') registerSecretEnv(pc.envAllowlist, env);
    return createProvider(id, pc, { env, clock });
  });
}

export async function runMission(config: MissionConfig, options: RunOptions): Promise<RunResult> {
  const clock = options.clock ?? systemClock;
  const env = options.env ?? process.env;
  const missionId =
    options.missionId ?? claimNewMissionId(options.stateDir, config.name, clock.now(), () => false);
  const logger = options.logger.child({ mission: missionId });
  const eventLogFile = EventLog.pathFor(options.stateDir, missionId);
  const events = new EventLog(eventLogFile, missionId, () => clock.now(), {
    syncEveryMs: options.syncEveryMs,
  }).open();
  if (events.tornBytes > 0)
    logger.warn(
      { file: eventLogFile, tornBytes: events.tornBytes },
      'event log: torn last line dropped',
    );
  // The mission's span (when traced), and its log's decisions as the span's events.
  startMission(missionId, config.name);
  events.onEvent((e) => traceEvent(missionId, e));
  if (options.onEvent) events.onEvent(options.onEvent);
  const agents = new AgentActivityFold();
  events.onEvent((e) => agents.apply(e));
  const observer = options.observer;
  if (observer) events.onEvent(observer.observe);
  const keySalt = options.keySalt ?? randomUUID();
  if (!options.resume) {
    // Everything a daemon needs to resume the mission: the config as validated, the input, the salt.
    // Written before anything that can fail, so a mission that cannot start still has its log.
    events.append({
      type: 'mission.submitted',
      name: config.name,
      config,
      input: options.input,
      keySalt,
    });
  }
  // Embedded: providers served in process. Under NATS: by `maestro worker` processes.
  const underNats = options.nats !== undefined || options.natsHub !== undefined;
  let providers: Provider[] = [];
  let nats: NatsRuntime | undefined;
  try {
    if (!underNats) providers = buildProviders(config.providers, env, clock);
    const waitWorkersMs = options.waitWorkersMs ?? 10_000;
    const identities = underNats ? providerIdentities(config) : {};
    nats = options.natsHub
      ? await options.natsHub.attach(identities, waitWorkersMs, options.signal)
      : options.nats
        ? await (await import('./natsRuntime.js')).connectNats(
            options.nats,
            logger,
            identities,
            waitWorkersMs,
            options.signal,
          )
        : undefined;
  } catch (err) {
    // No worker, a worker running another definition, NATS unreachable, a missing key: the log says so.
    const message = errorMessage(err);
    events.append({
      type: 'mission.start_failed',
      error: (err as Error | null)?.name ?? 'Error',
      message,
    });
    if ((options.onStartFailure ?? 'finish') === 'finish') {
      const usage: BudgetUsage = {
        tokens: 0,
        costUsd: 0,
        samples: 0,
        wallTimeMs: 0,
        ...options.usedBefore,
      };
      events.append({
        type: 'mission.finished',
        status: 'failed',
        error: { reason: 'start_failed', message },
        usage,
      });
    }
    await Promise.all(providers.map((p) => p.close?.()));
    endMission(missionId, 'failed', message);
    events.close();
    throw err;
  }
  // Payloads are built from our own types and parsed by zod on arrival: no need for the
  // transport's strict JSON check, which costs a tenth of a MAKER step.
  const transport: Transport =
    nats?.transport ??
    new MemoryTransport({
      clock,
      strictPayloads: false,
      onHandlerError: (err) => logger.error({ err }, 'provider service handler failed'),
    });
  const service = serveProviders(transport, providers, logger);
  const runtime = createRuntime({
    clock,
    logger,
    events,
    ...(observer && { observe: observer.childStarted }),
  });
  nats?.superviseWorkers(runtime, `workers/${missionId}`, observer);
  const budget = BudgetNode.root(
    `mission/${missionId}`,
    config.budget ?? {},
    clock,
    options.usedBefore?.wallTimeMs ?? 0,
  );
  if (options.usedBefore) budget.charge(options.usedBefore);
  let actor: Actor<typeof missionMachine> | undefined;
  const cleanups: (() => void)[] = [];
  try {
    const output = await new Promise<MissionOutput>((resolve, reject) => {
      actor = createActor(missionMachine, {
        input: {
          missionId,
          config,
          input: options.input,
          transport,
          runtime,
          budget,
          durable: nats?.durable,
          keySalt,
          resume: options.resume,
          workflowHost: { stateDir: options.stateDir, missionId, log: events },
          ...(missionTraceId(missionId) !== undefined && { traceId: missionTraceId(missionId) }),
        },
        clock,
        ...(observer && !observer.addRoot && { inspect: observer.inspect }),
      });
      observer?.setRootPath(actor.sessionId, `mission/${missionId}`, missionMachine);
      // The inspector holds the root while it shows the mission (forgetMission lets it go).
      observer?.addRoot?.(actor);
      actor.subscribe({
        complete: () => resolve(actor!.getSnapshot().output!),
        error: reject,
      });
      // The signals outlive the mission (a daemon's): their listeners go when it ends, or each
      // would keep this mission's whole runtime alive.
      cleanups.push(
        listen(options.signal, () =>
          actor!.send({ type: 'mission.stop', reason: reasonOf(options.signal!) }),
        ),
        listen(options.suspend, () => actor!.send({ type: 'mission.suspend' })),
      );
      // A log that cannot be written suspends the mission: what it did after the fault is not
      // in the log, so it is done again on resume, as after a crash (deferred: the fault is met
      // inside one of the mission's own actions).
      events.onFault((fault) => {
        logger.error(
          { err: fault, file: eventLogFile },
          'event log: cannot write; suspending the mission',
        );
        queueMicrotask(() => actor!.send({ type: 'mission.suspend' }));
      });
      actor.start();
      options.onStart?.((event) => actor!.send(event));
    });
    endMission(missionId, output.status, output.error?.message);
    if (output.status === 'suspended')
      events.append({ type: 'mission.suspended', usage: output.usage });
    else
      events.append({
        type: 'mission.finished',
        status: output.status,
        result: output.result,
        error: output.error,
        usage: output.usage,
      });
    return {
      output,
      eventLogFile,
      agents: agents.views(),
      ...(events.fault && { writeFault: events.fault }),
    };
  } finally {
    endMission(missionId, 'error', 'the run ended without an outcome');
    for (const cleanup of cleanups.splice(0)) cleanup();
    actor?.stop();
    service.stop();
    await (nats ? nats.close() : transport.close());
    await Promise.all(providers.map((p) => p.close?.()));
    events.close();
  }
}

/** A stop's reason: the abort reason when it is a string, else `interrupted`. */
/** `onAbort` once `signal` aborts; returns what removes the listener. */
function listen(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (!signal) return () => {};
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

function reasonOf(signal: AbortSignal): string {
  return typeof signal.reason === 'string' ? signal.reason : 'interrupted';
}

/** The identity of each provider the mission uses: what its workers must run, exactly. */
export function providerIdentities(config: MissionConfig): ProviderIdentities {
  return Object.fromEntries(
    providersUsed(config).map((id) => [id, providerIdentity(config.providers[id]!)]),
  );
}

/** The providers a mission's stages call: the capabilities its workers must serve. */
export function providersUsed(config: MissionConfig): string[] {
  // A plan stage may give a task to any agent with the right capabilities: all of them count.
  if (config.stages.some((s) => s.plan || s.workflow))
    return [...new Set(config.agents.map((a) => a.provider))];
  const agents = new Set(
    config.stages.flatMap((s) => (s.maker ? [s.maker.agent] : (s.agents ?? []))),
  );
  return [...new Set(config.agents.filter((a) => agents.has(a.id)).map((a) => a.provider))];
}

/** Supervision decisions, votes and gates as events on the mission's span. */
function traceEvent(missionId: string, e: LoggedEvent): void {
  switch (e.type) {
    case 'supervisor.decision':
      if (e.action !== 'no_restart')
        missionEvent(missionId, 'maestro.supervisor.decision', {
          'maestro.supervisor': e.supervisor,
          'maestro.action': e.action,
          'maestro.reason': String(e.reason),
        });
      return;
    case 'maker.vote':
      missionEvent(missionId, 'maestro.vote', {
        'maestro.step': Number(e.step),
        'maestro.outcome': e.outcome,
        'maestro.samples': e.samples,
      });
      return;
    case 'approval.requested':
    case 'approval.answered':
    case 'approval.closed':
      missionEvent(missionId, `maestro.${e.type}`, { 'maestro.approval.id': e.id });
      return;
    default:
      return;
  }
}
