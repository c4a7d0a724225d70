/**
 * Maestro's error hierarchy. A `UserError` is a user's mistake (bad config, bad input): its
 * message says where and what, and the CLI prints it without a stack trace. A `SystemError` is
 * ours or the world's (a provider failing, a worker crashing): supervisors act on it.
 */
export class MaestroError extends Error {
  override name = 'MaestroError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class UserError extends MaestroError {
  override name = 'UserError';
}

export class SystemError extends MaestroError {
  override name = 'SystemError';
}

/** A config file that cannot be read, parsed or validated. `issues` holds every problem found. */
export class ConfigError extends UserError {
  override name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
    options?: { cause?: unknown },
  ) {
    super(issues.map((i) => formatConfigIssue(file, i)).join('\n'), options);
  }
}

export interface ConfigIssue {
  /** Dotted path to the field, `stages[0].agents`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
  /** 1-based line in the file, when the parser can tell. */
  readonly line?: number;
}

export function formatConfigIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}`;
  return issue.path === ''
    ? `${where}: ${issue.message}`
    : `${where} ${issue.path}: ${issue.message}`;
}

/** Work refused or stopped because a budget is spent. `budget` names which one. */
export class BudgetExceededError extends SystemError {
  override name = 'BudgetExceededError';
  readonly reason = 'budget_exceeded';
  constructor(
    readonly node: string,
    readonly budget: BudgetKind,
    readonly limit: number,
    readonly used: number,
  ) {
    super(`budget_exceeded: ${budget} at '${node}' (used ${round(used)} of ${round(limit)})`);
  }
}

export type BudgetKind = 'tokens' | 'costUsd' | 'wallTimeMs' | 'samples';

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/** The text of any thrown value, for logs and exit reasons. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
