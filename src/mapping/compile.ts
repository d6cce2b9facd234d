/**
 * The plan's `map:` compiled into closures, once per entity, so that mapping a million rows does
 * no plan interpretation per row. Shared by the backfill (copy) and verification (compare).
 */
import { UserError, type Problem } from '../errors.js';
import type { Cast, Entity, MapField } from '../plan/schema.js';
import type { KeyPart, KeyTuple, SourceRow } from '../sources/types.js';
import type { TargetItem, TargetKey } from '../service/types.js';
import { CastFailure, castFor, castString, jsonSafe } from './casts.js';
import { stringifyJsonExact } from '../values/json.js';
import { CLASS_WORDS, representSpecial, SpecialValue, SpecialValueRefused, type Represent } from '../values/special.js';
import { compileExpression, ExpressionError, type CompiledExpression } from './compute.js';
import { MappingError } from './errors.js';
import { compileGetter, compileSetter, splitPath, type Getter, type Setter } from './paths.js';

/** What a transform module's default export does: receives the mapped item and the source row, returns the item. */
export type Transform = (item: TargetItem, row: SourceRow) => TargetItem;

type Literal = string | number | boolean | null;

/** One `map:` entry in a single shape, whichever way the plan wrote it. */
export interface FieldSpec {
  /** Dotted target path. */
  target: string;
  /** Source column; absent for a constant. */
  from?: string;
  as?: Cast;
  values?: Record<string, Literal>;
  /** Present (possibly null) only when the entry is a constant. */
  const?: Literal;
  /** Present (possibly null) only when the entry has a default. */
  default?: Literal;
  /** How values without a faithful JSON form are sent (values/special.ts); absent classes refuse the row. */
  represent?: Represent;
  /** A JsonLogic rule over the row (src/mapping/compute.ts); present only for computed entries. */
  compute?: unknown;
  sensitive: boolean;
}

export interface Mapping {
  /** The target item of a source row; throws MappingError for a row that cannot be mapped. */
  map(row: SourceRow): TargetItem;
  /** Target paths that identify an item, in key order. */
  readonly targetKeyFields: string[];
  /** The key of an item, shaped like the item (`{ customer: { id: 1 } }` for the path `customer.id`). */
  keyOfItem(item: TargetItem): TargetKey;
  /** A string identity of an item's key, equal for 42 and "42", to join items read back with expected ones. */
  keyId(item: TargetItem): string;
  /** The source key of a row as a JSON-safe tuple (bigints beyond 2^53 and dates as strings). */
  keyOfRow(row: SourceRow): KeyTuple;
  /** Every column the map reads, key columns included, in map order then key order. */
  readonly sourceColumns: string[];
  /** True when a transform may read any column, so readers must select whole rows. */
  readonly readsWholeRow: boolean;
  /** Target paths whose values are never printed, logged or stored. */
  readonly sensitiveFields: string[];
  readonly fields: readonly FieldSpec[];
}

export interface CompileOptions {
  /** The loaded `entity.transform` module (see loadTransform); applied after the declarative map. */
  transform?: Transform;
  /** Entity name, for error locations. */
  name?: string;
}

/** The map entries of an entity as FieldSpecs, in plan order; throws UserError for entries that cannot work. */
export function fieldSpecs(entity: Entity, name?: string): FieldSpec[] {
  const problems: Problem[] = [];
  const specs = Object.entries(entity.map).map(([target, field]) => toSpec(target, field, name, problems));
  if (problems.length > 0) throw planError(problems);
  return specs;
}

function toSpec(target: string, field: MapField, name: string | undefined, problems: Problem[]): FieldSpec {
  if (typeof field === 'string') return { target, from: field, sensitive: false };
  const spec: FieldSpec = { target, sensitive: field.sensitive === true };
  if (field.as !== undefined) spec.as = field.as;
  if (field.values !== undefined) spec.values = field.values;
  if (field.default !== undefined) spec.default = field.default;
  if (field.represent !== undefined) spec.represent = field.represent;
  if (field.compute !== undefined) {
    spec.compute = field.compute;
    if (field.from !== undefined || field.values !== undefined || field.const !== undefined) {
      problems.push(problem(name, target, 'a computed field cannot also have `from`, `values` or `const`', 'Read columns inside the rule with { var: <column> }; keep `as` and `default` if needed.'));
    }
    return spec;
  }
  if (field.const !== undefined) {
    spec.const = field.const;
    if (field.from !== undefined || field.values !== undefined || field.default !== undefined) {
      problems.push(problem(name, target, 'a constant cannot also have `from`, `values` or `default`', 'Keep `const` alone, or drop it to read a column.'));
    }
    return spec;
  }
  if (field.from !== undefined) spec.from = field.from;
  else if (target.includes('.')) {
    problems.push(problem(name, target, 'a nested target needs `from` (the source column)', `Write { from: <column> } for "${target}".`));
  } else spec.from = target;
  return spec;
}

function problem(name: string | undefined, target: string, message: string, hint?: string): Problem {
  const p: Problem = { where: name ? `entities.${name}` : 'plan', path: `map.${target}`, message };
  if (hint !== undefined) p.hint = hint;
  return p;
}

function planError(problems: Problem[]): UserError {
  const only = problems.length === 1 ? problems[0]! : undefined;
  const message = only ? `${only.where}: ${only.path ?? ''}: ${only.message}` : `the entity's map has ${problems.length} problems`;
  return new UserError(message, {
    problems,
    hint: 'Fix the map: entries in the plan file; `migrate plan` lists every problem.',
  });
}

/** JSON-safe key part of a source key value: safe integers as numbers; bigints, dates, bytes as strings. */
export function toKeyPart(value: unknown): KeyPart {
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  return String(value);
}

/** A short, single-line rendering of a value for error messages. */
export function formatValue(value: unknown): string {
  let s: string;
  if (value === undefined) return 'missing';
  if (value instanceof Date) s = Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  else if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  else if (typeof value === 'bigint') s = value.toString();
  else if (value instanceof SpecialValue) s = value.text;
  else {
    try {
      s = stringifyJsonExact(value) ?? String(value);
    } catch {
      s = String(value);
    }
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

// The string a source value is looked up by in `values:` (whose keys YAML makes strings).
function lookupKey(value: unknown): string | undefined {
  try {
    return castString(value);
  } catch {
    return undefined;
  }
}

/** The compiled rule of a computed entry, or undefined (with a problem) when the rule cannot be used. */
function expressionOf(spec: FieldSpec, name: string | undefined, problems: Problem[]): CompiledExpression | undefined {
  // A value without a faithful JSON form (NaN, -0, …) reaches a rule only as the plan's `represent` says; else the row is refused.
  const prepare = (v: unknown) => (v instanceof SpecialValue ? representSpecial(v, spec.represent) : jsonSafe(v));
  try {
    return compileExpression(spec.compute, prepare);
  } catch (e) {
    if (!(e instanceof ExpressionError)) throw e;
    problems.push(problem(name, spec.target, `the rule ${e.message}`, 'Write a JsonLogic rule such as { cat: [{ var: film_id }, "-", { var: store_id }] } (docs/mapping-and-comparison.md, "Computed fields").'));
    return undefined;
  }
}

/** Raised inside a field getter for a value `values:` does not list. */
class UnmappedValue extends CastFailure {}

type FieldGetter = (row: SourceRow) => unknown;

/** A field's value from a row; for a field read from one column, also that column and the conversion of its value. */
interface CompiledField {
  get: FieldGetter;
  column?: string;
  convert?: (v: unknown) => unknown;
}

/** A field read from `col`: the getter and its conversion, the getter defined by it. */
function fromColumn(col: string, convert: (v: unknown) => unknown): CompiledField {
  return { get: (row) => convert(row[col]), column: col, convert };
}

function compileField(spec: FieldSpec, name: string | undefined, problems: Problem[]): CompiledField {
  const cast = castFor(spec.as);
  const atCompile = (what: string, v: Literal): unknown => {
    if (v === null) return null;
    try {
      return cast(v);
    } catch (e) {
      problems.push(problem(name, spec.target, `the ${what} ${formatValue(v)} ${(e as CastFailure).reason}`, `Give a ${what} that is a valid ${spec.as}.`));
      return null;
    }
  };
  if (spec.const !== undefined) {
    const v = atCompile('const', spec.const);
    return { get: () => v };
  }
  if (spec.compute !== undefined) {
    const expr = expressionOf(spec, name, problems);
    const fallback = spec.default !== undefined ? atCompile('default', spec.default) : null;
    if (!expr) return { get: () => null };
    return {
      get: (row) => {
        const v = expr.evaluate(row);
        return v === null || v === undefined ? fallback : cast(v);
      },
    };
  }
  const col = spec.from!;
  const hasDefault = spec.default !== undefined;
  const fallback = hasDefault ? atCompile('default', spec.default!) : null;
  const represent = spec.represent;
  // A represented special value is final: the plan chose its form, so no cast or lookup applies.
  const special = (v: SpecialValue): unknown => representSpecial(v, represent);
  if (spec.values !== undefined) {
    const table = new Map<string, unknown>();
    for (const [k, v] of Object.entries(spec.values)) table.set(k, atCompile(`values entry "${k}"`, v));
    return fromColumn(col, (v) => {
      if (v === null || v === undefined) return fallback;
      if (v instanceof SpecialValue) return special(v);
      const k = lookupKey(v);
      const out = k === undefined ? undefined : table.get(k);
      if (out !== undefined) return out;
      if (hasDefault) return fallback;
      throw new UnmappedValue('has no entry in `values` and the field has no `default`');
    });
  }
  if (spec.as === 'json') {
    // JSON text is parsed by the cast, which is where duplicate keys and a `null` document show.
    return fromColumn(col, (v) => {
      if (v === null || v === undefined) return fallback;
      const out = cast(v instanceof SpecialValue ? special(v) : v);
      return out instanceof SpecialValue ? special(out) : out;
    });
  }
  return fromColumn(col, (v) => {
    if (v === null || v === undefined) return fallback;
    return v instanceof SpecialValue ? special(v) : cast(v);
  });
}

/**
 * The declarative part of `map` for a flat item (every target a top-level name), as one generated
 * function: each column read by its own name and the item built as one object literal, so V8 sees
 * fixed property names at every site instead of one keyed read and one keyed write shared by all
 * fields (through the generic loop a 500-row page of five fields cost about 1 ms, 18 times a
 * hand-written mapping). Column and target names enter the code only as JSON string literals;
 * the conversions are passed in as values. Same item, same key order, same error as the loop:
 * `fail(i, e, row)` builds it from the index of the field that threw.
 */
function generatedFlatMap(
  targets: readonly string[],
  fields: readonly CompiledField[],
  fail: (i: number, e: unknown, row: SourceRow) => Error,
): ((row: SourceRow) => TargetItem) | undefined {
  if (targets.some((t) => t.includes('.') || t === '__proto__')) return undefined;
  const lines: string[] = [];
  fields.forEach((f, i) => {
    const value = f.column !== undefined ? `c[${i}](row[${JSON.stringify(f.column)}])` : `g[${i}](row)`;
    lines.push(`i = ${i}; const v${i} = ${value};`);
  });
  const literal = targets.map((t, i) => `${JSON.stringify(t)}: v${i}`).join(', ');
  const body = `return function map(row) {\n  let i = 0;\n  try {\n    ${lines.join('\n    ')}\n    return { ${literal} };\n  } catch (e) {\n    throw fail(i, e, row);\n  }\n};`;
  const make = new Function('c', 'g', 'fail', body) as (c: unknown[], g: FieldGetter[], f: typeof fail) => (row: SourceRow) => TargetItem;
  return make(
    fields.map((f) => f.convert),
    fields.map((f) => f.get),
    fail,
  );
}

/**
 * Compiles an entity's map (and optional loaded transform) into a Mapping. Throws UserError when
 * the map cannot work: a key column left unmapped, clashing nested paths, a const/default that
 * does not cast. Pass `options.transform` whenever `entity.transform` is set: it is not loaded here.
 */
export function compileMapping(entity: Entity, options: CompileOptions = {}): Mapping {
  const name = options.name;
  const specs = fieldSpecs(entity, name);
  const problems: Problem[] = [];
  const hasTransform = options.transform !== undefined || entity.transform !== undefined;

  const targets = specs.map((s) => s.target);
  const setters: Setter[] = [];
  for (const t of targets) {
    try {
      setters.push(compileSetter(t));
    } catch (e) {
      problems.push(problem(name, t, `the target path ${(e as Error).message}`));
      setters.push(() => undefined);
    }
  }
  for (const t of targets) {
    const child = targets.find((u) => u.startsWith(`${t}.`));
    if (child !== undefined) {
      problems.push(problem(name, t, `"${t}" is both a field and the parent of "${child}"`, 'Map the parent object or its fields, not both.'));
    }
  }
  const fields = specs.map((s) => compileField(s, name, problems));
  const getters = fields.map((f) => f.get);

  const sourceKey = entity.source.key;
  let targetKeyFields: string[];
  if (entity.target.key !== undefined) {
    targetKeyFields = [...entity.target.key];
    if (!hasTransform) {
      for (const k of targetKeyFields) {
        if (!targets.includes(k)) {
          problems.push({
            where: name ? `entities.${name}` : 'plan',
            path: 'target.key',
            message: `the key field "${k}" is not a target of the map`,
            hint: `Map a source column to "${k}", or list mapped fields in target.key.`,
          });
        }
      }
    }
  } else {
    targetKeyFields = [];
    for (const col of sourceKey) {
      const spec = specs.find((s) => s.from === col);
      if (spec === undefined) {
        problems.push({
          where: name ? `entities.${name}` : 'plan',
          path: 'map',
          message: `the source key column "${col}" is not mapped, so items could not be matched to rows`,
          hint: `Add a map entry reading "${col}" (e.g. \`${col}: ${col}\`), or set target.key to the target fields that identify an item.`,
        });
      } else targetKeyFields.push(spec.target);
    }
  }
  if (problems.length > 0) throw planError(problems);

  const sourceColumns: string[] = [];
  for (const s of specs) {
    const reads = s.compute !== undefined ? (safeColumns(s.compute) ?? []) : s.from !== undefined ? [s.from] : [];
    for (const c of reads) if (!sourceColumns.includes(c)) sourceColumns.push(c);
  }
  for (const c of sourceKey) if (!sourceColumns.includes(c)) sourceColumns.push(c);
  const sensitive = specs.filter((s) => s.sensitive);
  const sensitiveFields = sensitive.map((s) => s.target);
  const sensitiveGetters = sensitiveFields.map(compileGetter);

  const keyGetters: Getter[] = targetKeyFields.map(compileGetter);
  const keySetters: Setter[] = targetKeyFields.map(compileSetter);
  const transform = options.transform;
  const n = specs.length;

  const keyOfRow = (row: SourceRow): KeyTuple => sourceKey.map((c) => toKeyPart(row[c]));

  const fieldError = (i: number, e: unknown, row: SourceRow): MappingError => {
    const spec = specs[i]!;
    if (e instanceof SpecialValueRefused) return refusal(spec, e, row);
    const reason = e instanceof CastFailure ? e.reason : `could not be mapped (${(e as Error)?.message ?? String(e)})`;
    const shown = spec.sensitive
      ? 'the value (hidden: sensitive field)'
      : spec.compute !== undefined
        ? `computed from ${(safeColumns(spec.compute) ?? []).map((c) => `${c}=${formatValue(row[c])}`).join(', ') || 'constants'}`
        : `value ${formatValue(spec.from === undefined ? undefined : row[spec.from])}`;
    const what = spec.as !== undefined && !(e instanceof UnmappedValue) ? ` (as ${spec.as})` : '';
    return new MappingError(
      `field "${spec.target}"${what}: ${shown} ${reason}`,
      spec.target,
      keyOfRow(row),
      `Fix the row in the source, or change map.${spec.target} in the plan (a \`default\`, a \`values\` entry, another \`as\`, or a transform); then re-drive it with \`migrate retry\`.`,
      { cause: e },
    );
  };

  // A value with no faithful JSON form: says which entity, row, column and class, and the setting that would accept it.
  const refusal = (spec: FieldSpec, e: SpecialValueRefused, row: SourceRow): MappingError => {
    const key = keyOfRow(row);
    const shown = spec.sensitive ? 'its value is hidden (sensitive field)' : `value ${formatValue(spec.from === undefined ? undefined : row[spec.from])}`;
    return new MappingError(
      `entity "${name ?? '?'}", key ${JSON.stringify(key)}, column "${spec.from ?? '?'}" (field "${spec.target}"): value class ${e.kind} refused — ${CLASS_WORDS[e.kind]} has no faithful JSON form (${shown}); to accept it, set ${e.setting(spec.target)} in the plan`,
      spec.target,
      key,
      `Nothing was written for this row. Set ${e.setting(spec.target)} in entities.${name ?? '<entity>'} (docs/mapping-and-comparison.md, "Values without a faithful JSON form"), or fix the row in the source; then re-drive it with \`migrate retry\`.`,
      { cause: e },
    );
  };

  // A transform's own message may quote the row; mask whatever sensitive values it could contain.
  const maskSensitive = (text: string, row: SourceRow, item: TargetItem): string => {
    let out = text;
    const secrets: string[] = [];
    for (const s of sensitive) if (s.from !== undefined) secrets.push(formatPlain(row[s.from]));
    for (const g of sensitiveGetters) secrets.push(formatPlain(g(item)));
    for (const v of secrets.filter((x) => x.length >= 3).sort((a, b) => b.length - a.length)) out = out.split(v).join('[redacted]');
    return out;
  };

  const runTransform = (item: TargetItem, row: SourceRow): TargetItem => {
    let out: unknown;
    try {
      out = transform!(item, row);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new MappingError(
        `the transform rejected the row: ${maskSensitive(msg, row, item)}`,
        undefined,
        keyOfRow(row),
        'Fix the row in the source or the transform module, then re-drive it with `migrate retry`.',
      );
    }
    if (out !== null && typeof out === 'object' && typeof (out as { then?: unknown }).then === 'function') {
      throw new UserError('the transform module returned a promise; transforms must be synchronous', {
        hint: 'Make the default export of the transform a plain (non-async) function returning the item.',
      });
    }
    if (out === null || typeof out !== 'object' || Array.isArray(out)) {
      throw new MappingError(
        `the transform returned ${out === null ? 'null' : Array.isArray(out) ? 'an array' : typeof out}, not an item object`,
        undefined,
        keyOfRow(row),
        'Make the transform return the (possibly changed) item it was given.',
      );
    }
    return out as TargetItem;
  };

  const flat = generatedFlatMap(targets, fields, fieldError);
  const map = (row: SourceRow): TargetItem => {
    let item: TargetItem;
    if (flat !== undefined) item = flat(row);
    else {
      item = {};
      let i = 0;
      try {
        for (; i < n; i++) setters[i]!(item, getters[i]!(row));
      } catch (e) {
        throw fieldError(i, e, row);
      }
    }
    if (transform !== undefined) item = runTransform(item, row);
    for (let k = 0; k < keyGetters.length; k++) {
      const v = keyGetters[k]!(item);
      if (v === null || v === undefined) {
        const field = targetKeyFields[k]!;
        throw new MappingError(
          `key field "${field}" is empty after mapping, so the item could not be written or found`,
          field,
          keyOfRow(row),
          `Give map.${field} a value for every row (a \`default\` or a transform), or exclude such rows with source.where.`,
        );
      }
    }
    return item;
  };

  const singleTop = targetKeyFields.length === 1 && !targetKeyFields[0]!.includes('.') ? targetKeyFields[0]! : undefined;
  const keyOfItem =
    singleTop !== undefined
      ? (item: TargetItem): TargetKey => ({ [singleTop]: item[singleTop] })
      : (item: TargetItem): TargetKey => {
          const key: TargetKey = {};
          for (let k = 0; k < keyGetters.length; k++) keySetters[k]!(key, keyGetters[k]!(item));
          return key;
        };

  // One key field (the common case) without the array and JSON.stringify call: same text, `["42"]`,
  // since the digits of a number need no escape. Verification calls it twice per row.
  const keyGetter = keyGetters.length === 1 ? keyGetters[0]! : undefined;
  const keyId = (item: TargetItem): string => {
    if (keyGetter !== undefined) {
      const v = keyGetter(item);
      if (typeof v === 'number') return `["${String(v)}"]`;
    }
    return JSON.stringify(keyGetters.map((g) => keyIdPart(g(item))));
  };

  return { map, targetKeyFields, keyOfItem, keyId, keyOfRow, sourceColumns, readsWholeRow: hasTransform, sensitiveFields, fields: specs };
}

/** The columns a computed rule reads; undefined for a rule already reported as unusable. */
function safeColumns(rule: unknown): string[] | undefined {
  try {
    return compileExpression(rule).columns;
  } catch {
    return undefined;
  }
}

function formatPlain(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  return formatValue(v);
}

function keyIdPart(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
