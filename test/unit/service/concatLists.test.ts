import { describe, expect, it } from 'vitest';
import { concatLists } from '../../../src/service/mapLimit.js';

describe('concatLists', () => {
  it('Given one list, When joined, Then that list comes back as it is', () => {
    const only = [1, 2, 3];
    expect(concatLists([only])).toBe(only);
  });

  it('Given several lists, some empty, When joined, Then their items come back in order', () => {
    expect(concatLists([[1, 2], [], [3], [4, 5]])).toEqual([1, 2, 3, 4, 5]);
  });

  it('Given no lists, When joined, Then an empty list', () => {
    expect(concatLists([])).toEqual([]);
  });

  it('Given lists of lists, When joined, Then only one level is undone', () => {
    expect(concatLists([[[1], [2]], [[3]]])).toEqual([[1], [2], [3]]);
  });
});
