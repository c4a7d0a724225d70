/** What both transports do to a payload before it leaves: JSON, refused when it is not JSON. */
import { InvalidPayloadError } from './errors.js';
import type { Json } from './transport.js';

/** Subjects already found valid; bounded, as a cache of the few subjects a process sends to. */
export const VALID_SUBJECT_CACHE = 10_000;

/**
 * The payload's JSON. `strict` also refuses what JSON.stringify would silently change (functions
 * and symbols dropped, NaN and Infinity turned to null), at the cost of a replacer on every value.
 */
export function toJson(subject: string, data: Json, strict: boolean): string {
  let json: string | undefined;
  try {
    json = strict ? JSON.stringify(data, strictJson) : JSON.stringify(data);
  } catch (err) {
    throw new InvalidPayloadError(subject, { cause: err });
  }
  if (json === undefined) throw new InvalidPayloadError(subject);
  return json;
}

function strictJson(_key: string, value: unknown): unknown {
  if (typeof value === 'function' || typeof value === 'symbol')
    throw new TypeError(`a ${typeof value} is not JSON`);
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new TypeError(`${value} is not JSON`);
  return value;
}
