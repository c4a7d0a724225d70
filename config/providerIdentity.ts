/**
 * A provider definition's identity, so that a remote worker is known to run exactly the provider a
 * mission names: the canonical form (the schema's defaults applied, object keys sorted) hashed
 * with SHA-256, and a short view of each top-level field so that a mismatch can say which fields
 * differ. Both sides compute it from a config parsed by the same schema, so equal definitions
 * have equal hashes whatever their key order or which defaults were written out.
 *
 * No secret enters the view: an openai provider names its key's variable (`apiKeyEnv`), never the
 * key; `headers` (which may carry a token), a URL with credentials in it and any field holding a
 * registered secret are shown by digest only. The hash covers the values themselves, so a digest of a long random key reveals
 * nothing usable.
 */
import { createHash } from 'node:crypto';
import type { ProviderConfig } from './providers.js';
import { redactText } from '../kernel/secrets.js';

export interface ProviderIdentity {
  /** SHA-256 (hex) of the canonical JSON of the whole definition. */
  hash: string;
  /** Each top-level field: its canonical JSON, or `sha256:<16 hex>` when long or secret. */
  fields: Record<string, string>;
}

/** A field's JSON longer than this is shown by digest (a scripted provider's responses). */
const SHOWN_CHARS = 80;
/** Fields shown by digest only, whatever they hold. */
const HIDDEN_FIELDS = new Set(['headers']);
/** A URL with a user or password in it (`https://user:pass@host`). */
const URL_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^/\s"@]+@/i;

/** JSON with object keys sorted at every depth; `undefined` members are left out, as JSON does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(
      ([, v]) => v !== undefined,
    );
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

function digest(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

export function providerIdentity(config: ProviderConfig): ProviderIdentity {
  const canonical = canonicalJson(config);
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(sortKeys(config) as Record<string, unknown>)) {
    const json = JSON.stringify(value);
    const secret =
      HIDDEN_FIELDS.has(key) || redactText(json) !== json || URL_CREDENTIALS.test(json);
    fields[key] = secret || json.length > SHOWN_CHARS ? digest(json) : json;
  }
  return { hash: createHash('sha256').update(canonical).digest('hex'), fields };
}

/**
 * The fields that differ between what a worker runs and what the mission names, each as
 * `model 'a' (worker) ≠ 'b' (mission)`; in field order. Empty when only the hash is known to differ.
 */
export function describeDifferences(worker: ProviderIdentity, mission: ProviderIdentity): string[] {
  const keys = [...new Set([...Object.keys(worker.fields), ...Object.keys(mission.fields)])].sort();
  const out: string[] = [];
  for (const k of keys) {
    let [w, m] = [worker.fields[k], mission.fields[k]];
    // Each side hides what it knows to be secret: compare a shown value with a hidden one by digest.
    if (w !== undefined && m !== undefined && isDigest(w) !== isDigest(m))
      [w, m] = [asDigest(w), asDigest(m)];
    if (w !== m) out.push(`${k} ${show(w)} (worker) ≠ ${show(m)} (mission)`);
  }
  return out;
}

function isDigest(field: string): boolean {
  return field.startsWith('sha256:');
}

function asDigest(field: string): string {
  return isDigest(field) ? field : digest(field);
}

/** A JSON string as `'text'`, other JSON as written, a missing field as `(none)`. */
function show(field: string | undefined): string {
  if (field === undefined) return '(none)';
  if (field.startsWith('"')) return `'${JSON.parse(field) as string}'`;
  return field;
}
