import { dirname, resolve } from 'node:path';
import { workflowResult } from './render/workflowReport.js';
import { missionStages } from '../machines/workflowStages.js';
import type { MissionConfig } from '../config/mission.js';
import { redact, redactText, registerSecretEnv } from '../kernel/secrets.js';
import { ensureStateDir } from '../log/stateDir.js';
import { loadConfigFile } from '../config/loader.js';
import { workspacePathIssues, workspaceRoot } from '../config/workspace.js';
import { createLogger } from '../kernel/logger.js';
import { missionSchema } from '../config/mission.js';
import { runMission } from '../runner/runMission.js';
import type { Io } from './io.js';
import { UsageError } from './io.js';
import { formatMs, progressPrinter, runLogging } from './progress.js';
import { troubledAgents } from './render/agentLine.js';
import { prefixed, reasonText } from './render/prefix.js';
import type { NatsFlags } from './natsFlags.js';
import type { ClientMessage } from '../inspector/types.js';
import { UserError } from '../kernel/errors.js';
import { RunApprovals } from './runApprovals.js';
import { outputMode } from './render/outputMode.js';
import { plural } from './render/format.js';
import type { Readable, Writable } from 'node:stream';

export interface RunFlags extends NatsFlags {
  'wait-workers-ms'?: string;
  inspect?: string;
  'keep-open'?: boolean;
  'inspect-token'?: string;
  json?: boolean;
  pretty?: boolean;
  quiet?: boolean;
  input?: string;
  'state-dir'?: string;
  'mission-id'?: string;
  'log-level'?: string;
  /** Approve every approval gate as it opens (scripted runs). */
  'approve-all'?: boolean;
  language?: string;
}

/** What `run` reads answers from; tests inject it. */
export interface RunEnv {
  /** Answers to approval gates: a prompt on a TTY, one answer a line otherwise. @default process.stdin */
  stdin?: Readable & { isTTY?: boolean };
  /** Where a TTY prompt is drawn. @default process.stderr */
  prompt?: Writable;
}

const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export async function runCommand(
  file: string,
  flags: RunFlags,
  io: Io,
  env: RunEnv = {},
): Promise<number> {
  const level = flags['log-level'] ?? 'error';
  if (!levels.includes(level))
    throw new UsageError(`--log-level: expected one of ${levels.join(', ')}, got '${level}'`);
  // A secret-looking variable the file interpolates (or a model echoes back) is masked in the
  // log, the progress and the printed result alike, as under the daemon.
  registerSecretEnv(Object.keys(process.env), process.env);
  // A workspace that is not there (or cannot be written) is the file's error, at its line.
  const config = await loadConfigFile(file, missionSchema, {
    rules: (c: MissionConfig) => workspacePathIssues(c.workspace, dirname(resolve(file))),
  });
  // The mission's log keeps the workspace's real place: a resume reads no file's folder.
  if (config.workspace)
    config.workspace.path = workspaceRoot(config.workspace, dirname(resolve(file)));
  const nats = flags.nats?.length
    ? (await import('./natsConnect.js')).natsOptionsFromFlags(flags, `maestro-run-${config.name}`)
    : undefined;
  const waitWorkersMs =
    flags['wait-workers-ms'] === undefined ? undefined : Number(flags['wait-workers-ms']);
  if (waitWorkersMs !== undefined && !(Number.isInteger(waitWorkersMs) && waitWorkersMs >= 0)) {
    throw new UsageError(
      `--wait-workers-ms: expected a whole number of ms, got '${flags['wait-workers-ms']}'`,
    );
  }
  const logger = createLogger({ level, ...runLogging(io, flags) });
  const stateDir = flags['state-dir'] ?? process.env.MAESTRO_STATE_DIR ?? '.maestro';
  ensureStateDir(stateDir, "write the mission's event log");
  const stop = new AbortController();
  let answers: RunApprovals | undefined;
  // An inspector client with the token answers a gate or stops the mission, like the daemon's page.
  const inspectorWrite = (msg: ClientMessage): void => {
    if (msg.type === 'stop') return stop.abort('stopped from the inspector');
    if (msg.type !== 'approve' && msg.type !== 'reject') return;
    if (!answers)
      throw new UserError(`unknown approval '${msg.id}': this mission has no approval gates`);
    answers.inspectorAnswer(
      msg.id,
      msg.type === 'approve'
        ? { decision: 'approve' }
        : { decision: 'reject', ...(msg.feedback !== undefined && { feedback: msg.feedback }) },
    );
  };
  const inspector =
    flags.inspect === undefined
      ? undefined
      : await openInspector(flags, io, inspectorWrite, stateDir);
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    io.err('maestro: stopping the mission (press Ctrl-C again to quit at once)');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (missionStages(config).some((s) => s.approval !== undefined)) {
    answers = new RunApprovals({
      err: io.err,
      json: outputMode(flags, io.tty?.err) === 'json',
      approveAll: flags['approve-all'] === true,
      ...(flags.language !== undefined && { language: flags.language }),
      stdin: env.stdin ?? process.stdin,
      prompt: env.prompt ?? process.stderr,
      ...(inspector?.writable && { inspector: { url: inspector.url } }),
      stop: (reason) => stop.abort(reason),
      interrupt: onSignal,
    });
  }
  const progress = flags.quiet ? undefined : progressPrinter(io, flags);
  // Whether the progress lines already said how the mission failed (its start_failed or failed
  // end): then run's own `maestro: …` line would only say it again. With --quiet it is the only one.
  let failureShown = false;
  try {
    const run = await runMission(config, {
      stateDir,
      logger,
      missionId: flags['mission-id'],
      input: flags.input,
      signal: stop.signal,
      nats,
      waitWorkersMs,
      ...(inspector && { observer: inspector.hub }),
      onEvent: (e) => {
        progress?.(e);
        if (
          progress &&
          (e.type === 'mission.start_failed' ||
            (e.type === 'mission.finished' && e.status === 'failed'))
        )
          failureShown = true;
        answers?.onEvent(e);
      },
      onStart: (send) => answers?.attach(send),
    }).catch((err: unknown) => {
      // Not reaching NATS, no worker for a provider, or Ctrl-C while waiting for one: the mission
      // cannot start. Say why, exit 1.
      const name = (err as Error | null)?.name;
      if (name === 'NatsConnectError' || name === 'NoWorkersError' || name === 'WaitStoppedError')
        return err as Error;
      throw err;
    });
    if (run instanceof Error) {
      if (!failureShown) io.err(prefixed('maestro', run.message));
      return 1;
    }
    const { output, eventLogFile, agents } = run;
    const u = output.usage;
    // Progress as JSON lines (a pipe, --json) stays JSON to its end: the summary is one more object.
    const jsonProgress = !flags.quiet && outputMode(flags, io.tty?.err) === 'json';
    if (jsonProgress) {
      io.err(
        JSON.stringify({
          type: 'run.summary',
          mission: output.missionId,
          status: output.status,
          calls: u.samples,
          tokens: u.tokens,
          costUsd: u.costUsd,
          wallTimeMs: u.wallTimeMs,
          eventLog: eventLogFile,
          agents,
        }),
      );
    } else if (!flags.quiet) {
      io.err(
        `mission ${output.status}: ${plural(u.samples, 'call')}, ${u.tokens} tokens, $${u.costUsd.toFixed(4)}, ${formatMs(u.wallTimeMs)}; events in ${eventLogFile}`,
      );
      // Agents whose calls failed or that were restarted; every agent's counts are in --json.
      for (const line of troubledAgents(agents)) io.err(`  agent ${redactText(line)}`);
    }
    if (flags.json)
      io.out(JSON.stringify(redact({ ...output, agents, eventLog: eventLogFile }), null, 2));
    else if (output.status === 'succeeded')
      io.out(
        redactText(workflowResult(output.result ?? '', flags.language) ?? output.result ?? ''),
      );
    if (inspector) {
      // The mission is over: Ctrl-C now closes the inspector, it no longer stops a mission.
      process.off('SIGINT', onSignal);
      await inspector.afterRun(flags['keep-open'] === true);
    }
    if (run.writeFault) {
      io.err(
        prefixed(
          'maestro',
          `${run.writeFault.message}; the mission was suspended at its last written event (its log is kept in ${eventLogFile}); free some space and run it again`,
        ),
      );
      return 1;
    }
    if (output.status === 'failed') {
      if (!failureShown) io.err(prefixed('maestro', 'mission failed', reasonText(output.error!)));
      return 1;
    }
    return 0;
  } finally {
    answers?.close();
    await inspector?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    logger.flush();
  }
}

/**
 * `--inspect[=PORT]`: the hub and its page, printed before the mission starts. With a token the
 * page's writes (answering approvals, stop) go to `onWrite`.
 */
async function openInspector(
  flags: RunFlags,
  io: Io,
  onWrite: (msg: ClientMessage) => void,
  stateDir: string,
) {
  const port = Number(flags.inspect);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--inspect: expected a port number, got '${flags.inspect}'`);
  const [{ InspectorHub }, { startInspectorServer }, { describeEvent, runMissionSource }] =
    await Promise.all([
      import('../inspector/hub.js'),
      import('../inspector/server.js'),
      import('./inspectorSources.js'),
    ]);
  const token = flags['inspect-token'] ?? process.env.MAESTRO_INSPECT_TOKEN;
  const hub = new InspectorHub({ describe: describeEvent });
  hub.start();
  const server = await startInspectorServer(hub, {
    port,
    missions: runMissionSource(hub, stateDir),
    ...(token && { token, onWrite }),
  });
  io.err(
    `inspector: ${server.url}${token ? ' (open it with #token=... to answer approvals and stop)' : ' (read-only; --inspect-token lets the page answer approvals)'}`,
  );
  let closed = false;
  return {
    hub,
    url: server.url,
    writable: token !== undefined,
    /**
     * The mission is over. With --keep-open, serve until Ctrl-C; while a page is still open, serve
     * until it closes (or Ctrl-C), so whoever watches sees the end.
     */
    async afterRun(keepOpen: boolean) {
      hub.flush();
      const watched = server.stats().clients > 0;
      if (!keepOpen && !watched) return;
      io.err(
        `inspector: still serving ${server.url}${keepOpen ? '' : ' while a page is open'}; Ctrl-C to quit`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        if (!keepOpen) void server.clientsGone().then(resolve);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      hub.stop();
      await server.close();
    },
  };
}
