import { describe, expect, it } from 'vitest';
import { errorExcerpt, keyHash, keyText, newReportId } from '../../../src/state/common.js';
import { secrets } from '../../../src/secrets.js';

describe('keyText', () => {
  it('Given a number key and a string key of the same digits, when written, then the texts differ', () => {
    expect(keyText([1])).not.toBe(keyText(['1']));
  });

  it('Given equal tuples, when hashed, then the hashes are equal and 32 bytes long', () => {
    expect(keyHash(keyText([1, 'a']))).toEqual(keyHash(keyText([1, 'a'])));
    expect(keyHash(keyText([1, 'a'])).length).toBe(32);
  });
});

describe('errorExcerpt', () => {
  it('Given a short error, when excerpted, then it is unchanged', () => {
    expect(errorExcerpt('422 total must be positive')).toBe('422 total must be positive');
  });

  it('Given a secret straddling the 1 KB cut, when excerpted, then no part of it survives', () => {
    const secret = 'tok-' + 'Z'.repeat(40);
    secrets.add(secret);
    const text = 'x'.repeat(1000) + secret + 'y'.repeat(100);
    const out = errorExcerpt(text);
    expect(out).not.toContain('ZZZZ');
    expect(Buffer.byteLength(out, 'utf8')).toBeLessThanOrEqual(1024);
  });

  it('Given 4-byte characters past the limit, when excerpted, then the cut falls on a character boundary', () => {
    const out = errorExcerpt('😀'.repeat(400));
    expect(Buffer.byteLength(out, 'utf8')).toBeLessThanOrEqual(1024);
    expect(out.endsWith('😀…')).toBe(true);
  });
});

describe('newReportId', () => {
  it('Given ids made in the same millisecond and later, when sorted as text, then they are in creation order', () => {
    const ids = [newReportId(1_000), newReportId(1_000), newReportId(1_000), newReportId(2_000)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(4);
  });
});
