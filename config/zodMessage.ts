/**
 * zod's messages as the config loader words them, for files and values in memory alike
 * (`stages[0].agents: expected at least 1 item`): loader.ts passes `zodMessage` to every
 * `safeParse` it makes.
 */
import type { z } from 'zod';

/**
 * zod 4's default messages (`Invalid input: expected string, received number`) rewritten to
 * read as the tail of `path: message`. Only reached when the schema set no message of its own,
 * so `.min(1, 'expected at least 1 agent')` passes through unchanged.
 */
export function zodMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      if (
        typeof issue.input === 'number' &&
        (issue.expected === 'int' || !Number.isFinite(issue.input))
      ) {
        return `expected ${typeName(issue.expected)}, received ${issue.input}`;
      }
      return `expected ${typeName(issue.expected)}, received ${received(issue.input)}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${quote(issue.values[0])}`
        : `expected one of ${issue.values.map(quote).join(' | ')}`;
    case 'too_small':
      return `expected ${issue.exact ? 'exactly' : issue.inclusive ? 'at least' : 'more than'} ${sized(issue.origin, issue.minimum)}`;
    case 'too_big':
      return `expected ${issue.exact ? 'exactly' : issue.inclusive ? 'at most' : 'less than'} ${sized(issue.origin, issue.maximum)}`;
    case 'invalid_format':
      return formatMessage(issue);
    case 'not_multiple_of':
      return `expected a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map(quote).join(', ')}`;
    case 'invalid_key':
      return `invalid key in ${issue.origin}`;
    case 'invalid_element':
      return `invalid value in ${issue.origin}`;
    case 'invalid_union':
      return unionMessage(issue);
    default:
      return 'invalid value';
  }
}

function unionMessage(issue: z.core.$ZodRawIssue<z.core.$ZodIssueInvalidUnion>): string {
  if (issue.inclusive === false) return 'matches more than one allowed form';
  if (issue.discriminator !== undefined && issue.options !== undefined) {
    return `expected ${issue.discriminator} to be one of ${issue.options.map(quote).join(' | ')}`;
  }
  // `z.union([z.string(), z.number()])`: name the alternatives when each failed on the value itself
  const alternatives = issue.errors.map((branch) => {
    const only = branch.length === 1 && branch[0]?.path.length === 0 ? branch[0] : undefined;
    if (only?.code === 'invalid_type') return typeName(only.expected);
    if (only?.code === 'invalid_value') return only.values.map(quote).join(' | ');
    return undefined;
  });
  if (alternatives.length === 0 || alternatives.includes(undefined))
    return 'does not match any allowed form';
  return `expected ${alternatives.join(' | ')}, received ${received(issue.input)}`;
}

function formatMessage(issue: z.core.$ZodRawIssue<z.core.$ZodIssueInvalidStringFormat>): string {
  const extra = issue as Record<string, unknown>;
  switch (issue.format) {
    case 'regex':
      return `expected a string matching ${issue.pattern ?? 'the pattern'}`;
    case 'starts_with':
      return `expected a string starting with ${quote(extra['prefix'])}`;
    case 'ends_with':
      return `expected a string ending with ${quote(extra['suffix'])}`;
    case 'includes':
      return `expected a string including ${quote(extra['includes'])}`;
    default:
      return `expected a valid ${issue.format}`;
  }
}

function sized(origin: string, n: number | bigint): string {
  const unit =
    origin === 'string'
      ? 'character'
      : origin === 'array' || origin === 'set'
        ? 'item'
        : origin === 'map'
          ? 'entry'
          : '';
  if (unit === '') return String(n);
  const plural = n === 1 || n === 1n ? unit : unit === 'entry' ? 'entries' : `${unit}s`;
  return `${String(n)} ${plural}`;
}

function typeName(expected: string): string {
  return expected === 'int' ? 'integer' : expected;
}

function received(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  return typeof input;
}

function quote(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}
