/**
 * The generic config loader: YAML or JSON text → `${ENV}` interpolation → a zod schema. Every
 * problem becomes a `ConfigIssue` with a path and, when the parser can tell, a line; one
 * `ConfigError` lists them all, so a user fixes a file in one pass (the schema's cross-field
 * rules run over whatever parsed: see missionRules.ts; zod's messages are worded in
 * zodMessage.ts). `checkConfigFile` reports instead of throwing, with warnings: what may go
 * wrong where the config is used, not here.
 *
 * JSON goes through the YAML parser too (JSON is YAML 1.2 flow syntax), so its lines are known.
 * A top-level `$schema` string is dropped before validation: editors use it to find the JSON
 * Schema (see `toJsonSchema`), it is not configuration.
 */
import { readFile, stat } from 'node:fs/promises';
import { getSystemErrorMap } from 'node:util';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
} from 'yaml';
import type { z } from 'zod';
import { scanConfigBounds, sizeViolation, type ConfigLimits } from './configBounds.js';
import { zodMessage } from './zodMessage.js';
import { ConfigError, type ConfigIssue } from '../kernel/errors.js';
import {
  interpolateEnv,
  type Env,
  type EnvAllow,
  type PathIssue,
  type ValuePath,
} from './interpolate.js';

export interface LoadOptions {
  /** Variables for `${NAME}`. @default process.env */
  readonly env?: Env;
  /** Size, nesting and value-count bounds, checked before parsing. @default DEFAULT_CONFIG_LIMITS */
  readonly limits?: ConfigLimits;
  /** Which variables `${NAME}` may read (a daemon's submitted missions). @default all of `env` */
  readonly envAllow?: EnvAllow;
  /** More rules over the validated value, reported as issues at their lines (a daemon's submission policy). */
  readonly rules?: (value: never) => readonly PathIssue[];
}

/** What checking a config found: the value when nothing is wrong, every error, every warning. */
export interface ConfigReport<T> {
  /** The parsed config; absent when there is an issue. */
  readonly value?: T;
  /** Every problem, sorted by line. */
  readonly issues: readonly ConfigIssue[];
  /** What may still go wrong where the config is used (a key variable unset here), sorted by line. */
  readonly warnings: readonly ConfigIssue[];
}

export interface CheckOptions extends LoadOptions {
  /** Warnings about the interpolated value, valid or not (the schema has not judged it). */
  readonly warnings?: (value: unknown, env: Env) => readonly PathIssue[];
}

/** Reads `file` and parses it with `parseConfigText`. Throws `ConfigError`, also when unreadable. */
export async function loadConfigFile<S extends z.ZodType>(
  file: string,
  schema: S,
  options?: LoadOptions,
): Promise<z.output<S>> {
  return checkedValue(file, await checkFile(file, schema, options));
}

/** Parses YAML or JSON `text` (named `file` in messages) and validates it. Throws `ConfigError`. */
export function parseConfigText<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  options?: LoadOptions,
): z.output<S> {
  return checkedValue(file, check(text, file, schema, options));
}

/** `loadConfigFile` that reports instead of throwing, with warnings: what `maestro validate` prints. */
export async function checkConfigFile<S extends z.ZodType>(
  file: string,
  schema: S,
  options?: CheckOptions,
): Promise<ConfigReport<z.output<S>>> {
  return (await checkFile(file, schema, options)).report;
}

/** `parseConfigText` that reports instead of throwing, with warnings. */
export function checkConfigText<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  options?: CheckOptions,
): ConfigReport<z.output<S>> {
  return check(text, file, schema, options).report;
}

/**
 * Validates a value already in memory (a mission written in code) as a file's would be: the
 * schema with the same messages, then `rules`, each issue at its path (no lines). Throws
 * `ConfigError` naming `file`. No `${ENV}` interpolation: code reads its environment itself.
 */
export function parseConfigValue<S extends z.ZodType>(
  value: unknown,
  file: string,
  schema: S,
  options?: Pick<LoadOptions, 'rules'>,
): z.output<S> {
  const result = schema.safeParse(value, { error: zodMessage });
  const issues = result.success
    ? (options?.rules?.(result.data as never) ?? [])
    : result.error.issues.flatMap(splitUnknownKeys);
  const located = issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
  if (located.length > 0)
    throw new ConfigError(file, located, result.success ? undefined : { cause: result.error });
  return result.data as z.output<S>;
}

interface Checked<T> {
  report: ConfigReport<T>;
  /** What to chain to the `ConfigError`: the read error, or zod's. */
  cause?: unknown;
}

function checkedValue<T>(file: string, { report, cause }: Checked<T>): T {
  if (report.issues.length > 0)
    throw new ConfigError(file, report.issues, cause === undefined ? undefined : { cause });
  return report.value as T;
}

const failed = <T>(issues: ConfigIssue[], cause?: unknown): Checked<T> => ({
  report: { issues, warnings: [] },
  ...(cause !== undefined && { cause }),
});

async function checkFile<S extends z.ZodType>(
  file: string,
  schema: S,
  options?: CheckOptions,
): Promise<Checked<z.output<S>>> {
  let text: string;
  try {
    // A huge file is refused before it is read into memory.
    const tooLarge = sizeViolation((await stat(file)).size, options?.limits);
    if (tooLarge) return failed([{ path: '', ...tooLarge }]);
    text = await readFile(file, 'utf8');
  } catch (err) {
    return failed([{ path: '', message: `cannot read file: ${readErrorMessage(err)}` }], err);
  }
  return check(text, file, schema, options);
}

function check<S extends z.ZodType>(
  text: string,
  _file: string,
  schema: S,
  options?: CheckOptions,
): Checked<z.output<S>> {
  const outOfBounds = scanConfigBounds(text, options?.limits);
  if (outOfBounds) return failed([{ path: '', ...outOfBounds }]);
  if (text.trim() === '') return failed([{ path: '', message: 'file is empty' }]);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    return failed(
      doc.errors.map((e) => ({
        path: '',
        message: `not valid YAML: ${e.message.split('\n')[0]}`,
        line: lineAt(e.pos[0]),
      })),
    );
  }
  if (doc.contents === null) return failed([{ path: '', message: 'file is empty' }]);
  if (!isMap(doc.contents))
    return failed([
      { path: '', message: 'expected a mapping at the top level', line: lineOf(doc, [], lineAt) },
    ]);
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    const line = aliasLine(doc, lineAt);
    const message = `not valid YAML: ${err instanceof Error ? err.message : String(err)}`;
    return failed([line === undefined ? { path: '', message } : { path: '', message, line }], err);
  }
  const env = options?.env ?? process.env;
  const { value, issues: envIssues } = interpolateEnv(
    withoutSchemaKey(raw),
    env,
    options?.envAllow,
  );
  const result = schema.safeParse(value, { error: zodMessage });
  const envPaths = new Set(envIssues.map((i) => formatPath(i.path)));
  // an unset variable became '' and may fail the schema too: report the cause, not the echo
  const schemaIssues = result.success
    ? []
    : result.error.issues
        .flatMap(splitUnknownKeys)
        .filter((i) => !envPaths.has(formatPath(i.path)));
  const located = (list: readonly PathIssue[]) =>
    sortByLine(list.map((i) => toConfigIssue(i, doc, lineAt)));
  const ruled =
    result.success && envIssues.length === 0 ? (options?.rules?.(result.data as never) ?? []) : [];
  const issues = located([...envIssues, ...schemaIssues, ...ruled]);
  const warnings = located(options?.warnings?.(value, env) ?? []);
  const report =
    issues.length > 0
      ? { issues, warnings }
      : { value: result.data as z.output<S>, issues, warnings };
  return { report, ...(!result.success && { cause: result.error }) };
}

/** `['stages', 0, 'agents']` → `stages[0].agents`; keys that are not plain words are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(String(seg)))
      out += out === '' ? String(seg) : `.${String(seg)}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

function toConfigIssue(
  issue: PathIssue,
  doc: Document,
  lineAt: (offset: number) => number,
): ConfigIssue {
  const line = lineOf(doc, issue.path, lineAt);
  return line === undefined
    ? { path: formatPath(issue.path), message: issue.message }
    : { path: formatPath(issue.path), message: issue.message, line };
}

/**
 * The line where `path` is written: a mapping entry's key line (so `agents:` is blamed, not the
 * first item under it), a sequence item's own line; a path that does not exist (a missing
 * field) falls back to its nearest existing ancestor.
 */
function lineOf(
  doc: Document,
  path: ValuePath,
  lineAt: (offset: number) => number,
): number | undefined {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0];
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg),
      );
      if (pair === undefined) break;
      node = pair.value;
      offset = (pair.key as Node | null)?.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      node = node.items[seg];
      offset = (node as Node).range?.[0] ?? offset;
    } else break;
  }
  return offset === undefined ? undefined : lineAt(offset);
}

/**
 * Only aliases make `toJS` throw (one before its anchor, or too many of them): the line of the
 * first unresolved alias, else of the first alias.
 */
function aliasLine(doc: Document, lineAt: (offset: number) => number): number | undefined {
  let first: number | undefined;
  let unresolved: number | undefined;
  visit(doc, {
    Alias(_, node) {
      const offset = node.range?.[0];
      if (offset === undefined) return undefined;
      first ??= offset;
      if (node.resolve(doc) !== undefined) return undefined;
      unresolved = offset;
      return visit.BREAK;
    },
  });
  const offset = unresolved ?? first;
  return offset === undefined ? undefined : lineAt(offset);
}

/**
 * zod reports all unknown keys of an object in one issue; we want one per key, at its line. And
 * a union (`approval: true | {…}`) whose value got past the type of exactly one alternative (none
 * of that branch's issues is about the value's own type) reports that branch's issues, at their fields,
 * rather than `does not match any allowed form`.
 */
function splitUnknownKeys(issue: z.core.$ZodIssue): PathIssue[] {
  const path = issue.path.filter((seg): seg is string | number => typeof seg !== 'symbol');
  if (issue.code === 'invalid_union' && issue.inclusive !== false) {
    // A branch refused the value itself when it has a type or literal issue at the value's own path.
    const refusedOuter = (i: z.core.$ZodIssue) =>
      i.path.length === 0 &&
      (i.code === 'invalid_type' || i.code === 'invalid_value' || i.code === 'invalid_union');
    const inside = issue.errors.filter((branch) => branch.length > 0 && !branch.some(refusedOuter));
    if (inside.length === 1)
      return inside[0]!.flatMap((i) =>
        splitUnknownKeys({ ...i, path: [...path, ...i.path] } as z.core.$ZodIssue),
      );
  }
  if (issue.code !== 'unrecognized_keys') return [{ path, message: issue.message }];
  return issue.keys.map((key) => ({ path: [...path, key], message: 'unknown key' }));
}

function sortByLine(issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.index - b.index)
    .map((x) => x.issue);
}

function withoutSchemaKey(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('$schema' in value)) return value;
  const { $schema, ...rest } = value as Record<string, unknown>;
  return typeof $schema === 'string' ? rest : value;
}

function readErrorMessage(err: unknown): string {
  const errno = (err as NodeJS.ErrnoException | undefined)?.errno;
  const known = typeof errno === 'number' ? getSystemErrorMap().get(errno)?.[1] : undefined;
  return known ?? (err instanceof Error ? err.message : String(err));
}
