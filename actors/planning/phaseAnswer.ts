/**
 * What counts as a planner's answer: one JSON object, bare or inside a single ```json fenced
 * block, that passes its phase's schema. Anything else (prose around the object, two blocks, an
 * array, a key missing) is a red flag with a reason, never repaired: a model that rambles or
 * drifts from the format is more often wrong in substance too (MAKER's finding).
 */
import type { z } from 'zod';
import { SystemError } from '../../kernel/errors.js';
import { describeParseError } from '../../transport/protocol.js';

export type ParsedAnswer<T> = { ok: true; value: T } | { ok: false; reason: string };

const FENCED = /^```[ \t]*(?:json)?[ \t]*\r?\n([\s\S]*?)\r?\n?```$/i;

export function parsePhaseAnswer<T>(text: string, schema: z.ZodType<T>): ParsedAnswer<T> {
  let body = text.trim();
  if (body === '') return { ok: false, reason: 'empty answer' };
  if (body.startsWith('```')) {
    const m = FENCED.exec(body);
    if (!m || m[1]!.includes('```'))
      return { ok: false, reason: 'expected a single ```json block and nothing around it' };
    body = m[1]!.trim();
  }
  if (!body.startsWith('{') || !body.endsWith('}'))
    return { ok: false, reason: 'expected one JSON object and no prose around it' };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, reason: `schema: ${describeParseError(parsed.error)}` };
}

/** A phase that got no usable answer: every draw red-flagged, or a vote exhausted. */
export class PhaseAnswerError extends SystemError {
  override name = 'PhaseAnswerError';
  constructor(
    readonly phase: string,
    /** The runner's caller path. */
    readonly path: string,
    /** The last red flag's reason, or why the vote ended without a winner. */
    readonly reason: string,
    readonly samples: number,
  ) {
    super(
      `phase '${phase}' at '${path}' failed after ${samples} ${samples === 1 ? 'sample' : 'samples'}: ${reason}`,
    );
  }
}
