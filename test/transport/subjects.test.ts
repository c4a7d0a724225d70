import { describe, expect, it } from 'vitest';
import {
  InvalidSubjectError,
  hasWildcards,
  subjectMatches,
  validateSubject,
} from '../../transport/index.js';

describe('subjectMatches', () => {
  it.each([
    ['a.b.c', 'a.b.c', true],
    ['a.b.c', 'a.b', false],
    ['a.b', 'a.b.c', false],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.b.d', false],
    ['a.*', 'a', false],
    ['a.*', 'a.b.c', false],
    ['*', 'a', true],
    ['*', 'a.b', false],
    ['*.*', 'a.b', true],
    ['a.>', 'a.b', true],
    ['a.>', 'a.b.c.d', true],
    ['a.>', 'a', false],
    ['>', 'a', true],
    ['>', 'a.b.c', true],
    ['a.*.>', 'a.b.c', true],
    ['a.*.>', 'a.b', false],
    ['*.b.>', 'x.b.y.z', true],
    ['*.b.>', 'x.c.y', false],
    ['maestro.work.*', 'maestro.work.llm', true],
  ])('should match pattern %s against %s: %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
});

describe('validateSubject', () => {
  it.each(['a', 'a.b.c', 'maestro.work.llm', '_INBOX.1', 'a.*.c', '*', '>', 'a.>', 'a-b.c_d'])(
    'should accept %s',
    (subject) => {
      expect(() => validateSubject(subject)).not.toThrow();
    },
  );

  it.each(['', 'a..b', '.a', 'a.', 'a b', 'a.\tb', 'a.>.b', '>.a', 'a.b*', 'a.>b', 'a*.b'])(
    'should reject %j with an exact message',
    (subject) => {
      expect(() => validateSubject(subject)).toThrow(InvalidSubjectError);
      expect(() => validateSubject(subject)).toThrow(`invalid subject: '${subject}'`);
    },
  );

  it('should reject wildcards when they are not allowed', () => {
    expect(() => validateSubject('a.*', { wildcards: false })).toThrow("invalid subject: 'a.*'");
    expect(() => validateSubject('a.>', { wildcards: false })).toThrow("invalid subject: 'a.>'");
    expect(() => validateSubject('a.b', { wildcards: false })).not.toThrow();
  });

  it('should keep the offending subject as a field', () => {
    try {
      validateSubject('a..b');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidSubjectError);
      expect((err as InvalidSubjectError).subject).toBe('a..b');
      expect((err as InvalidSubjectError).name).toBe('InvalidSubjectError');
    }
  });

  it('should tell a wildcard subject from a literal one', () => {
    expect(hasWildcards('a.*')).toBe(true);
    expect(hasWildcards('a.>')).toBe(true);
    expect(hasWildcards('a.b')).toBe(false);
  });
});
