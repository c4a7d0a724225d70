/**
 * `maestro`: parses the command line and dispatches. Returns the exit code: 0 success, 1 the
 * mission failed, 2 a usage or config error. A user's mistake prints its message, never a stack.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { version } from './version.js';
import { natsFlagNames, natsFlagOptions } from './natsFlags.js';
import { UserError, errorMessage } from '../config/errors.js';
import { commandHelp, mainHelp } from './help.js';
import { makerCommand } from './maker.js';
import { runCommand } from './run.js';
import { schemaCommand, validateCommand } from './validate.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const stdio: Io = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) };

export class UsageError extends UserError {
  override name = 'UsageError';
}

const options = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  input: { type: 'string' },
  'state-dir': { type: 'string' },
  'mission-id': { type: 'string' },
  'log-level': { type: 'string' },
  out: { type: 'string' },
  'error-rate': { type: 'string' },
  steps: { type: 'string' },
  target: { type: 'string' },
  'steps-per-agent': { type: 'string' },
  'red-flag-rate': { type: 'string' },
  capability: { type: 'string', multiple: true },
  config: { type: 'string' },
  concurrency: { type: 'string' },
  id: { type: 'string' },
  'heartbeat-ms': { type: 'string' },
  'ack-wait-ms': { type: 'string' },
  'wait-workers-ms': { type: 'string' },
  inspect: { type: 'string' },
  'keep-open': { type: 'boolean' },
  'inspect-token': { type: 'string' },
  once: { type: 'boolean' },
  listen: { type: 'string' },
  token: { type: 'string' },
  'auth-reads': { type: 'boolean' },
  'shutdown-ms': { type: 'string' },
  'sync-ms': { type: 'string' },
  url: { type: 'string' },
  reject: { type: 'boolean' },
  feedback: { type: 'string' },
  follow: { type: 'boolean' },
  reason: { type: 'string' },
  ...natsFlagOptions,
} satisfies ParseArgsConfig['options'];

const allowed: Record<string, string[]> = {
  run: ['help', 'json', 'quiet', 'input', 'state-dir', 'mission-id', 'log-level', 'wait-workers-ms', 'inspect', 'keep-open', 'inspect-token', ...natsFlagNames],
  inspect: ['help', 'once', 'json'],
  replay: ['help', 'json', 'state-dir'],
  worker: ['help', 'capability', 'config', 'concurrency', 'id', 'heartbeat-ms', 'ack-wait-ms', 'log-level', ...natsFlagNames],
  validate: ['help', 'json'],
  schema: ['help', 'out'],
  maker: ['help', 'json', 'error-rate', 'steps', 'target', 'steps-per-agent', 'red-flag-rate'],
  daemon: ['help', 'state-dir', 'listen', 'token', 'auth-reads', 'shutdown-ms', 'sync-ms', 'wait-workers-ms', 'log-level', ...natsFlagNames],
  submit: ['help', 'json', 'input', 'mission-id', 'follow', 'url', 'token', 'state-dir'],
  status: ['help', 'json', 'url', 'token', 'state-dir'],
  approve: ['help', 'json', 'reject', 'feedback', 'url', 'token', 'state-dir'],
  stop: ['help', 'json', 'reason', 'url', 'token', 'state-dir'],
  help: ['help'],
};

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  try {
    // `--inspect` takes an optional value (`--inspect=PORT`); bare, it means a free port.
    const args = argv.map((a) => (a === '--inspect' ? '--inspect=0' : a));
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    const [command, ...rest] = positionals;
    if (values.version) {
      io.out(version());
      return 0;
    }
    if (!command) {
      io.out(mainHelp);
      return values.help ? 0 : 2;
    }
    if (command === 'help') {
      io.out(commandHelp[rest.join(' ')] || (rest[0] !== undefined && commandHelp[rest[0]]) || mainHelp);
      return 0;
    }
    if (!(command in allowed)) throw new UsageError(`unknown command '${command}' (try: maestro --help)`);
    const bad = Object.keys(values).filter((k) => !allowed[command]!.includes(k));
    if (bad.length) throw new UsageError(`maestro ${command}: unknown option '--${bad[0]}' (try: maestro ${command} --help)`);
    if (values.help && command !== 'maker') {
      io.out(commandHelp[command]!);
      return 0;
    }
    switch (command) {
      case 'run':
        return await runCommand(one(command, rest), values, io);
      case 'validate':
        return await validateCommand(one(command, rest), values, io);
      case 'schema':
        if (rest.length) throw new UsageError(`maestro schema: unexpected argument '${rest[0]}'`);
        return schemaCommand(values, io);
      case 'maker':
        return makerCommand(rest, values, io);
      case 'replay': {
        const { replayCommand } = await import('./replay.js');
        return replayCommand(one(command, rest), values, io);
      }
      case 'inspect': {
        const { inspectCommand } = await import('./inspect.js');
        return await inspectCommand(one(command, rest), values, io);
      }
      case 'daemon': {
        if (rest.length) throw new UsageError(`maestro daemon: unexpected argument '${rest[0]}'`);
        const { daemonCommand } = await import('./daemon.js');
        return await daemonCommand(values, io);
      }
      case 'submit':
        return await (await import('./submit.js')).submitCommand(one(command, rest), values, io);
      case 'status':
        return await (await import('./status.js')).statusCommand(optionalOne(command, rest), values, io);
      case 'approve':
        return await (await import('./approve.js')).approveCommand(optionalOne(command, rest), values, io);
      case 'stop':
        return await (await import('./stopMission.js')).stopCommand(one(command, rest), values, io);
      case 'worker': {
        if (rest.length) throw new UsageError(`maestro worker: unexpected argument '${rest[0]}'`);
        // Loaded only here: the NATS client is not needed by the embedded commands.
        const { workerCommand } = await import('./worker.js');
        return await workerCommand(values, io);
      }
    }
    return 2;
  } catch (err) {
    if (err instanceof UserError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`maestro: ${errorMessage(err)}`);
      return 2;
    }
    io.err(`maestro: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}

function one(command: string, rest: string[]): string {
  const what = command === 'replay' || command === 'stop' ? 'MISSION' : command === 'inspect' ? 'URL' : 'FILE';
  if (rest.length !== 1) throw new UsageError(`maestro ${command}: expected one ${what}, got ${rest.length} (try: maestro ${command} --help)`);
  return rest[0]!;
}


function optionalOne(command: string, rest: string[]): string | undefined {
  if (rest.length > 1) throw new UsageError(`maestro ${command}: expected at most one id, got ${rest.length} (try: maestro ${command} --help)`);
  return rest[0];
}
