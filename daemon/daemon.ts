/**
 * The daemon: the root of Maestro's supervision tree, one temporary child per mission (missions
 * are isolated: one failing never touches another). Every mission's events go to its own log in
 * the state directory, synced in batches; on start the daemon reads every log, keeps the
 * finished missions for status, and resumes the others from their last snapshot plus the tail.
 * Approvals are the missions' own events, so the daemon only routes answers to them. A mission
 * whose log the disk refuses is suspended; the daemon answers 507 to submissions until a probe
 * write succeeds, then resumes it from its log. Submissions pass the operator's policy first.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createActor, type Actor } from 'xstate';
import { EventLog, type LoggedEvent } from '../log/eventLog.js';
import { openaiApiKey } from '../actors/providers/index.js';
import { recoverMission } from '../log/missionRecovery.js';
import { systemClock, type Clock } from '../kernel/clock.js';
import { UserError, errorMessage } from '../kernel/errors.js';
import { loadConfigFile, parseConfigText } from '../config/loader.js';
import {
  idSchema,
  loggedMissionSchema,
  missionSchema,
  type MissionConfig,
} from '../config/mission.js';
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
import { expiredMissions, parseRetention, pruneLogs } from './retention.js';
import { DiskFaultWatch } from './diskFaultWatch.js';
import { ArchivedMission, warnCorrupt } from './archivedMission.js';
import { MissionIndex } from './missionIndex.js';
import { RecoveringMission } from './recoveringMission.js';
import { DaemonMission } from './daemonMission.js';
import { missionRunnerMachine } from './missionRunner.js';
import { claimMissionLog, claimNewMissionId } from '../log/missionIds.js';
import type { DaemonOptions } from './daemonOptions.js';

export type { DaemonOptions };

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** How often a long recovery at start says how far it is. */
const PROGRESS_EVERY_MS = 2000;

export class Daemon implements DaemonApi {
  private readonly missions = new Map<
    string,
    DaemonMission | ArchivedMission | RecoveringMission
  >();
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

  constructor(options: DaemonOptions) {
    this.options = { ...options, onWriteFault: (id, fault) => this.disk.missionFaulted(id, fault) };
    this.clock = options.clock ?? systemClock;
    this.index = new MissionIndex(options.stateDir, options.logger);
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
   * Starts the root supervisor, then reads the index, and the logs of the missions it does not
   * name, and resumes those not over, before it returns (an embedded daemon, a test).
   * `maestro daemon` uses `startInBackground`, which answers at once.
   */
  start(): { resumed: string[]; finished: number } {
    this.startRoot();
    const dir = this.missionsDir();
    const names = existsSync(dir) ? readdirSync(dir) : [];
    const pending: string[] = [];
    for (const _ of this.catalog(dir, names, this.index.read(), pending));
    this.loading = false;
    const resumed: string[] = [];
    for (const id of pending) if (this.recoverOne(id) === 'resumed') resumed.push(id);
    this.keepPruning();
    return { resumed, finished: this.finishedCount() };
  }

  /**
   * Starts the root supervisor and returns at once: the index, the folder of logs and the logs
   * the index does not name are read in the background, a few milliseconds of work at a time, so
   * the API answers from the first moment (100,000 missions of history are about a second of
   * reading here). Until its log is read a mission is listed as `recovering`; asking for its
   * status, its events, a stop or an answer reads it first. `loaded` settles once every mission is known (the HTTP
   * list waits for it); `recovered` once every log is read, with a progress line every few
   * seconds when there are many (an old state directory with no index is indexed so, once).
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
      for (const _ of this.catalog(dir, names, indexed, pending)) await nextTurn();
      this.loading = false;
      return { finished: this.finishedCount(), recovering: pending.length };
    })();
    this.whenLoaded = loaded.then(() => undefined);
    const recovered = loaded.then(async () => {
      await nextTurn();
      const resumed: string[] = [];
      const began = Date.now();
      let slice = began;
      let told = began;
      for (const [i, id] of pending.entries()) {
        if (this.stopping) break;
        try {
          if (this.recoverOne(id) === 'resumed') resumed.push(id);
        } catch (err) {
          // One log that cannot be read stops neither the others nor the daemon.
          this.missions.delete(id);
          this.options.logger.error(
            { mission: id, err },
            'daemon: this mission could not be recovered',
          );
        }
        if (Date.now() - slice < 20) continue;
        await nextTurn();
        slice = Date.now();
        if (slice - told < PROGRESS_EVERY_MS) continue;
        told = slice;
        this.options.logger.info(
          { read: i + 1, of: pending.length },
          `daemon: recovering missions: ${i + 1} of ${pending.length} logs read`,
        );
      }
      if (pending.length > 0)
        this.options.logger.info(
          { read: pending.length, resumed: resumed.length, ms: Date.now() - began },
          `daemon: recovery done: ${pending.length} log(s) read, ${resumed.length} mission(s) resumed`,
        );
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
    const retention =
      request.retain !== undefined ? parseRetention(request.retain) : this.options.retain;
    if (!retention)
      throw new UserError(
        "prune: this daemon has no retention policy (start it with --retain, or give 'retain')",
      );
    const kept = new Map<string, MissionSummary>();
    for (const m of this.missions.values())
      if (m instanceof ArchivedMission) kept.set(m.id, m.summary());
    const expired = expiredMissions(kept.values(), retention, this.clock.now());
    const result = pruneLogs(expired, (id) => EventLog.pathFor(this.options.stateDir, id), {
      archiveDir: this.options.archiveDir,
      dryRun: request.dryRun,
    });
    if (!result.dryRun && result.pruned.length > 0) {
      for (const id of result.pruned) {
        this.missions.delete(id);
        kept.delete(id);
      }
      const at = new Date(this.clock.now()).toISOString();
      this.index.rewrite(kept.values(), {
        pruned: result.pruned.length,
        at,
        retain: retention.text,
        to: result.to,
      });
    }
    const log = result.failed ? this.options.logger.error : this.options.logger.info;
    if (result.pruned.length > 0 || result.failed)
      log.call(
        this.options.logger,
        { pruned: result.pruned.length, bytes: result.bytes, to: result.to, failed: result.failed },
        `daemon: history pruned (${retention.text}): ${result.pruned.length} finished mission(s) ${result.dryRun ? 'would go' : result.to === 'deleted' ? 'deleted' : `archived to ${result.to}`}${result.failed ? `; stopped at ${result.failed.id}: ${result.failed.error}` : ''}`,
      );
    return { ...result, retain: retention.text };
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
    const m = process.memoryUsage();
    let live = 0;
    let recovering = 0;
    for (const x of this.missions.values()) {
      if (x instanceof RecoveringMission) recovering++;
      else if (!x.over) live++;
    }
    return {
      ok: true,
      pid: process.pid,
      uptimeMs: Date.now() - this.startedAt,
      missions: { total: this.missions.size, live, recovering },
      memory: { rssBytes: m.rss, heapUsedBytes: m.heapUsed },
    };
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

  /**
   * The finished missions of the index, as summaries, and a `recovering` placeholder for every
   * other log, whose id goes to `pending`; a mission already known (submitted, or read on demand
   * meanwhile) stays as it is. Pauses (a yield) every few thousand files.
   */
  private *catalog(
    dir: string,
    names: string[],
    indexed: Map<string, MissionSummary>,
    pending: string[],
  ): Generator<void> {
    // A compaction (or a restore) killed before its rename leaves its temporary file; the log
    // itself is whole (the rename is what replaces it), so the leftover only goes.
    for (const f of names.filter((n) => n.endsWith('.jsonl.tmp') || n.endsWith('.jsonl.restore')))
      rmSync(join(dir, f), { force: true });
    const logs = names.filter((n) => n.endsWith('.jsonl')).sort();
    for (const [i, f] of logs.entries()) {
      if (i > 0 && i % 5000 === 0) yield;
      const id = f.slice(0, -'.jsonl'.length);
      const known = this.missions.get(id);
      if (known && !(known instanceof RecoveringMission)) continue;
      const file = join(dir, f);
      const summary = indexed.get(id);
      // Over, by the index: its log is read when someone asks, not now.
      if (summary) this.missions.set(id, new ArchivedMission(id, summary, file, this.options));
      else {
        if (!known) this.missions.set(id, new RecoveringMission(id, file));
        pending.push(id);
      }
    }
  }

  /** Reads one mission's log: resumes it if it is not over, archives it if it is. */
  private recoverOne(id: string): 'resumed' | 'finished' | 'skipped' {
    const o = this.options;
    const placeholder = this.missions.get(id);
    if (!(placeholder instanceof RecoveringMission)) return 'skipped';
    // Replaced where it is (the list keeps its order), or dropped: a log that cannot be resumed
    // is not listed.
    const file = placeholder.logFile;
    const started = Date.now();
    const recovered = recoverMission(file, id);
    warnCorrupt(o.logger, recovered);
    if (!recovered.submitted) {
      o.logger.warn(
        { mission: id, file },
        'daemon: a log with no mission.submitted is skipped (not a daemon mission, or torn at its first line)',
      );
      this.missions.delete(id);
      return 'skipped';
    }
    const parsed = loggedMissionSchema.safeParse(recovered.submitted.config);
    if (!parsed.success) {
      o.logger.error(
        { mission: id, file, issue: parsed.error.issues[0]?.message },
        'daemon: the config in this log no longer validates; the mission is not resumed',
      );
      this.missions.delete(id);
      return 'skipped';
    }
    const m = new DaemonMission(
      id,
      parsed.data,
      recovered.submitted.input,
      file,
      this.options,
      recovered,
    );
    this.missions.set(id, m);
    if (recovered.finished) {
      this.archiveIfOver(m);
      return 'finished';
    }
    this.launch(m);
    o.logger.info(
      { mission: id, lines: recovered.lines, ms: Date.now() - started },
      'daemon: mission resumed',
    );
    return 'resumed';
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

  approvals(): ApprovalRecord[] {
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

  private get(id: string): DaemonMission | ArchivedMission | RecoveringMission {
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
    if (this.get(id) instanceof RecoveringMission) this.recoverOne(id);
    const m = this.get(id);
    // recoverOne always replaces the placeholder (or drops it, and get threw).
    if (m instanceof RecoveringMission) throw new MissionRecoveringError(id);
    return m;
  }
}
