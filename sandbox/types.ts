/**
 * What a confined run is asked to do (`SandboxRun`) and what it says happened (`SandboxResult`).
 * Shared by `runSandboxed`, `verify` and the callers that compare candidates.
 */

/** 4 GiB of address space: V8 reserves about 1 GiB at start, so less than that breaks node. */
export const DEFAULT_MEMORY_BYTES = 4 * 1024 ** 3;
/** 5 minutes, like `workspace.verify.*.timeoutMs`. */
export const DEFAULT_TIMEOUT_MS = 300_000;
/** stdout and stderr together, 1 MiB, like `workspace.sandbox.maxOutputBytes`. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** The end of each stream kept in the result. */
export const DEFAULT_TAIL_BYTES = 4096;
/** Size of each private tmpfs (/tmp and the hidden paths): RAM, so bounded. */
export const DEFAULT_TMPFS_BYTES = 512 * 1024 ** 2;
/**
 * Variables a command sees unless told more (values from the host):
 * `workspace.sandbox.env`'s default.
 */
export const DEFAULT_ENV = ['PATH', 'HOME', 'LANG', 'TERM'];
export const DEFAULT_BWRAP_PATH = '/usr/bin/bwrap';
export const DEFAULT_PRLIMIT_PATH = '/usr/bin/prlimit';

export interface SandboxRun {
  /** The command, argv[0] looked up on PATH inside: never a shell string. */
  argv: readonly string[];
  /** The candidate's worktree: the command's cwd, the only host folder it may write. */
  cwd: string;
  /** Wall clock, past which the whole tree is killed (`killed: 'timeout'`). @default 300000 */
  timeoutMs?: number;
  /** stdout + stderr bytes, past which the whole tree is killed (`killed: 'output_cap'`). @default 1 MiB */
  maxOutputBytes?: number;
  /** Bytes kept of each stream's end in the result. @default 4096 */
  tailBytes?: number;
  /** Address space (`prlimit --as`); null: no limit. @default 4 GiB */
  memoryBytes?: number | null;
  /** Processes and threads at once, through a pids cgroup (unavailable: `SandboxUnavailableError`). @default no limit */
  pidsLimit?: number;
  /** An explicit opt-in: share the host's network (its 127.0.0.1 included). @default false */
  network?: boolean;
  /**
   * Names of the host's variables the command sees (unset ones are left out). A HOME that is
   * hidden (the default) is set to the private /tmp instead, so caches work. @default DEFAULT_ENV
   */
  env?: readonly string[];
  /** Variables set to these values, over the ones from `env`. */
  setEnv?: Readonly<Record<string, string>>;
  /** Where `env` values come from. @default process.env */
  hostEnv?: NodeJS.ProcessEnv;
  /**
   * Host paths the command must not see, on top of the host's HOME, /home, /root and /run: each
   * covered by an empty read-only tmpfs (a file: by /dev/null). Give the state dir and the other
   * worktrees. @default []
   */
  hide?: readonly string[];
  /** Host paths bound read-only over the hidden ones (a toolchain under HOME, ~/.nvm). */
  readOnly?: readonly string[];
  /** The repository's git dir, bound read-only (hooks and core.fsmonitor would run on the host). */
  gitDir?: string;
  /** `none` runs unconfined and calls `warn` on every run. @default 'bwrap' */
  sandbox?: 'bwrap' | 'none';
  /** Told why a run is unconfined. @default process.emitWarning */
  warn?: (message: string) => void;
  /** @default /usr/bin/bwrap */
  bwrapPath?: string;
  /** @default /usr/bin/prlimit */
  prlimitPath?: string;
  /** @default 512 MiB */
  tmpfsBytes?: number;
  /** Bytes (or UTF-8 text) on the command's stdin, which is then closed. @default /dev/null */
  stdin?: Buffer | string;
  /** Aborting kills the whole tree (`killed: 'aborted'`). */
  signal?: AbortSignal;
}

export type KillReason = 'timeout' | 'output_cap' | 'memory' | 'aborted';

export interface SandboxResult {
  /** null when the tree was killed from outside (`killed`), or by a signal (`signal`). */
  exitCode: number | null;
  /**
   * The signal that ended the command. Inside bwrap a command killed by signal N shows as exit
   * 128+N (its pid 1 reports it so): that is read back as the signal.
   */
  signal: NodeJS.Signals | null;
  durationMs: number;
  /** Why Maestro stopped it; `memory`: it ran out of its address space (read from its stderr). */
  killed?: KillReason;
  /** argv[0] is not a command inside the sandbox (exit 127). */
  notFound?: true;
  /** The last `tailBytes` of each stream, as UTF-8. */
  stdoutTail: string;
  stderrTail: string;
  /** stdout + stderr bytes the command wrote (up to the cap, where it was killed). */
  outputBytes: number;
  /** The tails do not hold the whole output (it was longer, or cut at the cap). */
  truncated: boolean;
  sandbox: 'bwrap' | 'none';
}
