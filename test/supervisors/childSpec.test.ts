import { describe, expect, it } from 'vitest';
import { UserError } from '../../kernel/errors.js';
import {
  flagDefaults,
  normalizeChildSpec,
  normalizeFlags,
  SupervisorSpecError,
  validateChildren,
  type ChildSpec,
} from '../../supervisors/index.js';
import { testWorker } from '../helpers/testWorker.js';
import { startTree } from '../helpers/tree.js';

const spec = (id: string, extra: Partial<ChildSpec> = {}): ChildSpec => ({
  id,
  start: { logic: testWorker, input: { name: id, log: [] } },
  ...extra,
});

function specError(fn: () => unknown): SupervisorSpecError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SupervisorSpecError) return err;
    throw err;
  }
  throw new Error('expected a SupervisorSpecError');
}

describe('supervisor flags', () => {
  it('should default to one_for_one, intensity 1 per 5000 ms, never auto shut down, no total bound on restarts', () => {
    expect(normalizeFlags()).toEqual({
      strategy: 'one_for_one',
      intensity: 1,
      periodMs: 5000,
      autoShutdown: 'never',
      maxRestarts: Infinity,
    });
    expect(normalizeFlags({})).toEqual(flagDefaults);
  });

  it('should take given values over the defaults and ignore undefined ones', () => {
    expect(
      normalizeFlags({ strategy: 'rest_for_one', intensity: undefined, periodMs: 1000 }),
    ).toEqual({
      strategy: 'rest_for_one',
      intensity: 1,
      periodMs: 1000,
      autoShutdown: 'never',
      maxRestarts: Infinity,
    });
  });

  it.each([
    [-1, 'intensity: must be a non-negative integer, got -1'],
    [1.5, 'intensity: must be a non-negative integer, got 1.5'],
    [Number.NaN, 'intensity: must be a non-negative integer, got NaN'],
  ])('should reject intensity %s', (intensity, message) => {
    const e = specError(() => normalizeFlags({ intensity }));
    expect(e).toBeInstanceOf(UserError);
    expect(e.name).toBe('SupervisorSpecError');
    expect(e.message).toBe(message);
    expect(e.field).toBe('intensity');
    expect(e.value).toBe(intensity);
  });

  it('should accept intensity 0 (never restart)', () => {
    expect(normalizeFlags({ intensity: 0 }).intensity).toBe(0);
  });

  it.each([
    [0, 'periodMs: must be a positive number, got 0'],
    [-5, 'periodMs: must be a positive number, got -5'],
    [Number.POSITIVE_INFINITY, 'periodMs: must be a positive number, got Infinity'],
  ])('should reject periodMs %s', (periodMs, message) => {
    expect(specError(() => normalizeFlags({ periodMs })).message).toBe(message);
  });
});

describe('child specs', () => {
  it('should default a worker to permanent, shutdown 5000, not significant', () => {
    expect(normalizeChildSpec(spec('a'))).toMatchObject({
      id: 'a',
      restart: 'permanent',
      shutdown: 5000,
      type: 'worker',
      significant: false,
    });
  });

  it("should default a supervisor's shutdown to 'infinity'", () => {
    expect(normalizeChildSpec(spec('s', { type: 'supervisor' }))).toMatchObject({
      restart: 'permanent',
      shutdown: 'infinity',
      type: 'supervisor',
    });
  });

  it('should keep given values', () => {
    const s = normalizeChildSpec(
      spec('a', { restart: 'transient', shutdown: 'brutal_kill', significant: true }),
    );
    expect(s).toMatchObject({ restart: 'transient', shutdown: 'brutal_kill', significant: true });
  });

  it('should reject an empty id', () => {
    const e = specError(() => normalizeChildSpec(spec(''), 'children[0]'));
    expect(e.message).toBe('children[0].id: must be a non-empty string');
    expect(e.field).toBe('children[0].id');
  });

  it.each([
    [-1, "children[2].shutdown: must be 'brutal_kill', 'infinity' or a timeout in ms >= 0, got -1"],
    [
      Number.NaN,
      "children[2].shutdown: must be 'brutal_kill', 'infinity' or a timeout in ms >= 0, got NaN",
    ],
    [
      Number.POSITIVE_INFINITY,
      "children[2].shutdown: must be 'brutal_kill', 'infinity' or a timeout in ms >= 0, got Infinity",
    ],
    [
      'infinite',
      "children[2].shutdown: must be 'brutal_kill', 'infinity' or a timeout in ms >= 0, got 'infinite'",
    ],
  ])('should reject shutdown %s', (shutdown, message) => {
    const e = specError(() =>
      normalizeChildSpec(spec('a', { shutdown: shutdown as number }), 'children[2]'),
    );
    expect(e.message).toBe(message);
    expect(e.field).toBe('children[2].shutdown');
    expect(e.value).toBe(shutdown);
  });

  it('should accept shutdown 0', () => {
    expect(normalizeChildSpec(spec('a', { shutdown: 0 })).shutdown).toBe(0);
  });

  it('should reject a significant permanent child as bad_combination, also when permanent is the default', () => {
    const message =
      'children[1].significant: bad_combination: a permanent child cannot be significant';
    expect(
      specError(() =>
        normalizeChildSpec(spec('a', { significant: true, restart: 'permanent' }), 'children[1]'),
      ).message,
    ).toBe(message);
    expect(
      specError(() => normalizeChildSpec(spec('a', { significant: true }), 'children[1]')).message,
    ).toBe(message);
    expect(
      normalizeChildSpec(spec('a', { significant: true, restart: 'transient' })).significant,
    ).toBe(true);
    expect(
      normalizeChildSpec(spec('a', { significant: true, restart: 'temporary' })).significant,
    ).toBe(true);
  });

  it.each([
    [
      { minMs: -1, maxMs: 10 },
      'children[0].backoff: needs 0 <= minMs <= maxMs, got minMs -1, maxMs 10',
    ],
    [
      { minMs: 3000, maxMs: 1000 },
      'children[0].backoff: needs 0 <= minMs <= maxMs, got minMs 3000, maxMs 1000',
    ],
    [
      { minMs: Number.NaN, maxMs: 1000 },
      'children[0].backoff: needs 0 <= minMs <= maxMs, got minMs NaN, maxMs 1000',
    ],
    [
      { minMs: 1, maxMs: 2, randomFactor: -0.1 },
      'children[0].backoff.randomFactor: must be >= 0, got -0.1',
    ],
  ])('should reject backoff %j', (backoff, message) => {
    expect(specError(() => normalizeChildSpec(spec('a', { backoff }), 'children[0]')).message).toBe(
      message,
    );
  });

  it('should name the child with the default field prefix', () => {
    expect(specError(() => normalizeChildSpec(spec('a', { shutdown: -1 }))).field).toBe(
      'child.shutdown',
    );
  });
});

describe('validateChildren', () => {
  it('should reject duplicate ids, naming the second one', () => {
    const specs = [spec('a'), spec('b'), spec('a')].map((s) => normalizeChildSpec(s));
    const e = specError(() => validateChildren(normalizeFlags(), specs));
    expect(e.message).toBe("children[2].id: duplicate child id 'a'");
    expect(e.field).toBe('children[2].id');
    expect(e.value).toBe('a');
  });

  it.each([
    [0, 'children: bad_start_spec: simple_one_for_one takes exactly one child spec, got 0'],
    [2, 'children: bad_start_spec: simple_one_for_one takes exactly one child spec, got 2'],
  ])('should reject simple_one_for_one with %i specs', (n, message) => {
    const specs = ['a', 'b'].slice(0, n).map((id) => normalizeChildSpec(spec(id)));
    expect(
      specError(() => validateChildren(normalizeFlags({ strategy: 'simple_one_for_one' }), specs))
        .message,
    ).toBe(message);
  });

  it('should fail a supervisor actor started with a bad spec, before it starts any child', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      children: [{ id: 'a', start: { logic: testWorker, input: { name: 'a', log } } }, spec('a')],
    });
    expect(t.actor.getSnapshot().status).toBe('error');
    expect(t.errors[0]).toBeInstanceOf(SupervisorSpecError);
    expect((t.errors[0] as Error).message).toBe("children[1].id: duplicate child id 'a'");
    expect(log).toEqual([]);
  });

  it('should refuse a strategy, autoShutdown, restart or type that OTP does not have', () => {
    expect(() => normalizeFlags({ strategy: 'one_for_some' as never })).toThrow(
      "strategy: expected one of 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one', got 'one_for_some'",
    );
    expect(() => normalizeFlags({ autoShutdown: 'sometimes' as never })).toThrow(
      "autoShutdown: expected one of 'never' | 'any_significant' | 'all_significant', got 'sometimes'",
    );
    expect(() =>
      normalizeChildSpec(
        { id: 'a', start: { logic: {} as never }, restart: 'forever' as never },
        'children[0]',
      ),
    ).toThrow(
      "children[0].restart: expected one of 'permanent' | 'transient' | 'temporary', got 'forever'",
    );
    expect(() =>
      normalizeChildSpec(
        { id: 'a', start: { logic: {} as never }, type: 'manager' as never },
        'children[0]',
      ),
    ).toThrow("children[0].type: expected one of 'worker' | 'supervisor', got 'manager'");
  });
});
