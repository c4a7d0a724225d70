import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sumRange } from '../src/range.js';

test('sums a range, both ends included', () => {
  assert.equal(sumRange(1, 3), 6);
});

test('a range of one number is that number', () => {
  assert.equal(sumRange(2, 2), 2);
});

test('an empty range sums to 0', () => {
  assert.equal(sumRange(4, 3), 0);
});
