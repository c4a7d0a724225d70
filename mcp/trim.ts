/**
 * Tool results are read by a model with a finite context: long strings in them (a stage's
 * output, an event's answer, a diff) are cut to a bound, saying how much was left out.
 */

/** `text` cut to `max` characters, with a note of what was cut. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more chars]`;
}

/** A copy of `value` with every string cut to `max` characters (plain objects and arrays only). */
export function cutStrings<T>(value: T, max: number): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return cut(v, max);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
