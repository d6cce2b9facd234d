/** Plan `map:` → target items, shared by the backfill and verification. */
export { compileMapping, fieldSpecs, formatValue, toKeyPart } from './compile.js';
export type { CompileOptions, FieldSpec, Mapping, Transform } from './compile.js';
export { MappingError } from './errors.js';
export { loadTransform } from './transform.js';
export {
  canonicalDecimal,
  castBoolean,
  castDecimal,
  castFor,
  castInteger,
  castJson,
  castNumber,
  castString,
  castTimestamp,
  CastFailure,
  jsonSafe,
  parseTimestamp,
  toBoolean,
  toInstant,
  withinTolerance,
} from './casts.js';
export type { CastFn, ZoneOffset } from './casts.js';
