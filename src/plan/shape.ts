/**
 * zod issues → Problems a person can act on: positioned at the YAML text, phrased as
 * "expected …, got …", with the closest valid key or value as a hint for typos.
 */
import type { z } from 'zod';
import type { Problem } from '../errors.js';
import { redactValue } from './interpolate.js';
import { formatPath, type PlanPath, type PlanPositions } from './positions.js';
import { closest } from './suggest.js';

/** The parts of a zod 4 issue this module reads (all codes share one loose shape). */
interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  input?: unknown;
  keys?: string[];
  errors?: Issue[][];
  issues?: Issue[];
  expected?: string;
  values?: unknown[];
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  origin?: string;
}

/** A problem with the offset it points at, so problems can be listed in file order. */
export interface PositionedProblem extends Problem {
  offset: number;
}

/** Problems for every issue of a failed `safeParse`, skipping issues under `skip` paths. */
export function shapeProblems(
  error: z.ZodError,
  schema: z.ZodType,
  positions: PlanPositions,
  skip: readonly PlanPath[] = [],
): PositionedProblem[] {
  const out: PositionedProblem[] = [];
  const seen = new Set<string>();
  // A set of the skipped paths, so each problem costs its own depth, not the number of skipped paths.
  const skipped = new Set(skip.map((s) => s.map(String).join('\u0000')));
  const isSkipped = (p: PlanPath) => {
    for (let n = 0; n <= p.length; n++) if (skipped.has(p.slice(0, n).map(String).join('\u0000'))) return true;
    return false;
  };
  const emit: Emit = (p, part, message, hint, reported = p) => {
    if (skipped.size > 0 && isSkipped(p)) return;
    const offset = positions.offsetOf(p, part);
    const problem: PositionedProblem = { where: positions.at(offset), message, offset };
    if (reported.length > 0) problem.path = formatPath(reported);
    if (hint) problem.hint = hint;
    const id = `${problem.where}|${problem.path}|${message}`;
    if (!seen.has(id)) {
      seen.add(id);
      out.push(problem);
    }
  };
  const issues = error.issues as unknown as Issue[];
  // "unknown field entites — did you mean entities?" already says what "missing entities" would.
  const typoed = new Set<string>();
  for (const i of issues) {
    if (i.code !== 'unrecognized_keys') continue;
    const allowed = keysAt(schema, i.path as PlanPath);
    for (const k of i.keys ?? []) {
      const c = closest(k, allowed);
      if (c) typoed.add(formatPath([...(i.path as PlanPath), c]));
    }
  }
  for (const issue of issues) {
    if (issue.code === 'invalid_type' && issue.input === undefined && typoed.has(formatPath(issue.path as PlanPath))) continue;
    handle(issue, [], schema, emit);
  }
  return out;
}

/** Reports a problem at `path`; `reported` is the field path shown, when it differs (a missing field is shown but not in the file). */
type Emit = (path: PlanPath, part: 'key' | 'value', message: string, hint?: string, reported?: PlanPath) => void;

function handle(issue: Issue, base: PlanPath, root: z.ZodType, emit: Emit): void {
  const path: PlanPath = [...base, ...(issue.path as (string | number)[])];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = keysAt(root, path);
      for (const key of issue.keys ?? []) {
        const suggestion = closest(key, allowed);
        emit(
          [...path, key],
          'key',
          suggestion ? `unknown field "${key}" — did you mean "${suggestion}"?` : `unknown field "${key}"`,
          allowed.length ? `fields allowed here: ${allowed.join(', ')}` : undefined,
        );
      }
      return;
    }
    case 'invalid_type': {
      if (issue.input === undefined) {
        const field = path[path.length - 1];
        const parent = path.slice(0, -1);
        emit(parent, parent.length ? 'key' : 'value', `missing required field "${String(field)}" (${describeExpected(issue)})`, fieldHint(path), path);
      } else {
        emit(path, 'value', `expected ${describeExpected(issue)}, got ${show(issue.input)}`);
      }
      return;
    }
    case 'invalid_value': {
      const values = issue.values ?? [];
      const options = values.map((v) => JSON.stringify(v));
      const expected = values.length === 1 ? options[0]! : `one of ${options.join(', ')}`;
      const suggestion = typeof issue.input === 'string' ? closest(issue.input, values.filter((v): v is string => typeof v === 'string')) : undefined;
      const hint = suggestion ? `did you mean "${suggestion}"?` : path.length === 1 && path[0] === 'version' ? 'this version of migrate reads plan files of version 1' : undefined;
      emit(path, 'value', `expected ${expected}, got ${show(issue.input)}`, hint);
      return;
    }
    case 'invalid_key': {
      const inner = issue.issues?.[0];
      const what = inner && !isDefaultMessage(inner.message) ? inner.message : 'a valid name';
      emit(path, 'key', `invalid name ${show(issue.input)}: expected ${what}`);
      return;
    }
    case 'invalid_union':
      handleUnion(issue, path, root, emit);
      return;
    case 'too_small':
    case 'too_big':
      emit(path, 'value', `expected ${boundsMessage(issue)}, got ${show(issue.input)}`);
      return;
    case 'invalid_format':
      emit(path, 'value', `expected ${isDefaultMessage(issue.message) ? 'a string in the right format' : issue.message}, got ${show(issue.input)}`);
      return;
    default:
      emit(path, 'value', isDefaultMessage(issue.message) ? issue.message.toLowerCase() : `expected ${issue.message}`);
  }
}

/**
 * A union failed: report the branch the input was evidently meant for (no problem at the union's
 * own level), or, when none fits, one problem naming what the union accepts.
 */
function handleUnion(issue: Issue, path: PlanPath, root: z.ZodType, emit: Emit): void {
  const branches = issue.errors ?? [];
  const fitting = branches.filter((b) => b.every((i) => !atRoot(i)));
  if (fitting.length > 0) {
    const best = fitting.reduce((a, b) => (b.length < a.length ? b : a));
    for (const i of best) handle(i, path, root, emit);
    return;
  }
  // Every branch is an object refusing some of the input's keys (phases: one key per kind).
  if (branches.length > 0 && branches.every((b) => b.some((i) => i.code === 'unrecognized_keys' && i.path.length === 0))) {
    const variants = keysAt(root, path);
    const unknown = intersect(branches.map((b) => b.filter((i) => i.code === 'unrecognized_keys' && i.path.length === 0).flatMap((i) => i.keys ?? [])));
    if (unknown.length > 0) {
      for (const key of unknown) {
        const suggestion = closest(key, variants);
        emit([...path, key], 'key', suggestion ? `unknown field "${key}" — did you mean "${suggestion}"?` : `unknown field "${key}"`, `expected exactly one of ${variants.join(', ')}`);
      }
      return;
    }
    const present = isPlainObject(issue.input) ? Object.keys(issue.input) : [];
    emit(path, 'value', `expected exactly one of ${variants.join(', ')} per item, got ${present.join(', ')}`, 'write each as its own list item ("- backfill: …", "- verify: …")');
    return;
  }
  const expectations = unique(branches.flatMap((b) => b.filter(atRoot).map((i) => (i.code === 'invalid_value' ? `one of ${(i.values ?? []).map((v) => JSON.stringify(v)).join(', ')}` : describeExpected(i)))));
  const strings = branches.flatMap((b) => b.filter((i) => i.code === 'invalid_value').flatMap((i) => (i.values ?? []).filter((v): v is string => typeof v === 'string')));
  const suggestion = typeof issue.input === 'string' ? closest(issue.input, strings) : undefined;
  emit(path, 'value', `expected ${expectations.join(' or ')}, got ${show(issue.input)}`, suggestion ? `did you mean "${suggestion}"?` : undefined);
}

function atRoot(i: Issue): boolean {
  return i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value' || i.code === 'unrecognized_keys');
}

function describeExpected(issue: Issue): string {
  switch (issue.expected) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'object':
    case 'record':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'null':
      return 'null';
    default:
      return issue.expected ? `a value of type ${issue.expected}` : 'a value';
  }
}

function boundsMessage(issue: Issue): string {
  if (!isDefaultMessage(issue.message)) return issue.message;
  const small = issue.code === 'too_small';
  const n = Number(small ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'array':
      return small ? `at least ${n} item${n === 1 ? '' : 's'}` : `at most ${n} item${n === 1 ? '' : 's'}`;
    case 'string':
      return small ? (n === 1 ? 'a non-empty string' : `at least ${n} characters`) : `at most ${n} characters`;
    default:
      return small ? (inclusive ? `a number ≥ ${n}` : `a number > ${n}`) : inclusive ? `a number ≤ ${n}` : `a number < ${n}`;
  }
}

function fieldHint(path: PlanPath): string | undefined {
  const field = path[path.length - 1];
  if (field === 'flag') return 'every backfill runs behind a feature flag, e.g. flag: orders.backfill';
  if (field === 'key') return 'list the column(s) that identify a row, e.g. key: [id]';
  return undefined;
}

/** zod's own messages start like this; ours (in schema.ts) are noun phrases. */
function isDefaultMessage(message: string): boolean {
  return /^(Invalid|Too (small|big)|Unrecognized|Expected)/.test(message);
}

/** A value echoed in a message: short, and with credentials and registered secrets masked. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') {
    const s = redactValue(value);
    return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function intersect(sets: string[][]): string[] {
  if (sets.length === 0) return [];
  return sets[0]!.filter((k) => sets.every((s) => s.includes(k)));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---- walking the schema, to know which keys are valid at a path ----

interface Def {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function unwrap(schema: z.ZodType): z.ZodType[] {
  const def = defOf(schema);
  if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'readonly' || def.type === 'prefault') && def.innerType) return unwrap(def.innerType);
  if (def.type === 'pipe' && def.in) return unwrap(def.in);
  if (def.type === 'union' && def.options) return def.options.flatMap(unwrap);
  return [schema];
}

/** The schemas that could apply at `path` (several where a union leaves it open). */
function schemasAt(schema: z.ZodType, path: PlanPath): z.ZodType[] {
  let current = unwrap(schema);
  for (const seg of path) {
    const next: z.ZodType[] = [];
    for (const s of current) {
      const def = defOf(s);
      if (def.type === 'object' && def.shape && typeof seg === 'string' && def.shape[seg]) next.push(...unwrap(def.shape[seg]));
      else if (def.type === 'record' && def.valueType) next.push(...unwrap(def.valueType));
      else if (def.type === 'array' && def.element && typeof seg === 'number') next.push(...unwrap(def.element));
    }
    current = next;
  }
  return current;
}

/** Every field name an object at `path` may have. */
export function keysAt(schema: z.ZodType, path: PlanPath): string[] {
  return unique(schemasAt(schema, path).flatMap((s) => {
    const def = defOf(s);
    return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
  }));
}
