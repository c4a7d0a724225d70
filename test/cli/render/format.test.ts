import { describe, expect, it } from 'vitest';
import { list } from '../../../cli/render/format.js';

describe('list', () => {
  it.each([
    [['draft', 'polish'], 'draft, polish'],
    [['one'], 'one'],
    [[], ''],
    ['model', 'model'],
    [undefined, ''],
    [null, ''],
  ])('should say %j as %j', (value, text) => {
    expect(list(value)).toBe(text);
  });
});
