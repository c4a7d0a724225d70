/**
 * `${ENV}` interpolation over a parsed config value. It walks the JS value rather than the raw
 * text, so a variable's value is always a string inside one scalar and can never inject YAML
 * structure (a key, a list item, an anchor).
 *
 * - `${NAME}` is env[NAME]; unset is an issue at that value's path.
 * - `${NAME:-default}` uses `default` when NAME is unset or empty (as in sh).
 * - `$${` is a literal `${`.
 *
 * Only values are interpolated, never keys. The result is a fresh tree: a cycle (possible with
 * YAML aliases) is cut and reported. Values stay strings: a schema that wants a number
 * from the environment says so with `z.coerce.number()`.
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** A path into the parsed value: keys of mappings, indices of sequences. */
export type ValuePath = readonly (string | number)[];

export interface PathIssue {
  readonly path: ValuePath;
  readonly message: string;
}

export interface Interpolated {
  readonly value: unknown;
  readonly issues: readonly PathIssue[];
}

// `$${` first so an escaped reference is never read as a variable; the last branch catches a
// malformed reference (`${}`, `${1X}`, an unclosed `${`) so it is reported, not kept by accident.
const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{[^}]*\}?/g;

/**
 * Which variables may be read at all (a daemon's submitted missions: only those its operator
 * listed). A reference to another is a problem with `refusal(name)` as its message, even with a
 * `:-default`: reading whether it is set already tells something about the environment.
 */
export interface EnvAllow {
  has(name: string): boolean;
  refusal(name: string): string;
}

/** Interpolates every string in `value`; collects every problem instead of stopping at one. */
export function interpolateEnv(value: unknown, env: Env, allow?: EnvAllow): Interpolated {
  const issues: PathIssue[] = [];
  const result = walk(value, [], env, issues, new Set(), allow);
  return { value: result, issues };
}

/** Interpolates one string. `problems` lists the messages for unset, refused or malformed references. */
export function interpolateString(
  text: string,
  env: Env,
  allow?: EnvAllow,
): { value: string; problems: string[] } {
  const problems: string[] = [];
  const value = text.replace(REFERENCE, (match: string, name?: string, fallback?: string) => {
    if (match === '$${') return '${';
    if (name === undefined) {
      problems.push(
        `invalid environment variable reference '${match}' (write '$\${' for a literal '\${')`,
      );
      return match;
    }
    if (allow && !allow.has(name)) {
      problems.push(allow.refusal(name));
      return '';
    }
    const set = env[name];
    if (fallback !== undefined) return set === undefined || set === '' ? fallback : set;
    if (set === undefined) {
      problems.push(`environment variable '${name}' is not set`);
      return '';
    }
    return set;
  });
  return { value, problems };
}

function walk(
  value: unknown,
  path: (string | number)[],
  env: Env,
  issues: PathIssue[],
  ancestors: Set<object>,
  allow: EnvAllow | undefined,
): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const { value: out, problems } = interpolateString(value, env, allow);
    for (const message of problems) issues.push({ path: [...path], message });
    return out;
  }
  if (!Array.isArray(value) && !isPlainObject(value)) return value;
  // a YAML alias inside its own anchor (`a: &x [*x]`) parses to a cycle; the output is a tree
  if (ancestors.has(value)) {
    issues.push({ path: [...path], message: 'circular reference: an alias inside its own anchor' });
    return null;
  }
  ancestors.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((item, i) => walk(item, [...path, i], env, issues, ancestors, allow));
  } else {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty so a `__proto__` key stays an own key instead of setting the prototype
      Object.defineProperty(copy, key, {
        value: walk(item, [...path, key], env, issues, ancestors, allow),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    out = copy;
  }
  ancestors.delete(value);
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
