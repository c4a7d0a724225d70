/**
 * The sandbox's failures, one class a failure. A command that is not argv and options that make
 * no sense are the caller's mistake (`UserError`); a bubblewrap that is missing or refuses to
 * start is the machine's setup, also told to the user with how to fix it. Values quoted in
 * messages go through `redactText`: an argv can carry a key.
 */
import { SystemError, UserError } from '../kernel/errors.js';
import { redactText } from '../kernel/secrets.js';

/** A command given as something other than a non-empty array of strings (a shell string, []). */
export class CommandNotArgvError extends UserError {
  override name = 'CommandNotArgvError';
  constructor(
    readonly where: string,
    readonly argv: unknown,
  ) {
    super(`${where}: ${argvProblem(argv)}`);
  }
}

function argvProblem(argv: unknown): string {
  if (typeof argv === 'string') {
    const words = argv.trim().split(/\s+/).filter(Boolean);
    return `expected argv (a list), not a shell string: '${redactText(argv)}'; write [${words
      .map((w) => JSON.stringify(redactText(w)))
      .join(', ')}]`;
  }
  if (!Array.isArray(argv)) return `expected argv (a list of strings), got ${typeof argv}`;
  if (argv.length === 0) return 'expected argv with at least the command, got []';
  const bad = argv.findIndex((a) => typeof a !== 'string');
  if (bad >= 0) return `expected argv of strings, got ${typeof argv[bad]} at [${bad}]`;
  if (argv[0] === '') return 'expected a command at [0], got an empty string';
  return `expected argv without NUL bytes, found one at [${argv.findIndex((a) => a.includes('\0'))}]`;
}

/** bubblewrap (or prlimit, or the pids cgroup asked for) is missing or does not work here. */
export class SandboxUnavailableError extends UserError {
  override name = 'SandboxUnavailableError';
  constructor(
    /** What was tried: `bwrap at '/usr/bin/bwrap'`. */
    readonly what: string,
    /** What failed: `not found (ENOENT)`, or bwrap's own stderr. */
    readonly detail: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(
      `sandbox unavailable: ${what}: ${detail}; ${options?.hint ?? INSTALL_HINT}. Never run unsandboxed silently: set sandbox 'none' only on a trusted machine (a warning on every run)`,
      options,
    );
  }
}

const INSTALL_HINT =
  'install bubblewrap (apt-get install bubblewrap) and check that `bwrap --ro-bind / / --unshare-all true` runs';

/** An option of a sandboxed run that cannot be honoured: `cwd: '/nope' is not a folder`. */
export class SandboxOptionError extends UserError {
  override name = 'SandboxOptionError';
  constructor(
    readonly option: string,
    readonly value: unknown,
    problem: string,
  ) {
    super(`sandbox.${option}: ${problem}`);
  }
}

/** bwrap started but could not set the sandbox up (a bind it refused): the command never ran. */
export class SandboxSetupError extends SystemError {
  override name = 'SandboxSetupError';
  constructor(
    readonly argv0: string,
    readonly detail: string,
  ) {
    super(`sandbox setup failed before '${redactText(argv0)}' ran: ${redactText(detail)}`);
  }
}
