/**
 * Secret values known to this process (API keys read from the environment). Whatever is written
 * to a log, an event log or the inspector goes through `redact`, so a key that leaks into an
 * error message or a prompt is masked before it leaves the process.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
const MASK = '[REDACTED]';
const values = new Set<string>();

/** Remember a secret; values shorter than 8 characters are ignored (too likely to match text). */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 8) values.add(value);
}

export function redactText(text: string): string {
  let out = text;
  for (const v of values) if (out.includes(v)) out = out.split(v).join(MASK);
  return out;
}

/** A copy of `value` with every registered secret masked in its strings. */
export function redact<T>(value: T): T {
  if (values.size === 0) return value;
  return walk(value) as T;
}

function walk(v: unknown): unknown {
  if (typeof v === 'string') return redactText(v);
  // An Error becomes the shape pino's err serializer gives it, with its texts masked.
  if (v instanceof Error)
    return { type: v.name, message: redactText(v.message), stack: v.stack && redactText(v.stack) };
  if (Array.isArray(v)) return v.map(walk);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
  }
  return v;
}

/** Environment variable names that hold secrets by convention: their values are registered. */
export const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH/i;

/** Register the values of every variable in `names` whose name looks like a secret's. */
export function registerSecretEnv(names: Iterable<string>, env: NodeJS.ProcessEnv): void {
  for (const n of names) if (SECRET_NAME.test(n)) registerSecret(env[n]);
}

/** Field names whose values are always masked in logs, whatever they hold (pino `redact` paths). */
export const redactPaths = [
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'token',
  '*.token',
];

/** Whether a presented token is the expected one, in constant time whatever the lengths (compares digests). */
export function tokenMatches(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
