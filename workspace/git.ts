/**
 * The `git` command, called with argv (never a shell string) and an environment built from
 * scratch: PATH, HOME and the locale only, so no API key, no `GIT_DIR` of a calling hook and no
 * system config reach it. Every call turns hooks and fsmonitor off (`core.hooksPath=/dev/null`,
 * `core.fsmonitor=false`): a candidate's command could have planted either in a repository's
 * config, and our next git command would run it on the host. Optional locks are off too, so a
 * `git diff` or `status` never rewrites an index it only reads.
 */
import { execFile } from 'node:child_process';
import { SystemError } from '../kernel/errors.js';

/** Who the private commits (snapshots, backups, candidate bases) are by. */
export const GIT_IDENT = { name: 'Maestro', email: 'maestro@localhost' };

const SAFE = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'core.quotePath=false',
  '-c',
  'gc.auto=0',
];

/** Variables git may see from ours: none of them holds a secret. */
const PASSED = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR'];

export interface GitOptions {
  /** `--git-dir`. */
  gitDir?: string;
  /** `--work-tree`. */
  workTree?: string;
  /** Where git runs; @default the process's cwd */
  cwd?: string;
  /** Bytes for git's stdin. */
  input?: Buffer | string;
  /** More variables (`GIT_INDEX_FILE`). */
  env?: Record<string, string>;
  /** Exit codes that are answers, not failures (`diff --quiet` exits 1). @default [0] */
  okCodes?: number[];
}

export interface GitResult {
  stdout: Buffer;
  code: number;
}

/** A git command that failed: the argv, where, its exit code and what it said. */
export class GitError extends SystemError {
  override name = 'GitError';
  constructor(
    readonly args: readonly string[],
    readonly cwd: string,
    readonly code: number | string,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(
      `git ${args.join(' ')} failed in '${cwd}' (${String(code)}): ${stderr.trim().split('\n').at(-1) ?? ''}`,
      options,
    );
  }
}

export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of PASSED) if (process.env[k] !== undefined) env[k] = process.env[k];
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_OPTIONAL_LOCKS: '0',
    GIT_TERMINAL_PROMPT: '0',
    GIT_PAGER: 'cat',
    GIT_AUTHOR_NAME: GIT_IDENT.name,
    GIT_AUTHOR_EMAIL: GIT_IDENT.email,
    GIT_COMMITTER_NAME: GIT_IDENT.name,
    GIT_COMMITTER_EMAIL: GIT_IDENT.email,
    ...extra,
  };
}

/** Runs `git <args>`; resolves with its stdout, rejects with a `GitError`. */
export function git(args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const argv = [
    ...SAFE,
    ...(options.gitDir !== undefined ? [`--git-dir=${options.gitDir}`] : []),
    ...(options.workTree !== undefined ? [`--work-tree=${options.workTree}`] : []),
    ...args,
  ];
  const cwd = options.cwd ?? process.cwd();
  const ok = options.okCodes ?? [0];
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      argv,
      {
        cwd,
        env: gitEnv(options.env),
        encoding: 'buffer',
        maxBuffer: 512 * 1024 * 1024,
        windowsHide: true,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : (err.code ?? 1)) : 0;
        if (typeof code === 'number' && ok.includes(code)) return resolve({ stdout, code });
        const said =
          code === 'ENOENT' ? `no 'git' on PATH, or no folder '${cwd}'` : stderr.toString('utf8');
        reject(new GitError(args, cwd, code, said, { cause: err }));
      },
    );
    child.stdin?.on('error', () => {
      // git exited before reading all of its input: its exit code says why.
    });
    child.stdin?.end(options.input ?? '');
  });
}

/** `git <args>`'s stdout as text, its last newline cut. */
export async function gitText(args: readonly string[], options: GitOptions = {}): Promise<string> {
  const { stdout } = await git(args, options);
  return stdout.toString('utf8').replace(/\n$/, '');
}

/** Whether `dir` is inside a git work tree; its top level if so. */
export async function gitTopLevel(dir: string): Promise<string | undefined> {
  try {
    const inside = await gitText(['rev-parse', '--is-inside-work-tree'], { cwd: dir });
    if (inside !== 'true') return undefined;
    return await gitText(['rev-parse', '--show-toplevel'], { cwd: dir });
  } catch (err) {
    // Not a repository; git itself missing (`ENOENT`, a string code) is not an answer.
    if (err instanceof GitError && typeof err.code === 'number') return undefined;
    throw err;
  }
}

/**
 * The bytes of each object named (`<oid>`, `<commit>:<path>`), in order, from one
 * `git cat-file --batch`; undefined for a name that is not there or not a blob.
 */
export async function catBlobs(
  names: readonly string[],
  options: GitOptions,
): Promise<(Buffer | undefined)[]> {
  if (names.length === 0) return [];
  const { stdout } = await git(['cat-file', '--batch'], {
    ...options,
    input: `${names.join('\n')}\n`,
  });
  const out: (Buffer | undefined)[] = [];
  let at = 0;
  for (let i = 0; i < names.length && at < stdout.length; i++) {
    const eol = stdout.indexOf(0x0a, at);
    const line = stdout.subarray(at, eol).toString('utf8');
    at = eol + 1;
    // `<name> missing` (the name may hold spaces) or `<oid> <type> <size>`.
    const header = line.split(' ');
    if (/ (missing|ambiguous)$/.test(line) || header.length !== 3) {
      out.push(undefined);
      continue;
    }
    const size = Number(header[2]);
    out.push(header[1] === 'blob' ? Buffer.from(stdout.subarray(at, at + size)) : undefined);
    at += size + 1;
  }
  return out;
}
