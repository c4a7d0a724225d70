/**
 * What a mission a host submits (`mission_run`: inline text, or a file under a root, which a host
 * can write) may read of the server's environment. The embedded daemon lets missions read the
 * variables the agents file's providers use (their keys), so a host could otherwise name one in
 * a provider of its own, pointed at a server of its choosing, or in a prompt. A reference to such
 * a variable (`${NAME}`, an openai provider's `apiKeyEnv`, a cli provider's `envAllowlist`) is
 * allowed only inside a provider copied as it is from the agents file, or for the variables the
 * operator allowed with `--allow-env`.
 */
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { formatPath } from '../config/loader.js';
import { ConfigError, type ConfigIssue } from '../kernel/errors.js';
import { type Catalog, variableReferences } from './catalog.js';

const DEFAULT_KEY_ENV = 'OPENAI_API_KEY';

/** Throws a `ConfigError` naming `file` for each variable the mission may not read. */
export function checkHostMission(
  text: string,
  file: string,
  catalog: Catalog,
  allowEnv: readonly string[],
): void {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return; // the daemon's loader says what is wrong with it, where
  }
  const issues = hostMissionIssues(doc, catalog, new Set(allowEnv));
  if (issues.length > 0) throw new ConfigError(file, issues);
}

export function hostMissionIssues(
  doc: unknown,
  catalog: Catalog,
  allowed: ReadonlySet<string>,
): ConfigIssue[] {
  const providers = fieldsOf(fieldsOf(doc)?.['providers']) ?? {};
  const known = Object.values(catalog.raw.providers);
  const verbatim = new Set(
    Object.entries(providers)
      .filter(([, p]) => known.some((k) => isDeepStrictEqual(k, p)))
      .map(([id]) => id),
  );
  const refusal = (name: string) =>
    `reads variable '${name}': a host's mission may read it only in a provider copied as it is from the agents file (${catalog.file ?? 'none'}), or once the server allows it (--allow-env ${name})`;
  const theirs = new Set(catalog.variables());
  const issues: ConfigIssue[] = [];
  for (const ref of variableReferences(doc)) {
    if (allowed.has(ref.name)) continue;
    if (ref.path[0] === 'providers' && verbatim.has(String(ref.path[1]))) continue;
    issues.push({ path: formatPath(ref.path), message: refusal(ref.name) });
  }
  for (const [id, p] of Object.entries(providers)) {
    const f = fieldsOf(p);
    if (verbatim.has(id) || !f) continue;
    const named =
      f['kind'] === 'openai'
        ? [['apiKeyEnv', typeof f['apiKeyEnv'] === 'string' ? f['apiKeyEnv'] : DEFAULT_KEY_ENV]]
        : f['kind'] === 'cli' && Array.isArray(f['envAllowlist'])
          ? f['envAllowlist'].map((n, i) => [`envAllowlist[${i}]`, String(n)])
          : [];
    for (const [field, name] of named)
      if (!allowed.has(name!) && theirs.has(name!))
        issues.push({ path: `providers.${id}.${field}`, message: refusal(name!) });
  }
  return issues;
}

function fieldsOf(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}
