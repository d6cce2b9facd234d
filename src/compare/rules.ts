/**
 * The verification comparator, compiled from bare comparison rules (no plan, no mapping engine, so
 * the consumer library can carry it): an expected item (a source row through the mapping) against the
 * item the service returned, field by field under the plan's verify rules. Rules are compiled into
 * a tree of target paths once; comparing walks the expected item only, so fields the service adds
 * on its own (createdAt, version, …) never count as differences.
 */
import { UserError, type Problem } from '../errors.js';
import type { Cast, FieldRule } from '../plan/schema.js';
import type { TargetItem } from '../service/types.js';
import { booleanEq, deepEqual, instantEq, isPlainObject, jsonEq, numericEq, parseIfOtherIsNot, stringEq, zoneOffset, type Eq } from './equality.js';
import { compileRedactor } from './redact.js';

export { REDACTED } from './redact.js';

export type CompareStatus = 'match' | 'missing' | 'different';

export interface CompareResult {
  status: CompareStatus;
  /** Dotted paths of the fields that differ (array elements share their array's path); empty unless different. */
  fields: string[];
}

export interface Comparator {
  /** Compares an expected item with what the service holds; `undefined`/`null` actual is missing. */
  compare(expected: TargetItem, actual: TargetItem | undefined | null): CompareResult;
  /** A copy of the item with every sensitive field's value replaced by '[redacted]'; never mutates. */
  redactItem(item: TargetItem): TargetItem;
  /** Target paths treated as sensitive (from the map and from verify rules). */
  readonly sensitiveFields: string[];
}

export interface ComparatorOptions {
  /** Entity name, for error locations. */
  name?: string;
}

interface Node {
  path: string;
  children?: Map<string, Node>;
  cast?: Cast;
  rule?: FieldRule;
  eq?: Eq;
  ignore: boolean;
  /** Built by the map's nested target paths: like the top level, fields only the service has are ignored. */
  structural: boolean;
  /** JSON-valued: text on one side is parsed before walking into it. */
  parse: boolean;
}

function newNode(path: string): Node {
  return { path, ignore: false, structural: false, parse: false };
}

function ensure(root: Node, path: string, structural: boolean): Node {
  let node = root;
  let prefix = '';
  for (const seg of path.split('.')) {
    prefix = prefix === '' ? seg : `${prefix}.${seg}`;
    node.children ??= new Map();
    let child = node.children.get(seg);
    if (child === undefined) {
      child = newNode(prefix);
      node.children.set(seg, child);
    }
    node = child;
  }
  // Mark the parents of a map-built leaf as structure; the leaf itself is data.
  if (structural) {
    let n = root;
    const segs = path.split('.');
    for (let i = 0; i < segs.length - 1; i++) {
      n = n.children!.get(segs[i]!)!;
      n.structural = true;
    }
  }
  return node;
}

// Which equality a field gets. Rules win over the cast; among rules: json, then time, then numbers, then strings.
function equalityFor(node: Node, zoneOf: (zone: string) => ReturnType<typeof zoneOffset>): Eq | undefined {
  const r = node.rule ?? {};
  const cast = node.cast;
  if (r.json === true) {
    node.parse = true;
    return jsonEq;
  }
  // `as: json` values arrive parsed on both sides: compared exactly, a string document never read as JSON text.
  if (cast === 'json' && r.tolerance === undefined) return deepEqual;
  if (r.timestampPrecision !== undefined || r.timeZone !== undefined || cast === 'timestamp') {
    return instantEq(r.timestampPrecision, r.timeZone === undefined ? undefined : zoneOf(r.timeZone));
  }
  if (r.tolerance !== undefined || cast === 'integer' || cast === 'number' || cast === 'decimal') return numericEq(r.tolerance);
  if (r.trim === true || r.caseInsensitive === true) return stringEq({ trim: r.trim === true, caseInsensitive: r.caseInsensitive === true });
  if (cast === 'boolean') return booleanEq;
  return undefined;
}

function pushOnce(out: string[], path: string): void {
  if (!out.includes(path)) out.push(path);
}

function diffValue(e: unknown, a: unknown, node: Node, out: string[]): void {
  if (node.ignore) return;
  if (node.children !== undefined) {
    if (node.parse) {
      const pe = parseIfOtherIsNot(e, a);
      a = parseIfOtherIsNot(a, e);
      e = pe;
    }
    if (isPlainObject(e) && isPlainObject(a)) {
      diffObject(e, a, node, node.structural, out);
      return;
    }
    if (Array.isArray(e) && Array.isArray(a)) {
      if (e.length !== a.length) {
        pushOnce(out, node.path);
        return;
      }
      for (let i = 0; i < e.length; i++) {
        const x = e[i];
        const y = a[i];
        if (isPlainObject(x) && isPlainObject(y)) diffObject(x, y, node, false, out);
        else if (!(node.eq ?? deepEqual)(x, y)) pushOnce(out, node.path);
      }
      return;
    }
  }
  if (!(node.eq ?? deepEqual)(e, a)) pushOnce(out, node.path);
}

function diffObject(e: Record<string, unknown>, a: Record<string, unknown>, node: Node, allowExtra: boolean, out: string[]): void {
  const children = node.children;
  const prefix = node.path === '' ? '' : `${node.path}.`;
  for (const k of Object.keys(e)) {
    const child = children?.get(k);
    if (child !== undefined) diffValue(e[k], a[k], child, out);
    else if (!deepEqual(e[k], a[k])) pushOnce(out, prefix + k);
  }
  if (allowExtra) return;
  for (const k of Object.keys(a)) {
    if (Object.prototype.hasOwnProperty.call(e, k) || a[k] === null || a[k] === undefined) continue;
    if (children?.get(k)?.ignore === true) continue;
    pushOnce(out, prefix + k);
  }
}

/** One mapped target field as the comparator sees it: its path, cast and whether it is secret. */
export interface RuleField {
  path: string;
  as?: Cast;
  sensitive?: boolean;
}

/** The comparison rules alone, without the map's sources: what a rule set exported to consumers holds. */
export interface ComparisonRules {
  fields: readonly RuleField[];
  ignore: readonly string[];
  rules: Readonly<Record<string, FieldRule>>;
}

/** Compiles bare comparison rules (see `compileComparator`, which derives them from a plan). */
export function compileRules(input: ComparisonRules, options: ComparatorOptions = {}): Comparator {
  const name = options.name;
  const root = newNode('');
  root.structural = true;
  for (const f of input.fields) {
    const node = ensure(root, f.path, true);
    if (f.as !== undefined) node.cast = f.as;
  }
  const sensitive = input.fields.filter((f) => f.sensitive === true).map((f) => f.path);
  for (const path of input.ignore) ensure(root, path, false).ignore = true;
  for (const [path, rule] of Object.entries(input.rules)) {
    const node = ensure(root, path, false);
    node.rule = rule;
    if (rule.ignore === true) node.ignore = true;
    if (rule.sensitive === true && !sensitive.includes(path)) sensitive.push(path);
  }

  const problems: Problem[] = [];
  const zones = new Map<string, ReturnType<typeof zoneOffset>>();
  const zoneOf = (zone: string): ReturnType<typeof zoneOffset> => {
    let z = zones.get(zone);
    if (z === undefined) {
      try {
        z = zoneOffset(zone);
      } catch {
        problems.push({
          where: name ? `entities.${name}` : 'plan',
          path: 'phases.verify.fields',
          message: `unknown time zone "${zone}"`,
          hint: 'Use an IANA zone such as "Europe/Berlin", "UTC", or a fixed offset such as "+02:00".',
        });
        z = () => 0;
      }
      zones.set(zone, z);
    }
    return z;
  };
  const visit = (node: Node): void => {
    const eq = equalityFor(node, zoneOf);
    if (eq !== undefined) node.eq = eq;
    node.children?.forEach(visit);
  };
  root.children?.forEach(visit);
  if (problems.length > 0) {
    throw new UserError('the verify phase has rules that cannot work', { problems, hint: 'Fix phases[].verify.fields in the plan file.' });
  }

  const redactItem = compileRedactor(sensitive);
  return {
    compare(expected, actual) {
      if (actual === undefined || actual === null) return { status: 'missing', fields: [] };
      const out: string[] = [];
      diffObject(expected, actual, root, true, out);
      return out.length === 0 ? { status: 'match', fields: out } : { status: 'different', fields: out };
    },
    redactItem,
    sensitiveFields: sensitive,
  };
}
