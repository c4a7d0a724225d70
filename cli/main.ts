/**
 * `maestro`: parses the command line and dispatches. Returns the exit code: 0 success, 1 the
 * mission failed, 2 a usage or config error. A user's mistake prints its message, never a stack.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { version } from './version.js';
import { natsFlagNames, natsFlagOptions } from './natsFlags.js';
import { UserError, errorMessage } from '../kernel/errors.js';
import { stdio, UsageError, type Io } from './io.js';
import { commandHelp, mainHelp, usageOf } from './help.js';
import { prefixed } from './render/prefix.js';

export type { Io };

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
  'rotate-token': { type: 'boolean' },
  inspect: { type: 'string' },
  'keep-open': { type: 'boolean' },
  'approve-all': { type: 'boolean' },
  language: { type: 'string' },
  'inspect-token': { type: 'string' },
  once: { type: 'boolean' },
  listen: { type: 'string' },
  token: { type: 'string' },
  'auth-reads': { type: 'boolean' },
  'nats-open-reads': { type: 'boolean' },
  'allow-cli': { type: 'string', multiple: true },
  daemon: { type: 'string' },
  worker: { type: 'string', multiple: true },
  client: { type: 'string', multiple: true },
  'allow-env': { type: 'string', multiple: true },
  'shutdown-ms': { type: 'string' },
  'sync-ms': { type: 'string' },
  url: { type: 'string' },
  reject: { type: 'boolean' },
  feedback: { type: 'string' },
  follow: { type: 'boolean' },
  reason: { type: 'string' },
  pretty: { type: 'boolean' },
  retain: { type: 'string' },
  archive: { type: 'string' },
  'dry-run': { type: 'boolean' },
  workspace: { type: 'string' },
  format: { type: 'string' },
  allow: { type: 'string', multiple: true },
  'timeout-ms': { type: 'string' },
  network: { type: 'boolean' },
  env: { type: 'string', multiple: true },
  sandbox: { type: 'string' },
  http: { type: 'string' },
  status: { type: 'string' },
  name: { type: 'string' },
  limit: { type: 'string' },
  offset: { type: 'string' },
  root: { type: 'string', multiple: true },
  agents: { type: 'string' },
  ...natsFlagOptions,
} satisfies ParseArgsConfig['options'];

const allowed: Record<string, string[]> = {
  run: [
    'help',
    'json',
    'pretty',
    'quiet',
    'input',
    'state-dir',
    'mission-id',
    'log-level',
    'wait-workers-ms',
    'inspect',
    'keep-open',
    'inspect-token',
    'approve-all',
    'language',
    ...natsFlagNames,
  ],
  inspect: [
    'help',
    'once',
    'json',
    'pretty',
    'status',
    'name',
    'limit',
    'offset',
    'url',
    'token',
    'state-dir',
  ],
  replay: ['help', 'json', 'pretty', 'state-dir'],
  worker: [
    'help',
    'capability',
    'config',
    'concurrency',
    'id',
    'heartbeat-ms',
    'ack-wait-ms',
    'log-level',
    ...natsFlagNames,
  ],
  validate: ['help', 'json'],
  schema: ['help', 'out'],
  maker: ['help', 'json', 'error-rate', 'steps', 'target', 'steps-per-agent', 'red-flag-rate'],
  'nats-config': ['help', 'daemon', 'worker', 'client', 'out'],
  daemon: [
    'help',
    'json',
    'pretty',
    'state-dir',
    'listen',
    'token',
    'rotate-token',
    'auth-reads',
    'nats-open-reads',
    'config',
    'allow-cli',
    'allow-env',
    'shutdown-ms',
    'sync-ms',
    'wait-workers-ms',
    'log-level',
    'retain',
    'archive',
    ...natsFlagNames,
  ],
  history: ['help', 'json', 'retain', 'archive', 'dry-run', 'url', 'token', 'state-dir'],
  arch: ['help', 'json', 'state-dir'],
  verify: ['help', 'json', 'workspace', 'timeout-ms', 'network', 'env', 'sandbox'],
  patch: ['help', 'json', 'workspace', 'format', 'allow', 'state-dir'],
  submit: ['help', 'json', 'pretty', 'input', 'mission-id', 'follow', 'url', 'token', 'state-dir'],
  status: ['help', 'json', 'url', 'token', 'state-dir'],
  approve: ['help', 'json', 'reject', 'feedback', 'url', 'token', 'state-dir'],
  stop: ['help', 'json', 'reason', 'url', 'token', 'state-dir'],
  mcp: ['help', 'http', 'root', 'agents', 'daemon', 'token', 'state-dir', 'allow-env', 'log-level'],
  help: ['help'],
};

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  try {
    const { values, positionals } = parseCommandLine(argv);
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
      io.out(
        commandHelp[rest.join(' ')] || (rest[0] !== undefined && commandHelp[rest[0]]) || mainHelp,
      );
      return 0;
    }
    if (!(command in allowed))
      throw new UsageError(`unknown command '${command}' (try: maestro --help)`);
    if (values.help && command !== 'maker') {
      io.out(commandHelp[command]!);
      return 0;
    }
    // OpenTelemetry only when an endpoint is named: otherwise its SDK is not even loaded.
    const traced =
      (command === 'run' || command === 'daemon' || command === 'mcp') &&
      Boolean(
        process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
      );
    const tracing = traced
      ? (await import('../runner/tracing.js')).startTracing({ version: version() })
      : undefined;
    try {
      return await dispatch(command, rest, values, io);
    } finally {
      await tracing?.shutdown();
    }
  } catch (err) {
    if (err instanceof UserError) {
      io.err(prefixed('maestro', errorMessage(err)));
      if (err instanceof UsageError && err.command !== undefined) io.err(usageOf(err.command));
      return 2;
    }
    io.err(
      prefixed(
        'maestro',
        'internal error',
        err instanceof Error ? (err.stack ?? err.message) : String(err),
      ),
    );
    return 1;
  }
}

/** The values as strict parsing would type them: every check strict parsing makes is made here. */
type Values = ReturnType<
  typeof parseArgs<{ options: typeof options; allowPositionals: true; strict: true }>
>['values'];

/**
 * The command line read by Node's parseArgs, leniently, then checked here against the command's
 * own flags, so that a bad flag gets Maestro's message and the command's usage: an unknown flag,
 * a flag of another command, a value missing, a value given to a switch.
 */
function parseCommandLine(argv: string[]): { values: Values; positionals: string[] } {
  // `--inspect` takes an optional value (`--inspect=PORT`); bare, it means a free port.
  const args = argv.map((a) => (a === '--inspect' ? '--inspect=0' : a));
  const { values, positionals, tokens } = parseArgs({
    args,
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const command = positionals[0];
  const known = command !== undefined && command in allowed ? command : undefined;
  // `maestro maker kmin --bad`: the subcommand's usage, when it has one.
  const sub =
    known && positionals[1] !== undefined && `${known} ${positionals[1]}` in commandHelp
      ? `${known} ${positionals[1]}`
      : known;
  const fail = (message: string): never => {
    throw new UsageError(
      prefixed(sub ? `maestro ${sub}` : 'maestro', message),
      sub ? { command: sub } : {},
    );
  };
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const spec = (options as Record<string, { type: 'string' | 'boolean' } | undefined>)[t.name];
    const flag = t.rawName;
    if (!spec || (known && !allowed[known]!.includes(t.name))) fail(`unknown flag ${flag}`);
    if (spec!.type === 'boolean' && t.value !== undefined)
      fail(`${flag} takes no value (got '${t.value}')`);
    if (spec!.type === 'string') {
      if (t.value === undefined) fail(`${flag} needs a value`);
      // `--input --json`: the next flag is not meant as the value.
      if (!t.inlineValue && /^-./.test(t.value!))
        fail(
          `${flag} needs a value (got the flag ${t.value}; write ${flag}=${t.value} if that is the value)`,
        );
    }
  }
  return { values: values as Values, positionals };
}

function one(command: string, rest: string[]): string {
  const what =
    command === 'replay' || command === 'stop' || command === 'inspect timeline'
      ? 'MISSION'
      : command === 'inspect'
        ? 'URL'
        : 'FILE';
  if (rest.length !== 1)
    throw new UsageError(
      `maestro ${command}: expected one ${what}, got ${rest.length} (try: maestro ${command} --help)`,
    );
  return rest[0]!;
}

function optionalOne(command: string, rest: string[]): string | undefined {
  if (rest.length > 1)
    throw new UsageError(
      `maestro ${command}: expected at most one id, got ${rest.length} (try: maestro ${command} --help)`,
    );
  return rest[0];
}

/** Runs `command`: each loads its own modules, so `maestro --help` loads no runtime (bench:start). */
async function dispatch(
  command: string,
  rest: string[],
  values: ReturnType<typeof parseCommandLine>['values'],
  io: Io,
): Promise<number> {
  switch (command) {
    case 'run':
      return await (await import('./run.js')).runCommand(one(command, rest), values, io);
    case 'validate':
      return await (await import('./validate.js')).validateCommand(one(command, rest), values, io);
    case 'schema':
      if (rest.length) throw new UsageError(`maestro schema: unexpected argument '${rest[0]}'`);
      return (await import('./validate.js')).schemaCommand(values, io);
    case 'maker':
      return (await import('./maker.js')).makerCommand(rest, values, io);
    case 'replay': {
      const { replayCommand } = await import('./replay.js');
      return replayCommand(one(command, rest), values, io);
    }
    case 'inspect': {
      if (rest[0] === 'missions') {
        if (rest.length > 1)
          throw new UsageError(`maestro inspect missions: unexpected argument '${rest[1]}'`);
        return await (await import('./inspectMissions.js')).inspectMissions(values, io);
      }
      if (rest[0] === 'timeline')
        return (await import('./replay.js')).replayCommand(
          one('inspect timeline', rest.slice(1)),
          values,
          io,
        );
      const { inspectCommand } = await import('./inspect.js');
      return await inspectCommand(one(command, rest), values, io);
    }
    case 'daemon': {
      if (rest.length) throw new UsageError(`maestro daemon: unexpected argument '${rest[0]}'`);
      const { daemonCommand } = await import('./daemon.js');
      return await daemonCommand(values, io);
    }
    case 'verify':
      return await (await import('./verify.js')).verifyCommand(rest, values, io);
    case 'mcp':
      if (rest.length) throw new UsageError(`maestro mcp: unexpected argument '${rest[0]}'`);
      return await (await import('./mcp.js')).mcpCommand(values, io);
    case 'patch':
      return await (await import('./patch.js')).patchCommand(rest, values, io);
    case 'history':
      return await (await import('./history.js')).historyCommand(rest, values, io);
    case 'arch':
      return (await import('./arch.js')).archCommand(rest, values, io);
    case 'submit':
      return await (await import('./submit.js')).submitCommand(one(command, rest), values, io);
    case 'status':
      return await (await import('./status.js')).statusCommand(
        optionalOne(command, rest),
        values,
        io,
      );
    case 'approve':
      return await (await import('./approve.js')).approveCommand(
        optionalOne(command, rest),
        values,
        io,
      );
    case 'stop':
      return await (await import('./stopMission.js')).stopCommand(one(command, rest), values, io);
    case 'nats-config': {
      if (rest.length)
        throw new UsageError(`maestro nats-config: unexpected argument '${rest[0]}'`);
      const { natsConfigCommand } = await import('./natsConfig.js');
      return natsConfigCommand(values, io);
    }
    case 'worker': {
      if (rest.length) throw new UsageError(`maestro worker: unexpected argument '${rest[0]}'`);
      // Loaded only here: the NATS client is not needed by the embedded commands.
      const { workerCommand } = await import('./worker.js');
      return await workerCommand(values, io);
    }
  }
  return 2;
}
