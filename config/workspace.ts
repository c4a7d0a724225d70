/**
 * A mission's `workspace`: the repository (or plain folder) its agents change, which paths an
 * edit may touch, the sandbox its commands run in, and the verification commands (test, lint,
 * typecheck), each an argv, never a shell string.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

/** Paths no edit may touch unless `allow` lifts them. */
export const DEFAULT_DENY = ['.git/**', '**/.env*', '**/*.pem', '**/*key*', 'node_modules/**'];
/** 1 MiB a file, before or after an edit. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
/** What a sandboxed command sees of the environment unless told more. */
export const DEFAULT_SANDBOX_ENV = ['PATH', 'HOME', 'LANG', 'TERM'];

/** A command as argv: `[npm, test]`. A string is refused: a shell would read it. */
export const argvSchema = z
  .array(z.string().min(1, 'expected a non-empty argument'), {
    error: (i) =>
      typeof i.input === 'string'
        ? `expected argv (a list), not a shell string: write [${i.input
            .trim()
            .split(/\s+/)
            .map((a) => JSON.stringify(a))
            .join(', ')}]`
        : 'expected argv: a list of strings',
  })
  .min(1, 'expected at least the command');

export const verifyCommandSchema = z.strictObject({
  argv: argvSchema,
  /** Past it the command's whole process tree is killed. @default 300000 */
  timeoutMs: z.int().positive().default(300_000),
  /** An explicit opt-in: the command may reach the network. @default false */
  network: z.boolean().default(false),
  /** More environment variables it may see, on top of the sandbox's `env`. @default [] */
  env: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a variable name'))
    .default([]),
});
export type VerifyCommandConfig = z.output<typeof verifyCommandSchema>;

export const sandboxSchema = z.strictObject({
  /** `none` runs commands unconfined, with a warning on every run: only for a trusted machine. @default 'bwrap' */
  kind: z.enum(['bwrap', 'none']).default('bwrap'),
  /** Variables a command sees (values from Maestro's environment). @default PATH, HOME, LANG, TERM */
  env: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a variable name'))
    .default(DEFAULT_SANDBOX_ENV),
  /** Address space a command may map (V8 needs at least 1 GiB). @default 4096 */
  memoryMb: z.int().min(1024, 'expected at least 1024 (V8 maps 1 GiB at start)').default(4096),
  /** Bytes of stdout and stderr together, past which the command is killed. @default 1048576 */
  maxOutputBytes: z
    .int()
    .positive()
    .default(1024 * 1024),
});

export const workspaceSchema = z.strictObject({
  /** The repository or folder (relative to the mission file's folder, or absolute). */
  path: z.string().min(1),
  /** Globs (picomatch) an edit may never touch. @default .git/**, **\/.env*, **\/*.pem, **\/*key*, node_modules/** */
  deny: z.array(z.string().min(1)).default(DEFAULT_DENY),
  /** Globs that lift a deny (`.env.example`). @default [] */
  allow: z.array(z.string().min(1)).default([]),
  /** @default 1048576 */
  maxFileBytes: z.int().positive().default(DEFAULT_MAX_FILE_BYTES),
  /** @default bubblewrap, PATH/HOME/LANG/TERM, 4096 MB, 1 MiB of output */
  sandbox: sandboxSchema.default(() => sandboxSchema.parse({})),
  /** The verification commands, by name. */
  verify: z
    .strictObject({
      test: verifyCommandSchema.optional(),
      lint: verifyCommandSchema.optional(),
      typecheck: verifyCommandSchema.optional(),
    })
    .default({}),
});
export type WorkspaceConfig = z.output<typeof workspaceSchema>;

/** The workspace's folder, absolute: `path` read from `baseDir` (the mission file's folder). */
export function workspaceRoot(w: Pick<WorkspaceConfig, 'path'>, baseDir: string): string {
  return isAbsolute(w.path) ? w.path : resolve(baseDir, w.path);
}

/**
 * What is wrong with the workspace's folder on this machine, as issues at `workspace.path`
 * (reported with the file's line, before anything starts): missing, not a folder, not writable.
 */
export function workspacePathIssues(
  w: Pick<WorkspaceConfig, 'path'> | undefined,
  baseDir: string,
): { path: (string | number)[]; message: string }[] {
  if (!w) return [];
  const root = workspaceRoot(w, baseDir);
  const at = ['workspace', 'path'];
  try {
    if (!statSync(root).isDirectory()) return [{ path: at, message: `'${root}' is not a folder` }];
  } catch {
    return [{ path: at, message: `'${root}' does not exist` }];
  }
  try {
    accessSync(root, constants.W_OK);
  } catch {
    return [{ path: at, message: `'${root}' is not writable` }];
  }
  return [];
}
