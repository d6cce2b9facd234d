/**
 * Source values that have no faithful JSON form of their own: NaN, ±Infinity, `-0`, infinite and
 * BC dates, JSON documents with a key twice, a JSON `null` document (indistinguishable from SQL
 * NULL once sent). Sources hand them over as a `SpecialValue` instead of guessing a form; the
 * mapping refuses the row unless the plan's `represent:` for the field names one (see
 * docs/mapping-and-comparison.md). A JSON document that is a string is a `JsonString`, so that
 * `as: json` does not parse it a second time.
 */
import { DuplicateKeyError, parseJsonExact } from './json.js';

/** The classes of special values, as named in refusals and in `represent:`. */
export type ValueClass = 'nan' | 'infinity' | 'negativeZero' | 'infiniteDate' | 'bcDate' | 'duplicateKeys' | 'jsonNull';

/** What `represent:` may choose for each class. */
export const REPRESENTATIONS = {
  nan: ['string', 'null'],
  infinity: ['string', 'null'],
  negativeZero: ['string', 'zero'],
  infiniteDate: ['string', 'null'],
  bcDate: ['string', 'null'],
  duplicateKeys: ['first', 'last'],
  jsonNull: ['null'],
} as const satisfies Record<ValueClass, readonly string[]>;

export type Represent = { [K in ValueClass]?: (typeof REPRESENTATIONS)[K][number] };

/** Human words for a class, for refusals. */
export const CLASS_WORDS: Record<ValueClass, string> = {
  nan: 'NaN (not a number)',
  infinity: 'an infinity',
  negativeZero: 'negative zero (-0)',
  infiniteDate: 'an infinite date/timestamp',
  bcDate: 'a BC date/timestamp',
  duplicateKeys: 'a JSON object with a duplicate key',
  jsonNull: 'a JSON null document (indistinguishable from SQL NULL)',
};

/**
 * A special value as read from the source: its class, the source's own text for it (`NaN`,
 * `-Infinity`, `0044-03-15 BC`, the JSON text) and, for arrays holding special elements, the
 * elements (special ones as SpecialValues).
 */
export class SpecialValue {
  constructor(
    readonly kind: ValueClass,
    readonly text: string,
    readonly elements?: readonly unknown[],
  ) {}

  toString(): string {
    return this.text;
  }
}

/** A JSON document whose value is a string: already parsed, never to be parsed again. */
export class JsonString {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

/** Thrown when a special value has no representation in the plan: names the class and the setting that would accept it. */
export class SpecialValueRefused extends Error {
  constructor(readonly kind: ValueClass) {
    super(`is ${CLASS_WORDS[kind]}, which has no faithful JSON form`);
  }

  /** The plan setting that would accept it, for a field's map entry. */
  setting(field: string): string {
    const forms = REPRESENTATIONS[this.kind].map((f) => `\`${f}\``).join(' or ');
    return `map.${field}.represent.${this.kind}: ${forms}`;
  }
}

/**
 * The value `represent` chooses for a special value (arrays element by element); throws
 * SpecialValueRefused for the first class it does not cover.
 */
export function representSpecial(v: SpecialValue, represent: Represent | undefined): unknown {
  if (v.elements !== undefined) return v.elements.map((e) => (e instanceof SpecialValue ? representSpecial(e, represent) : e));
  const form = represent?.[v.kind];
  if (form === undefined) throw new SpecialValueRefused(v.kind);
  switch (v.kind) {
    case 'nan':
    case 'infinity':
    case 'infiniteDate':
    case 'bcDate':
      return form === 'null' ? null : v.text;
    case 'negativeZero':
      return form === 'zero' ? 0 : '-0';
    case 'duplicateKeys':
      return parseJsonExact(v.text, form as 'first' | 'last');
    case 'jsonNull':
      return null;
  }
}

/** A JSON column's (or `as: json` text's) text parsed exactly; a string document is a JsonString, `null` and duplicate keys are special. */
export function parseJsonColumn(text: string): unknown {
  let v: unknown;
  try {
    v = parseJsonExact(text);
  } catch (e) {
    if (e instanceof DuplicateKeyError) return new SpecialValue('duplicateKeys', text);
    throw e;
  }
  if (v === null) return new SpecialValue('jsonNull', text);
  if (typeof v === 'string') return new JsonString(v);
  return v;
}

