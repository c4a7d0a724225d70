import { describe, expect, it } from 'vitest';
import { interpolateEnv, interpolateString } from '../../config/interpolate.js';

describe('interpolateString', () => {
  const env = { HOST: 'example.com', EMPTY: '' };

  it.each([
    ['plain', 'plain'],
    ['https://${HOST}/v1', 'https://example.com/v1'],
    ['${HOST}:${PORT:-8080}', 'example.com:8080'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${HOST:-unused}', 'example.com'],
    ['${UNSET:-}', ''],
    ['${EMPTY}', ''],
    ['$${HOST}', '${HOST}'],
    ['$$${HOST}', '$${HOST}'],
    ['cost: $5', 'cost: $5'],
    ['${UNSET:-a:-b}', 'a:-b'],
  ])('should turn %j into %j', (text, expected) => {
    expect(interpolateString(text, env)).toEqual({ value: expected, problems: [] });
  });

  it('should report an unset variable and a malformed reference', () => {
    expect(interpolateString('${NOPE}/${1x}/${open', env)).toEqual({
      value: '/${1x}/${open',
      problems: [
        "environment variable 'NOPE' is not set",
        "invalid environment variable reference '${1x}' (write '$${' for a literal '${')",
        "invalid environment variable reference '${open' (write '$${' for a literal '${')",
      ],
    });
  });

  it('should not interpolate a value twice', () => {
    expect(interpolateString('${A}', { A: '${B}', B: 'no' }).value).toBe('${B}');
  });
});

describe('interpolateEnv', () => {
  it('should walk nested objects and arrays, leaving keys and non-strings alone', () => {
    const value = { '${K}': [1, true, null, { url: '${HOST}' }], n: 3 };
    expect(interpolateEnv(value, { HOST: 'h', K: 'k' })).toEqual({
      value: { '${K}': [1, true, null, { url: 'h' }], n: 3 },
      issues: [],
    });
  });

  it('should collect every unset variable with its path', () => {
    const { issues } = interpolateEnv({ a: '${X}', b: [{ c: '${Y} ${Z}' }] }, {});
    expect(issues).toEqual([
      { path: ['a'], message: "environment variable 'X' is not set" },
      { path: ['b', 0, 'c'], message: "environment variable 'Y' is not set" },
      { path: ['b', 0, 'c'], message: "environment variable 'Z' is not set" },
    ]);
  });

  it('should not mutate its input', () => {
    const input = { a: ['${X}'] };
    interpolateEnv(input, { X: 'x' });
    expect(input).toEqual({ a: ['${X}'] });
  });

  it('should keep a __proto__ key as data', () => {
    const input = JSON.parse('{"__proto__": {"polluted": "${X}"}}') as unknown;
    const { value } = interpolateEnv(input, { X: 'yes' });
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({ polluted: 'yes' });
  });

  it('should cut and report a cycle', () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(interpolateEnv({ a: cyclic }, {})).toEqual({
      value: { a: [null] },
      issues: [{ path: ['a', 0], message: 'circular reference: an alias inside its own anchor' }],
    });
  });

  it('should copy a shared, non-circular value to each place', () => {
    const shared = { x: '${X}' };
    expect(interpolateEnv({ a: shared, b: shared }, { X: '1' }).value).toEqual({
      a: { x: '1' },
      b: { x: '1' },
    });
  });
});
