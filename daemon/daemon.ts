/**
 * The daemon: the root of Maestro's supervision tree, one temporary child per mission (missions
 * are isolated: one failing never touches another). Every mission's events go to its own log in
 * the state directory, synced in batches. A start reads the index of finished missions and the
 * logs it does not name (behind the API, `startRecovery.ts`), keeps the finished missions as
 * summaries, and resumes the others from their last snapshot plus the tail; a retention policy
 * prunes the finished ones (`archivePrune.ts`). Approvals are the missions' own events, so the
 * daemon only routes answers to them. A mission whose log the disk refuses is suspended; the
 * daemon answers 507 to submissions until a probe write succeeds, then resumes it from its log.
 * Submissions pass the operator's policy first.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createActor, type Actor } from 'xstate';
import { EventLog, type LoggedEvent } from '../log/eventLog.js';
import { openaiApiKey } from '../actors/providers/index.js';
import { systemClock, type Clock } from '../kernel/clock.js';
import { UserError, errorMessage } from '../kernel/errors.js';
import { loadConfigFile, parseConfigText } from '../config/loader.js';
import { idSchema, missionSchema, type MissionConfig } from '../config/mission.js';
import { registerSecretEnv } from '../kernel/secrets.js';
import {
  allowedEnv,
  CLOSED_POLICY,
  envAllowOf,
  pathRefusal,
  submissionIssues,
} from './submitPolicy.js';
import { createRuntime, supervisorMachine } from '../supervisors/index.js';
import {
  DaemonStoppingError,
  MissionExistsError,
  MissionOverError,
  MissionRecoveringError,
  UnknownApprovalError,
  UnknownMissionError,
  type AnswerRequest,
  type AnswerResult,
  type ApprovalRecord,
  type DaemonApi,
  type DaemonHealth,
  type MissionStatus,
  type MissionSummary,
  type PruneRequest,
  type PruneResult,
  type SubmitRequest,
} from './daemonApi.js';
import { DiskFaultWatch } from './diskFaultWatch.js';
import { ArchivedMission } from './archivedMission.js';
import { MissionIndex } from './missionIndex.js';
import type { DaemonHost, KnownMission } from './daemonHost.js';
import { catalog, healthOf, nextTurn, recoverInSlices, recoverOne } from './startRecovery.js';
import { pruneArchived } from './archivePrune.js';
import { RecoveringMission } from './recoveringMission.js';
import { DaemonMission } from './daemonMission.js';
import { missionRunnerMachine } from './missionRunner.js';
import { claimMissionLog, claimNewMissionId } from '../log/missionIds.js';
import type { DaemonOptions } from './daemonOptions.js';

export type { DaemonOptions };

export class Daemon implements DaemonApi {
  private readonly missions = new Map<string, KnownMission>();
  /** The finished missions' summaries (index.jsonl): read at start instead of their logs. */
  private readonly index: MissionIndex;
  private readonly clock: Clock;
  private root: Actor<typeof supervisorMachine> | undefined;
  private stopping = false;
  /** Refuses submissions while the state directory takes no writes, and resumes what it suspended. */
  private readonly disk: DiskFaultWatch;
  private readonly options: DaemonOptions;
  private readonly startedAt = Date.now();
  private pruneTimer: NodeJS.Timeout | undefined;
  /** True until every mission of the state directory is known (`catalog` done). */
  private loading = true;
  private whenLoaded: Promise<void> = Promise.resolve();
  /** What the start's recovery and the prune work on. */
  private readonly host: DaemonHost;

  constructor(options: DaemonOptions) {
    this.options = { ...options, onWriteFault: (id, fault) => this.disk.missionFaulted(id, fault) };
    this.clock = options.clock ?? systemClock;
    this.index = new MissionIndex(options.stateDir, options.logger);
    this.host = {
      missions: this.missions,
      index: this.index,
      options: this.options,
      stopping: () => this.stopping,
      launch: (m) => this.launch(m),
      archiveIfOver: (m) => this.archiveIfOver(m),
    };
    this.disk = new DiskFaultWatch({
      stateDir: options.stateDir,
      logger: options.logger,
      now: () => this.clock.now(),
      probeMs: options.writeProbeMs,
      resume: (id, why) => {
        const old = this.missions.get(id);
        if (!(old instanceof DaemonMission)) return;
        const m = old.again(why);
        this.missions.set(id, m);
        this.launch(m);
      },
    });
    // A submitted mission may interpolate the daemon's environment: mask what looks like a secret
    // before any mission's log or API answer can quote it.
    const env = options.env ?? process.env;
    registerSecretEnv(Object.keys(env), env);
  }

  /**
   * Starts the root supervisor, reads the index and the logs it does not name, and resumes those
   * not over, before it returns (embedded, tests); `maestro daemon` uses `startInBackground`.
   */
  start(): { resumed: string[]; finished: number } {
    this.startRoot();
    const dir = this.missionsDir();
    const names = existsSync(dir) ? readdirSync(dir) : [];
    const pending: string[] = [];
    for (const _ of catalog(this.host, dir, names, this.index.read(), pending));
    this.loading = false;
    const resumed: string[] = [];
    for (const id of pending) if (recoverOne(this.host, id) === 'resumed') resumed.push(id);
    this.keepPruning();
    return { resumed, finished: this.finishedCount() };
  }

  /**
   * Starts the root supervisor and returns at once: the index and the logs it does not name are
   * read in the background, a few ms at a time, so the API answers at once (100,000 missions of
   * history: about a second here). Until its log is read a mission is `recovering`; its status,
   * events, a stop, an answer or the approvals read it first. `loaded` settles once every mission
   * is known (the HTTP list and approvals wait for it); `recovered` once every log is read, with
   * progress lines when there are many (an old state dir with no index is indexed so, once).
   */
  startInBackground(): {
    loaded: Promise<{ finished: number; recovering: number }>;
    recovered: Promise<{ resumed: string[]; finished: number }>;
  } {
    this.startRoot();
    const pending: string[] = [];
    const loaded = (async () => {
      // Nothing read before the caller has the daemon (an async body runs until its first await).
      await nextTurn();
      const dir = this.missionsDir();
      const names = existsSync(dir) ? await readdir(dir) : [];
      const indexed = await this.index.readInSlices();
      for (const _ of catalog(this.host, dir, names, indexed, pending)) await nextTurn();
      this.loading = false;
      return { finished: this.finishedCount(), recovering: pending.length };
    })();
    this.whenLoaded = loaded.then(() => undefined);
    const recovered = loaded.then(async () => {
      const resumed = await recoverInSlices(this.host, pending);
      if (!this.stopping) this.keepPruning();
      return { resumed, finished: this.finishedCount() };
    });
    return { loaded, recovered };
  }

  /** Settles once the daemon knows every mission of its state directory (at once after `start`). */
  loaded(): Promise<void> {
    return this.whenLoaded;
  }

  async prune(request: PruneRequest = {}): Promise<PruneResult & { retain: string }> {
    return pruneArchived(this.host, request, this.clock.now());
  }

  /** With a retention policy: a prune now, and then every `pruneEveryMs`. */
  private keepPruning(): void {
    if (!this.options.retain || this.pruneTimer) return;
    const run = (): void => {
      this.prune().catch((err: unknown) =>
        this.options.logger.error({ err }, 'daemon: the history prune failed'),
      );
    };
    run();
    this.pruneTimer = setInterval(run, this.options.pruneEveryMs ?? 3_600_000);
    this.pruneTimer.unref();
  }

  health(): DaemonHealth {
    return healthOf(this.missions, this.startedAt);
  }

  private startRoot(): void {
    const o = this.options;
    const events = new EventLog(`${o.stateDir}/daemon.jsonl`, 'daemon', () =>
      this.clock.now(),
    ).open();
    const runtime = createRuntime({ clock: this.clock, logger: o.logger, events });
    this.root = createActor(supervisorMachine, {
      input: {
        name: 'daemon',
        runtime,
        flags: { strategy: 'one_for_one', intensity: 1, periodMs: 5000 },
        children: [],
      },
      clock: this.clock,
    });
    this.root.start();
  }

  private missionsDir(): string {
    return dirname(EventLog.pathFor(this.options.stateDir, 'x'));
  }

  private finishedCount(): number {
    let n = 0;
    for (const m of this.missions.values()) if (m instanceof ArchivedMission) n++;
    return n;
  }

  async submit(request: SubmitRequest): Promise<MissionSummary> {
    if (this.stopping) throw new DaemonStoppingError();
    this.disk.assertWritable();
    if ((request.source === undefined) === (request.path === undefined))
      throw new UserError('submit: give exactly one of source (the file text) and path');
    // Data, not code: only what the operator allowed (commands, variables) passes, checked with the file's lines.
    const policy = this.options.submitPolicy ?? CLOSED_POLICY;
    const env = allowedEnv(this.options.env ?? process.env, policy);
    const load = {
      env,
      envAllow: envAllowOf(policy),
      rules: (c: MissionConfig) => submissionIssues(c, policy),
    };
    const refused = request.path !== undefined ? pathRefusal(request.path, policy) : undefined;
    if (refused) throw new UserError(refused);
    const config: MissionConfig =
      request.source !== undefined
        ? parseConfigText(request.source, request.filename ?? 'submitted.yaml', missionSchema, load)
        : await loadConfigFile(request.path!, missionSchema, load);
    // In process, the providers read their keys from this daemon's environment: a missing one is
    // the submitter's mistake, refused now rather than a mission that fails with no log. Said to
    // be the daemon's: the submitter's own shell may well have it.
    if (!this.options.natsHub) {
      for (const [pid, pc] of Object.entries(config.providers)) {
        if (pc.kind !== 'openai') continue;
        try {
          openaiApiKey(pid, pc, env);
        } catch (err) {
          throw new UserError(
            `${errorMessage(err)} in the daemon's environment (set it where maestro daemon runs, then restart the daemon)`,
            { cause: err },
          );
        }
      }
    }
    if (request.id !== undefined) {
      const ok = idSchema.safeParse(request.id);
      if (!ok.success) throw new UserError(`id: ${ok.error.issues[0]?.message ?? 'invalid'}`);
      if (
        this.missions.has(request.id) ||
        existsSync(EventLog.pathFor(this.options.stateDir, request.id))
      )
        throw new MissionExistsError(request.id);
    }
    // The log is claimed (created exclusively) before the mission exists: a generated id that
    // collides is drawn again, a given one another process took first is refused.
    const id = this.disk.claim(() => {
      const given = request.id;
      if (given === undefined)
        return claimNewMissionId(
          this.options.stateDir,
          config.name,
          this.clock.now(),
          (x) => this.missions.has(x),
          this.options.idSuffix,
        );
      if (!claimMissionLog(this.options.stateDir, given)) throw new MissionExistsError(given);
      return given;
    });
    const m = new DaemonMission(
      id,
      config,
      request.input,
      EventLog.pathFor(this.options.stateDir, id),
      this.options,
    );
    this.missions.set(id, m);
    this.launch(m);
    return m.summary();
  }

  private launch(m: DaemonMission): void {
    this.root!.send({
      type: 'supervisor.startChild',
      spec: {
        id: `mission/${m.id}`,
        type: 'supervisor',
        restart: 'temporary',
        shutdown: this.options.shutdownMs ?? 30_000,
        start: {
          logic: missionRunnerMachine,
          input: {
            run: async (suspend: AbortSignal) => {
              try {
                return await m.run(suspend);
              } finally {
                this.archiveIfOver(m);
              }
            },
          },
        },
      },
    });
  }

  list(): MissionSummary[] {
    return [...this.missions.values()].map((m) => m.summary());
  }

  /** Exact from the first moment: a mission whose log is not read yet is read now, ahead of the others. */
  status(id: string): MissionStatus {
    return this.ready(id).status();
  }

  events(
    id: string,
    afterSeq: number,
    listener: (event: LoggedEvent) => void,
    end?: () => void,
  ): () => void {
    return this.ready(id).follow(afterSeq, listener, end);
  }

  async stop(id: string, reason?: string): Promise<MissionSummary> {
    const m = this.ready(id);
    // One that could not start is failed but not over: stopping it means it is not tried again.
    if (m.over && !m.waitingForRetry) throw new MissionOverError(id, m.summary().state);
    m.stop(reason ?? 'stopped by request');
    return m.summary();
  }

  /** Every gate waiting now, whole from `loaded` on: logs not read yet are read first. */
  approvals(): ApprovalRecord[] {
    for (const [id, m] of [...this.missions])
      if (m instanceof RecoveringMission) recoverOne(this.host, id);
    return [...this.missions.values()]
      .filter((m) => !m.over && !(m instanceof RecoveringMission))
      .flatMap((m) => (m as DaemonMission).approvals().filter((a) => a.status === 'pending'))
      .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  }

  async answer(id: string, answer: AnswerRequest): Promise<AnswerResult> {
    const mission = id.split('/')[0]!;
    if (!this.missions.has(mission)) throw new UnknownApprovalError(id);
    return this.ready(mission).answer(id, answer);
  }

  /** Stops taking missions, suspends every running one (children stop in reverse order), syncs the logs. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    this.disk.stop();
    clearInterval(this.pruneTimer);
    const root = this.root;
    if (!root) return;
    await new Promise<void>((resolve) => {
      root.subscribe({ complete: () => resolve(), error: () => resolve() });
      if (root.getSnapshot().status !== 'active') return resolve();
      root.send({ type: 'maestro.shutdown' });
    });
  }

  /**
   * A finished mission leaves only its summary here (ArchivedMission); the rest is in its log,
   * read when asked. One that is not over (running, suspended, waiting to start again) stays.
   */
  private archiveIfOver(m: DaemonMission): void {
    if (!m.over || m.waitingForRetry || this.missions.get(m.id) !== m) return;
    const summary = m.summary();
    this.index.add(summary);
    this.missions.set(
      m.id,
      new ArchivedMission(m.id, summary, m.logFile, this.options, m.makerViews()),
    );
  }

  private get(id: string): KnownMission {
    let m = this.missions.get(id);
    // Still loading: a mission whose log is there is one the daemon has not come to yet.
    if (!m && this.loading && idSchema.safeParse(id).success) {
      const file = EventLog.pathFor(this.options.stateDir, id);
      if (existsSync(file)) this.missions.set(id, (m = new RecoveringMission(id, file)));
    }
    if (!m) throw new UnknownMissionError(id);
    return m;
  }

  /** The mission, its log read now if the background recovery has not come to it yet. */
  private ready(id: string): DaemonMission | ArchivedMission {
    if (this.get(id) instanceof RecoveringMission) recoverOne(this.host, id);
    const m = this.get(id);
    // recoverOne always replaces the placeholder (or drops it, and get threw).
    if (m instanceof RecoveringMission) throw new MissionRecoveringError(id);
    return m;
  }
}
