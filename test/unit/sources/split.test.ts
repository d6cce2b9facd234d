import { describe, expect, it } from 'vitest';
import { drawKeyPoint, evenIntegerBoundaries, fromBigInt, isSkewed, keepProbe, quantileBoundaries, rangesFromBoundaries, sampleShare } from '../../../src/sources/split.js';

describe('rangesFromBoundaries', () => {
  it('Given no boundaries, When building ranges, Then one unbounded range', () => {
    expect(rangesFromBoundaries([])).toEqual([{}]);
  });

  it('Given two boundaries, When building ranges, Then three contiguous ranges open at both ends', () => {
    expect(rangesFromBoundaries([[10], [20]])).toEqual([{ upTo: [10] }, { after: [10], upTo: [20] }, { after: [20] }]);
  });
});

describe('evenIntegerBoundaries', () => {
  it('Given 1..100 into 4, When splitting, Then three evenly spaced boundaries', () => {
    expect(evenIntegerBoundaries(1, 100, 4)).toEqual([[25], [50], [75]]);
  });

  it('Given a span smaller than the partition count, When splitting, Then no duplicate or max-equal boundary', () => {
    expect(evenIntegerBoundaries(1, 3, 8)).toEqual([[1], [2]]);
  });

  it('Given 64-bit keys as strings, When splitting, Then boundaries are exact strings', () => {
    expect(evenIntegerBoundaries('9223372036854775800', '9223372036854775807', 2)).toEqual([['9223372036854775803']]);
  });

  it('Given min equal to max, When splitting, Then no boundaries', () => {
    expect(evenIntegerBoundaries(5, 5, 4)).toEqual([]);
  });
});

describe('fromBigInt', () => {
  it('Given a value beyond 2^53, When converted, Then a string; else a number', () => {
    expect(fromBigInt(2n ** 53n + 1n)).toBe('9007199254740993');
    expect(fromBigInt(42n)).toBe(42);
  });
});

describe('quantileBoundaries', () => {
  it('Given 100 sorted keys into 4, When picking, Then the last key of each quarter', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => [i] as const);
    expect(quantileBoundaries(sorted, 4)).toEqual([[24], [49], [74]]);
  });

  it('Given fewer samples than partitions, When picking, Then boundaries are distinct and never the last sample', () => {
    expect(quantileBoundaries([['a'], ['b'], ['c']], 10)).toEqual([['a'], ['b']]);
  });

  it('Given an empty sample, When picking, Then no boundaries', () => {
    expect(quantileBoundaries([], 4)).toEqual([]);
  });
});

describe('isSkewed', () => {
  it('Given uniformly spread keys, When checked against an even split, Then not skewed', () => {
    const sample = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(isSkewed(sample, evenIntegerBoundaries(1, 1000, 4), 4)).toBe(false);
  });

  it('Given 90% of keys in the bottom range, When checked, Then skewed', () => {
    const sample = [...Array.from({ length: 900 }, (_, i) => i + 1), ...Array.from({ length: 100 }, (_, i) => (i + 1) * 10_000_000)];
    expect(isSkewed(sample, evenIntegerBoundaries(1, 1_000_000_000, 4), 4)).toBe(true);
  });
});

describe('sampleShare', () => {
  const ints = [[1], [2], [3], [5], [8], [13], [21], [34]];

  it('Given an integer key, When a range between values not in the sample is asked, Then the share counts the keys in (after, upTo]', () => {
    // 3, 5 and 8 lie in (2, 9].
    expect(sampleShare(ints, { after: [2], upTo: [9] }, true)).toBe(3 / 8);
  });

  it('Given an integer key, When open-ended ranges are asked, Then they reach the sample ends', () => {
    expect(sampleShare(ints, { upTo: [5] }, true)).toBe(4 / 8);
    expect(sampleShare(ints, { after: [5] }, true)).toBe(4 / 8);
    expect(sampleShare(ints, {}, true)).toBe(1);
  });

  it('Given a 64-bit integer key beyond doubles, When asked, Then it compares exactly', () => {
    const big = [['9007199254740993'], ['9007199254740994'], ['9007199254740995']];
    expect(sampleShare(big, { after: ['9007199254740993'] }, true)).toBe(2 / 3);
  });

  it('Given a string key, When the boundaries are sample keys, Then the share is told by their places in the sample', () => {
    // Sorted by the database's collation, which JavaScript's order need not match.
    const words = [['apple'], ['Banana'], ['cherry'], ['Date']];
    expect(sampleShare(words, { after: ['Banana'], upTo: ['Date'] }, false)).toBe(2 / 4);
  });

  it('Given a string key, When a boundary is not in the sample, Then the share cannot be told', () => {
    expect(sampleShare([['a'], ['b']], { upTo: ['bb'] }, false)).toBeUndefined();
  });

  it('Given an empty sample, When asked, Then the share cannot be told', () => {
    expect(sampleShare([], {}, true)).toBeUndefined();
  });
});

describe('keepProbe', () => {
  it('Given a key right after its neighbour (gap 1), When probed, Then it is always kept', () => {
    expect(keepProbe(8, 7, 1, 0.999)).toBe(true);
  });

  it('Given a key 4 above the key before it, When probed, Then it is kept for draws under 1/4 only', () => {
    expect(keepProbe(11, 7, 1, 0.24)).toBe(true);
    expect(keepProbe(11, 7, 1, 0.25)).toBe(false);
  });

  it('Given the lowest key (nothing before it), When probed, Then its gap runs from lo - 1', () => {
    // lo = 1, key 1: gap 1; key 3 with nothing before would have gap 3.
    expect(keepProbe(1, null, 1, 0.999)).toBe(true);
    expect(keepProbe(3, null, 1, 0.34)).toBe(false);
  });

  it('Given 64-bit keys beyond doubles, When probed, Then the gap is exact', () => {
    expect(keepProbe('9007199254740995', '9007199254740994', 1, 0.999)).toBe(true);
  });

  it('Given keys 1..100 dense and 101..1000 holding only every 100th, When probed from uniform points, Then the kept keys are uniform over rows, not over the key space', () => {
    // Rows: 1..100 and 200, 300, ..., 1000: 109 rows, 100 of them (92%) in the bottom tenth of the key space.
    const keys = [...Array.from({ length: 100 }, (_, i) => i + 1), ...Array.from({ length: 9 }, (_, i) => (i + 2) * 100)];
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    let low = 0;
    let kept = 0;
    for (let n = 0; n < 20_000; n++) {
      const point = Number(drawKeyPoint(1, 1000, random));
      const at = keys.find((k) => k >= point)!;
      const before = [...keys].reverse().find((k) => k < point) ?? null;
      if (!keepProbe(at, before, 1, random())) continue;
      kept++;
      if (at <= 100) low++;
    }
    // A uniform row sample puts 100/109 = 91.7% in the dense part; uniform key points would put ~10% there.
    expect(low / kept).toBeGreaterThan(0.88);
    expect(low / kept).toBeLessThan(0.95);
  });
});

describe('drawKeyPoint', () => {
  it('Given a span, When drawn with the lowest and the highest random value, Then the points are lo and hi', () => {
    expect(drawKeyPoint(5, 9, () => 0)).toBe(5n);
    expect(drawKeyPoint(5, 9, () => 0.9999999)).toBe(9n);
  });

  it('Given a span wider than 2^32, When drawn, Then the point stays within lo..hi', () => {
    for (const r of [0, 0.5, 0.9999999]) {
      const p = drawKeyPoint('1', '18446744073709551615', () => r);
      expect(p >= 1n && p <= 18446744073709551615n).toBe(true);
    }
  });
});
