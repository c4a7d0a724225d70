/**
 * The council's arithmetic, table-tested: the quorum in integers (never a float's rounding),
 * positions by an agreement function, a round's outcome (a tie is no quorum), and the roles'
 * rotation with exactly one dissenter a round.
 */
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  clusterBy,
  meetsQuorum,
  normalizeAnswer,
  quorumSize,
  roleOf,
  rolesOf,
  roundOutcome,
} from '../../../actors/council/quorum.js';
import { COUNCIL_ROLES } from '../../../config/council.js';

const twoThirds = { agree: 2, of: 3 };

describe('meetsQuorum', () => {
  it.each([
    // agreeing, voters, meets 2/3
    [2, 3, true],
    [1, 3, false],
    [3, 4, true],
    [2, 4, false],
    [4, 5, true],
    [3, 5, false],
    [34, 50, true],
    [33, 50, false], // 0.66 of 50 is 33: a float `>= 0.66` would pass it
    [34, 51, true],
    [33, 51, false],
    [0, 0, false],
    [3, 3, true],
  ])('%i of %i meets 2/3: %s', (agreeing, voters, meets) => {
    expect(meetsQuorum(agreeing, voters, twoThirds)).toBe(meets);
  });

  it.each([
    [3, 2],
    [4, 3],
    [5, 4],
    [50, 34],
    [51, 34],
    [1, 1],
  ])('2/3 of %i voters is %i', (voters, size) => {
    expect(quorumSize(voters, twoThirds)).toBe(size);
    expect(meetsQuorum(size, voters, twoThirds)).toBe(true);
    expect(meetsQuorum(size - 1, voters, twoThirds)).toBe(false);
  });

  it('should take any exact fraction: a majority, unanimity', () => {
    expect(meetsQuorum(3, 5, { agree: 1, of: 2 })).toBe(true);
    expect(meetsQuorum(2, 4, { agree: 1, of: 2 })).toBe(true);
    expect(meetsQuorum(4, 5, { agree: 1, of: 1 })).toBe(false);
    expect(meetsQuorum(5, 5, { agree: 1, of: 1 })).toBe(true);
  });
});

describe('roundOutcome', () => {
  it.each([
    // sizes, voters, min, outcome
    [[3, 2], 5, 3, { outcome: 'no_quorum', reason: 'short', leader: 0, needed: 4 }],
    [[4, 1], 5, 3, { outcome: 'quorum', leader: 0, needed: 4 }],
    [[1, 4], 5, 3, { outcome: 'quorum', leader: 1, needed: 4 }],
    [[2, 2, 1], 5, 3, { outcome: 'no_quorum', reason: 'tie', needed: 4 }],
    // a majority quorum two positions both meet is still a tie: nothing breaks it
    [[2, 2], 4, 3, { outcome: 'no_quorum', reason: 'tie', needed: 3 }],
    [[2], 2, 3, { outcome: 'no_quorum', reason: 'too_few', leader: 0, needed: 2 }],
    [[3], 3, 3, { outcome: 'quorum', leader: 0, needed: 2 }],
    [[], 0, 3, { outcome: 'no_quorum', reason: 'too_few', needed: 0 }],
  ])('%j of %i voters (min %i)', (sizes, voters, min, outcome) => {
    expect(roundOutcome(sizes, voters, twoThirds, min)).toEqual(outcome);
  });

  it('should tie two positions under a majority quorum', () => {
    expect(roundOutcome([2, 2], 4, { agree: 1, of: 2 }, 3)).toMatchObject({
      outcome: 'no_quorum',
      reason: 'tie',
    });
  });
});

describe('clusterBy', () => {
  it('should group by the agreement, in order of first appearance', () => {
    const same = (a: string, b: string) => normalizeAnswer(a) === normalizeAnswer(b);
    expect(clusterBy(['Paris.', 'Lyon', ' paris', 'PARIS!', 'lyon'], same)).toEqual([
      ['Paris.', ' paris', 'PARIS!'],
      ['Lyon', 'lyon'],
    ]);
    expect(clusterBy([], same)).toEqual([]);
  });
});

describe('normalizeAnswer and canonicalJson', () => {
  it.each([
    ['  The  Answer:  42. ', 'the answer 42'],
    ['Yes!', 'yes'],
    ['a\tb\nc', 'a b c'],
  ])('%j normalizes to %j', (text, norm) => {
    expect(normalizeAnswer(text)).toBe(norm);
  });

  it('should give the same text for the same value, whatever the key order', () => {
    expect(canonicalJson({ b: [1, { y: 2, x: 1 }], a: 'z' })).toBe(
      canonicalJson({ a: 'z', b: [1, { x: 1, y: 2 }] }),
    );
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
  });
});

describe('roles', () => {
  it('should rotate by round: member i takes role (i + round) mod R', () => {
    expect(rolesOf(1, COUNCIL_ROLES, 5)).toEqual([
      'dissenter',
      'strategist',
      'analyst',
      'arbiter',
      'scribe',
    ]);
    expect(rolesOf(2, COUNCIL_ROLES, 5)).toEqual([
      'strategist',
      'analyst',
      'arbiter',
      'scribe',
      'dissenter',
    ]);
    expect(roleOf(0, 3, COUNCIL_ROLES, 5)).toBe('analyst');
  });

  it.each([3, 4, 5, 6, 7, 10])('should give exactly one dissenter a round to %i members', (n) => {
    for (let round = 1; round <= 12; round++) {
      const roles = rolesOf(round, COUNCIL_ROLES, n);
      expect(roles).toHaveLength(n);
      expect(roles.filter((r) => r === 'dissenter')).toHaveLength(1);
    }
  });

  it('should move the dissent around the members over the rounds', () => {
    const dissenters = [1, 2, 3, 4, 5].map((round) =>
      rolesOf(round, COUNCIL_ROLES, 3).indexOf('dissenter'),
    );
    expect(new Set(dissenters).size).toBe(3);
  });
});
