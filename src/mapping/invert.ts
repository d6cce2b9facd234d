/**
 * The plan's `map:` run backwards, for reverse sync (service → legacy): an item read from the
 * service becomes the legacy columns it came from. Plain columns, `values:` tables and casts are
 * inverted; what cannot be inverted without changing a value — computed fields, a transform, a
 * `values:` table that sends two source values to one item value (or a `default` that catches the
 * unlisted ones), a non-null `default`, the lossy `number` cast — is reported by `invertibility`, and
 * `invertMapping` refuses a map with any of it. Constants are not written back (the column keeps
 * its value, or its database default on insert); columns the map does not read are left alone.
 */
import { UserError, type Problem } from '../errors.js';
import type { Entity } from '../plan/schema.js';
import type { DialectName } from '../sources/quote.js';
import type { KeyTuple, SourceRow } from '../sources/types.js';
import type { TargetItem, TargetKey } from '../service/types.js';
import { fieldSpecs, formatValue, type FieldSpec } from './compile.js';
import { MappingError } from './errors.js';
import { compileGetter } from './paths.js';

/** A map entry reverse sync cannot carry back exactly, with what to change. */
export interface NotInvertible {
  /** The map entry (target path), or `transform`. */
  field: string;
  /**
   * `refused`: no inverse at all, reverse sync cannot run. `lossy`: it runs, but a value the map
   * folded (an empty column given a `default`, an unlisted value given the `values` default) comes
   * back as the folded value — `migrate plan` says so.
   */
  severity: 'refused' | 'lossy';
  reason: string;
  fix: string;
}

/** Every entry of the entity's map that reverse sync cannot carry back exactly; empty when it can. */
export function invertibility(entity: Entity): NotInvertible[] {
  const out: NotInvertible[] = [];
  if (entity.transform !== undefined) {
    out.push({ field: 'transform', severity: 'refused', reason: `the transform module ${entity.transform} has no inverse`, fix: 'express the transform as map entries (from, values, as), or keep writes on the legacy' });
  }
  let specs: FieldSpec[];
  try {
    specs = fieldSpecs(entity);
  } catch {
    return out; // the map itself is broken; the plan check reports that
  }
  for (const s of specs) {
    const problem = fieldProblem(s);
    if (problem) out.push({ field: s.target, ...problem });
  }
  for (const col of entity.source.key) {
    if (!specs.some((s) => s.from === col && s.const === undefined)) {
      out.push({ field: col, severity: 'refused', reason: `the key column "${col}" is not read from any item field`, fix: `map "${col}" from a field with \`from: ${col}\`` });
    }
  }
  return out;
}

function fieldProblem(s: FieldSpec): Omit<NotInvertible, 'field'> | undefined {
  if (s.compute !== undefined) {
    return { severity: 'refused', reason: 'a computed field has no inverse (several rows can compute one value)', fix: 'map the columns the rule reads as fields of their own, or drop the computed field' };
  }
  if (s.const !== undefined) return undefined;
  if (s.values !== undefined) {
    const seen = new Map<string, string>();
    for (const [k, v] of Object.entries(s.values)) {
      const id = valueId(v);
      const other = seen.get(id);
      if (other !== undefined) {
        return { severity: 'refused', reason: `values "${other}" and "${k}" both become ${formatValue(v)}, so ${formatValue(v)} cannot tell which to write back`, fix: 'give every source value its own item value in `values`' };
      }
      seen.set(id, k);
    }
    if (s.default !== undefined) {
      return { severity: 'lossy', reason: `the \`default\` ${formatValue(s.default)} catches every unlisted value, which ${backOfDefault(s) === null ? 'has no way back (reverse sync refuses such items)' : `comes back as ${formatValue(backOfDefault(s))}`}`, fix: 'list every source value in `values` and drop `default`' };
    }
    return undefined;
  }
  if (s.default !== undefined && s.default !== null) {
    return { severity: 'lossy', reason: `the default ${formatValue(s.default)} makes an empty column and one holding ${formatValue(s.default)} look the same`, fix: 'drop `default` (an empty column then stays empty in the item)' };
  }
  if (s.as === 'number') {
    return { severity: 'refused', reason: '`as: number` rounds to a double, so the exact column value cannot be written back', fix: 'use `as: decimal` (exact text) or `as: integer`' };
  }
  return undefined;
}

/** What the inverse writes for a `values` default: the source value sending it, or nothing (the row is refused). */
function backOfDefault(s: FieldSpec): string | null {
  const id = valueId(s.default ?? null);
  return Object.entries(s.values ?? {}).find(([, v]) => valueId(v) === id)?.[0] ?? null;
}

/** Equal for values `values:` would send identically. */
function valueId(v: unknown): string {
  return v === null ? 'null' : `${typeof v}:${String(v)}`;
}

export interface InverseMapping {
  /** Source columns written back, key columns included, in map order. */
  readonly columns: string[];
  /** The legacy columns of an item; throws MappingError for a value that has no way back. */
  toRow(item: TargetItem): SourceRow;
  /** The legacy key of a service key (a deleted item has only its key). */
  keyOf(key: TargetKey): KeyTuple;
}

export interface InvertOptions {
  /** Entity name, for messages. */
  name?: string;
  /** Timestamps become `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) for MySQL, which refuses ISO 8601's `T…Z`. */
  dialect?: DialectName;
  /** For the UserError when the map cannot be inverted. */
  planFile?: string;
}

/** The inverse of the entity's map; throws UserError naming each entry that cannot be inverted (lossy ones are allowed). */
export function invertMapping(entity: Entity, options: InvertOptions = {}): InverseMapping {
  const name = options.name ?? '?';
  const problems = invertibility(entity).filter((p) => p.severity === 'refused');
  if (problems.length > 0) throw notInvertibleError(name, problems, options.planFile);
  const specs = fieldSpecs(entity, options.name).filter((s) => s.from !== undefined && s.const === undefined);
  const columns: string[] = [];
  const steps: { column: string; get: (item: TargetItem) => unknown; back: (v: unknown) => unknown; spec: FieldSpec }[] = [];
  for (const s of specs) {
    if (columns.includes(s.from!)) continue; // the first entry reading a column writes it back
    columns.push(s.from!);
    steps.push({ column: s.from!, get: compileGetter(s.target), back: inverseOf(s, options.dialect), spec: s });
  }
  const keyCols = entity.source.key;
  const keyStep = keyCols.map((c) => steps.find((st) => st.column === c)!);

  const failure = (s: FieldSpec, v: unknown, reason: string, key: KeyTuple) =>
    new MappingError(
      `field "${s.target}": ${s.sensitive ? 'the value (hidden: sensitive field)' : `value ${formatValue(v)}`} ${reason}`,
      s.target,
      key,
      `Fix the item in the service, or map.${s.target} in the plan, so the value has a way back to column ${s.from}.`,
    );

  const keyOf = (key: TargetKey): KeyTuple =>
    keyStep.map((st) => {
      const v = st.get(key);
      if (v === null || v === undefined) throw failure(st.spec, v, 'is empty, so the legacy row cannot be found', []);
      const back = st.back(v);
      return typeof back === 'number' || typeof back === 'string' ? back : String(back);
    });

  return {
    columns,
    keyOf,
    toRow(item) {
      const key = keyOf(item);
      const row: SourceRow = {};
      for (const st of steps) {
        const v = st.get(item);
        try {
          row[st.column] = v === undefined || v === null ? null : st.back(v);
        } catch (e) {
          throw failure(st.spec, v, (e as Error).message, key);
        }
      }
      return row;
    },
  };
}

function inverseOf(s: FieldSpec, dialect: DialectName | undefined): (v: unknown) => unknown {
  if (s.values !== undefined) {
    const back = new Map<string, string>();
    for (const [k, v] of Object.entries(s.values)) back.set(valueId(v), k);
    return (v) => {
      const k = back.get(valueId(v));
      if (k === undefined) throw new Error(`is not one of the values map.${s.target}.values sends (${Object.values(s.values!).map(formatValue).join(', ')})`);
      return k;
    };
  }
  switch (s.as) {
    case 'timestamp':
      return (v) => {
        if (typeof v !== 'string' || !ISO_UTC.test(v)) throw new Error('is not an ISO 8601 UTC timestamp (…T…Z)');
        return dialect === 'mysql' ? v.replace('T', ' ').replace(/Z$/, '') : v;
      };
    case 'json':
      // The column holds JSON text (or a JSON type the driver takes as text).
      return (v) => JSON.stringify(v);
    case 'boolean':
      return (v) => {
        if (typeof v !== 'boolean') throw new Error('is not a boolean');
        return v;
      };
    default:
      // No cast, string, integer, decimal: the database parses the JSON value into the column's type.
      return (v) => {
        if (typeof v === 'object') throw new Error('is an object or array, not a column value');
        return v;
      };
  }
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/** The error a cutover plan (or reverse sync) gets for a map that cannot be inverted. */
export function notInvertibleError(name: string, problems: readonly NotInvertible[], planFile?: string): UserError {
  const where = planFile ?? 'the plan';
  const list: Problem[] = problems.map((p) => ({ where: `${where}: entities.${name}`, path: p.field === 'transform' ? 'transform' : `map.${p.field}`, message: p.reason, hint: p.fix }));
  const first = problems[0]!;
  return new UserError(
    problems.length === 1
      ? `${where}: entities.${name}.${first.field === 'transform' ? 'transform' : `map.${first.field}`} cannot be inverted for reverse sync: ${first.reason}`
      : `${where}: entities.${name} has ${problems.length} map entries that cannot be inverted for reverse sync`,
    { problems: list, hint: problems.length === 1 ? `Fix: ${first.fix}.` : 'Fix each entry `migrate plan` lists; reverse sync writes service changes back through the inverted map.' },
  );
}
