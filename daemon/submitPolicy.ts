/**
 * What a mission submitted to the daemon may do on the daemon's host. A submitted mission is
 * data from whoever holds the write token, not code the operator wrote: by default it may run
 * no command (`cli` providers) and read no environment variable (`${NAME}`, an openai
 * provider's `apiKeyEnv`, a cli provider's `envAllowlist`). The operator lists what it may use,
 * in the daemon's config file (`--config`) or with `--allow-cli` and `--allow-env`; anything
 * else is refused at submit (400), naming the provider or the variable and the setting.
 * `maestro run` has no policy: its user runs their own file.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import type { EnvAllow, PathIssue } from '../config/interpolate.js';
import type { MissionConfig } from '../config/mission.js';
import { DEFAULT_MAX_ANSWER_BYTES, DEFAULT_MAX_PROMPT_BYTES } from '../config/providers.js';
import { DEFAULT_SANDBOX_ENV } from '../config/workspace.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One command a submitted cli provider may run: exactly this argv, in this directory, with these variables. */
export const allowedCommandSchema = z.strictObject({
  /** An absolute path: the command a provider names must be this string exactly. */
  command: z.string().refine(isAbsolute, 'expected an absolute path'),
  /** The provider's `args`, exactly (`{prompt}` where the prompt goes). @default [] */
  args: z.array(z.string()).default([]),
  /**
   * Variables of the daemon's environment the command may see: the provider's `envAllowlist`
   * must be among them. @default ['PATH', 'HOME', 'LANG'] (a cli provider's own default)
   */
  env: z
    .array(z.string().regex(ENV_NAME, 'expected an environment variable name'))
    .default(['PATH', 'HOME', 'LANG']),
  /** The only `cwd` the provider may give. @default none: the provider may not set one */
  cwd: z.string().refine(isAbsolute, 'expected an absolute path').optional(),
});
export type AllowedCommand = z.output<typeof allowedCommandSchema>;

export const submitPolicySchema = z.strictObject({
  /** Commands submitted missions' cli providers may run. @default none */
  cli: z.array(allowedCommandSchema).default([]),
  /** Variables of the daemon's environment submitted missions may read. @default none */
  env: z.array(z.string().regex(ENV_NAME, 'expected an environment variable name')).default([]),
  /**
   * The most a submitted mission's providers may set their own caps to: an answer (`maxAnswerBytes`,
   * a cli provider's `maxOutputBytes`) and a prompt (`maxPromptBytes`). @default the providers' defaults
   */
  maxAnswerBytes: z.int().positive().default(DEFAULT_MAX_ANSWER_BYTES),
  maxPromptBytes: z.int().positive().default(DEFAULT_MAX_PROMPT_BYTES),
  /** Directories a submission by `path` may name a file in (it makes the daemon read its own disk). @default none */
  paths: z.array(z.string().refine(isAbsolute, 'expected an absolute path')).default([]),
  /**
   * Directories a submitted mission's `workspace` may be in (its edits land there, its verify
   * commands run there, in bubblewrap, without the network). @default none: no workspace
   */
  workspaces: z.array(z.string().refine(isAbsolute, 'expected an absolute path')).default([]),
});
export type SubmitPolicy = z.output<typeof submitPolicySchema>;
export type SubmitPolicyInput = z.input<typeof submitPolicySchema>;

/** The daemon's config file: `submissions` is the policy. */
export const daemonConfigSchema = z.strictObject({
  submissions: submitPolicySchema.default(() => submitPolicySchema.parse({})),
});
export type DaemonConfig = z.output<typeof daemonConfigSchema>;

export const CLOSED_POLICY: SubmitPolicy = {
  cli: [],
  env: [],
  paths: [],
  workspaces: [],
  maxAnswerBytes: DEFAULT_MAX_ANSWER_BYTES,
  maxPromptBytes: DEFAULT_MAX_PROMPT_BYTES,
};

/**
 * Why a submission by `path` may not be read, if it may not: the file (symlinks resolved) must
 * lie in one of the policy's directories.
 */
export function pathRefusal(file: string, policy: SubmitPolicy): string | undefined {
  if (within(file, policy.paths)) return undefined;
  return `path: a submission by path makes the daemon read a file of its host, and '${file}' is not in a directory it allows (${list(policy.paths)}); send the file's text as source, or allow a directory with submissions.paths in the daemon config`;
}

/** `${NAME}` of a submitted mission: only the listed variables. */
export function envAllowOf(policy: SubmitPolicy): EnvAllow {
  const allowed = new Set(policy.env);
  return {
    has: (name) => allowed.has(name),
    refusal: (name) =>
      `environment variable '${name}' is not allowed for submitted missions (the daemon allows ${list(policy.env)}; add it with --allow-env ${name} or submissions.env in the daemon config)`,
  };
}

/** Only the listed variables of `env`: what a submitted mission's providers may read. */
export function allowedEnv(env: NodeJS.ProcessEnv, policy: SubmitPolicy): NodeJS.ProcessEnv {
  return Object.fromEntries(policy.env.filter((n) => env[n] !== undefined).map((n) => [n, env[n]]));
}

/** Every way `config` goes beyond the policy, at the provider's path. */
export function submissionIssues(config: MissionConfig, policy: SubmitPolicy): PathIssue[] {
  const allowedVars = new Set(policy.env);
  const issues: PathIssue[] = [];
  if (config.workspace) issues.push(...workspaceIssues(config.workspace, policy));
  for (const [id, p] of Object.entries(config.providers)) {
    if (p.kind === 'openai' && !allowedVars.has(p.apiKeyEnv)) {
      issues.push({
        path: ['providers', id, 'apiKeyEnv'],
        message: `provider '${id}': the key variable '${p.apiKeyEnv}' is not allowed for submitted missions (add it with --allow-env ${p.apiKeyEnv} or submissions.env in the daemon config)`,
      });
    }
    const answerCap =
      p.kind === 'cli'
        ? (['maxOutputBytes', p.maxOutputBytes] as const)
        : (['maxAnswerBytes', p.maxAnswerBytes] as const);
    if (answerCap[1] > policy.maxAnswerBytes) {
      issues.push({
        path: ['providers', id, answerCap[0]],
        message: `provider '${id}': ${answerCap[0]} ${answerCap[1]} is over the daemon's ceiling for submitted missions (${policy.maxAnswerBytes}; submissions.maxAnswerBytes in the daemon config)`,
      });
    }
    if (p.maxPromptBytes > policy.maxPromptBytes) {
      issues.push({
        path: ['providers', id, 'maxPromptBytes'],
        message: `provider '${id}': maxPromptBytes ${p.maxPromptBytes} is over the daemon's ceiling for submitted missions (${policy.maxPromptBytes}; submissions.maxPromptBytes in the daemon config)`,
      });
    }
    if (p.kind !== 'cli') continue;
    const entry = policy.cli.find((c) => c.command === p.command && sameArgs(c.args, p.args));
    if (!entry) {
      const others = policy.cli.filter((c) => c.command === p.command);
      const why = others.length
        ? `with args ${JSON.stringify(p.args)} (allowed: ${others.map((c) => JSON.stringify(c.args)).join(', ')})`
        : '';
      issues.push({
        path: ['providers', id, 'command'],
        message: `provider '${id}': cli command '${p.command}'${why ? ` ${why}` : ''} is not allowed for submitted missions (allow it with --allow-cli or submissions.cli in the daemon config)`,
      });
      continue;
    }
    const extra = p.envAllowlist.filter((n) => !entry.env.includes(n));
    if (extra.length) {
      issues.push({
        path: ['providers', id, 'envAllowlist'],
        message: `provider '${id}': cli command '${p.command}' may not see ${extra.map((n) => `'${n}'`).join(', ')} (the daemon gives it ${list(entry.env)}; set envAllowlist to those, or allow more in submissions.cli[].env)`,
      });
    }
    if (p.cwd !== undefined && p.cwd !== entry.cwd) {
      issues.push({
        path: ['providers', id, 'cwd'],
        message: `provider '${id}': cwd '${p.cwd}' is not allowed for submitted missions (the daemon allows ${entry.cwd ? `'${entry.cwd}'` : 'none'})`,
      });
    }
    // In a candidate's worktree it runs confined: a submitted one may not loosen that.
    if (p.sandbox && (p.sandbox.kind !== 'bwrap' || p.sandbox.readOnly.length > 0))
      issues.push({
        path: ['providers', id, 'sandbox'],
        message: `provider '${id}': a submitted cli provider runs in bubblewrap with nothing more visible: sandbox kind 'none' and readOnly paths are not allowed`,
      });
  }
  return issues;
}

/**
 * `--allow-cli 'COMMAND ARG...'`: an absolute command and its exact args, split at spaces (an
 * arg with a space, another environment or a cwd need the config file).
 */
export function parseAllowCli(value: string): AllowedCommand {
  const [command, ...args] = value.trim().split(/\s+/);
  return allowedCommandSchema.parse({ command, args });
}

function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function list(names: readonly string[]): string {
  return names.length ? names.map((n) => `'${n}'`).join(', ') : 'none';
}

/** Whether `path` (symlinks resolved) is one of `dirs` or inside one. */
function within(path: string, dirs: readonly string[]): boolean {
  const real = realOr(path);
  return dirs.some((dir) => {
    const rel = relative(realOr(dir), real);
    return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
  });
}

function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * A submitted mission's workspace: inside a directory the operator allows, given absolutely (a
 * relative path would be the daemon's), its commands in bubblewrap without the network, and
 * seeing only variables a submitted mission may read: the sandbox's values come from the
 * daemon's environment, and its output goes to the log.
 */
function workspaceIssues(
  w: NonNullable<MissionConfig['workspace']>,
  policy: SubmitPolicy,
): PathIssue[] {
  const issues: PathIssue[] = [];
  if (!isAbsolute(w.path) || !within(w.path, policy.workspaces))
    issues.push({
      path: ['workspace', 'path'],
      message: `a submitted mission's workspace must be an absolute path inside a directory the daemon allows (${list(policy.workspaces)}; submissions.workspaces in the daemon config)`,
    });
  if (w.sandbox.kind !== 'bwrap')
    issues.push({
      path: ['workspace', 'sandbox', 'kind'],
      message: "a submitted mission's commands run in bubblewrap: sandbox 'none' is not allowed",
    });
  const readable = new Set([...DEFAULT_SANDBOX_ENV, ...policy.env]);
  w.sandbox.env.forEach((name, i) => {
    if (!readable.has(name))
      issues.push({
        path: ['workspace', 'sandbox', 'env', i],
        message: `variable '${name}' is not allowed for submitted missions (add it with --allow-env ${name} or submissions.env in the daemon config)`,
      });
  });
  for (const [check, c] of Object.entries(w.verify)) {
    if (!c) continue;
    if (c.network)
      issues.push({
        path: ['workspace', 'verify', check, 'network'],
        message: "a submitted mission's commands run without the network",
      });
    c.env.forEach((name, i) => {
      if (!readable.has(name))
        issues.push({
          path: ['workspace', 'verify', check, 'env', i],
          message: `variable '${name}' is not allowed for submitted missions (add it with --allow-env ${name} or submissions.env in the daemon config)`,
        });
    });
  }
  return issues;
}
