import { loadConfigFile } from '../config/loader.js';
import { createLogger } from '../config/logger.js';
import { missionSchema } from '../config/mission.js';
import { runMission } from '../machines/runMission.js';
import type { Io } from './main.js';
import { UsageError } from './main.js';
import { formatMs, progressPrinter } from './progress.js';
import type { NatsFlags } from './natsFlags.js';

export interface RunFlags extends NatsFlags {
  'wait-workers-ms'?: string;
  json?: boolean;
  quiet?: boolean;
  input?: string;
  'state-dir'?: string;
  'mission-id'?: string;
  'log-level'?: string;
}

const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export async function runCommand(file: string, flags: RunFlags, io: Io): Promise<number> {
  const level = flags['log-level'] ?? 'error';
  if (!levels.includes(level)) throw new UsageError(`--log-level: expected one of ${levels.join(', ')}, got '${level}'`);
  const config = await loadConfigFile(file, missionSchema);
  const nats = flags.nats?.length ? (await import('./natsConnect.js')).natsOptionsFromFlags(flags, `maestro-run-${config.name}`) : undefined;
  const waitWorkersMs = flags['wait-workers-ms'] === undefined ? undefined : Number(flags['wait-workers-ms']);
  if (waitWorkersMs !== undefined && !(Number.isInteger(waitWorkersMs) && waitWorkersMs >= 0)) {
    throw new UsageError(`--wait-workers-ms: expected a whole number of ms, got '${flags['wait-workers-ms']}'`);
  }
  const logger = createLogger({ level });
  const stateDir = flags['state-dir'] ?? process.env.MAESTRO_STATE_DIR ?? '.maestro';
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    io.err('maestro: stopping the mission (press Ctrl-C again to quit at once)');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const run = await runMission(config, {
      stateDir,
      logger,
      missionId: flags['mission-id'],
      input: flags.input,
      signal: stop.signal,
      nats,
      waitWorkersMs,
      onEvent: flags.quiet ? undefined : progressPrinter(io.err),
    }).catch((err: unknown) => {
      // Not reaching NATS, or no worker for a provider: the mission cannot start. Say why, exit 1.
      const name = (err as Error | null)?.name;
      if (name === 'NatsConnectError' || name === 'NoWorkersError') return err as Error;
      throw err;
    });
    if (run instanceof Error) {
      io.err(`maestro: ${run.message}`);
      return 1;
    }
    const { output, eventLogFile } = run;
    const u = output.usage;
    if (!flags.quiet) {
      io.err(`mission ${output.status}: ${u.samples} calls, ${u.tokens} tokens, $${u.costUsd.toFixed(4)}, ${formatMs(u.wallTimeMs)}; events in ${eventLogFile}`);
    }
    if (flags.json) io.out(JSON.stringify({ ...output, eventLog: eventLogFile }, null, 2));
    else if (output.status === 'succeeded') io.out(output.result ?? '');
    if (output.status === 'failed') {
      const { reason, message } = output.error!;
      io.err(`maestro: mission failed: ${message.startsWith(reason) ? message : `${reason}: ${message}`}`);
      return 1;
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    logger.flush();
  }
}
