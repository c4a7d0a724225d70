/**
 * NATS subject rules. A subject is non-empty tokens separated by '.', without whitespace.
 * In a subscription, `*` matches exactly one token and `>` one or more trailing tokens; both
 * are wildcards only as whole tokens, and `>` only as the last one. Publishing needs a literal
 * subject, so wildcards can be refused.
 */
import { InvalidSubjectError } from './errors.js';

export interface ValidateSubjectOptions {
  /** Accept `*` and `>` tokens (subscriptions). @default true */
  wildcards?: boolean;
}

const WHITESPACE = /\s/;

export function validateSubject(subject: string, options: ValidateSubjectOptions = {}): void {
  const wildcards = options.wildcards ?? true;
  if (typeof subject !== 'string' || subject === '' || WHITESPACE.test(subject)) {
    throw new InvalidSubjectError(String(subject));
  }
  const tokens = subject.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '') throw new InvalidSubjectError(subject);
    if (!token.includes('*') && !token.includes('>')) continue;
    const wholeWildcard = token === '*' || (token === '>' && i === tokens.length - 1);
    if (!wildcards || !wholeWildcard) throw new InvalidSubjectError(subject);
  }
}

export function hasWildcards(subject: string): boolean {
  return subject.includes('*') || subject.includes('>');
}

/** Whether a literal `subject` matches `pattern`; both are assumed valid. */
export function subjectMatches(pattern: string, subject: string): boolean {
  if (!hasWildcards(pattern)) return pattern === subject;
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i]!;
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return p.length === s.length;
}
