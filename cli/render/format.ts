/** Small formatters the renderer's sentences share: durations, counts, rates, paths, lists. */
import { reasonText } from './prefix.js';

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** `1 stage`, `2 stages`; `plural(3, 'reply', 'replies')`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A whole number with thousands separators (`1,048,575`), whatever the machine's locale. */
export function count(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `0.4%`; one decimal, `0%` for none. */
export function percent(fraction: number): string {
  if (fraction <= 0) return '0%';
  const p = fraction * 100;
  return `${p < 10 ? p.toFixed(1) : Math.round(p)}%`;
}

/** A rate with about three significant digits: `2,150`, `31.5`, `0.42`. */
export function rate(n: number): string {
  if (n >= 100) return count(n);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** `a, b` for an array; any other value as its text, nothing for none. */
export function list(v: unknown): string {
  return Array.isArray(v) ? v.join(', ') : String(v ?? '');
}

/** An actor path without the mission's own prefix: `mission/m1/stage/a` → `stage/a`. */
export function shortPath(path: unknown, mission: unknown): string {
  const p = String(path ?? '');
  const prefix = `mission/${String(mission)}/`;
  return p.startsWith(prefix) ? p.slice(prefix.length) : p;
}

/** A value's text on one line, capped: strings as they are, the rest as JSON. */
export function oneLine(value: unknown, max = 80): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  text = text.replace(/\s*\n\s*/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A field's value in a generic line: `…Ms` as a duration, the mission's paths short, errors by their text, the rest capped. */
export function fieldText(key: string, value: unknown, mission: unknown): string {
  if (typeof value === 'number' && /Ms$/.test(key)) return formatMs(value);
  if (typeof value === 'string' && value.startsWith(`mission/${String(mission)}/`))
    return shortPath(value, mission);
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { message?: unknown }).message === 'string'
  ) {
    return oneLine(reasonText(value as { reason?: string; message?: string }), 200);
  }
  return oneLine(value);
}

/** `14:03:07.125`, local time: a terminal's reader is here. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}
