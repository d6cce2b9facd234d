/**
 * Computed map fields (`map.<field>: { compute: <rule> }`): a JsonLogic rule over the row's columns,
 * evaluated by json-logic-js — an interpreter, no `eval` or `Function` — and the same rule language
 * as the flagd targeting of the routing documents. Rules are checked when the plan is compiled:
 * only the operations listed below, literal column names, no path into an object's prototype.
 * Why this library and not another: docs/mapping-and-comparison.md ("Computed fields").
 */
import jsonLogic from 'json-logic-js';
import { jsonSafe } from './casts.js';

/** json-logic-js's own operations that a map may use (`log` prints, so it is left out). */
const BUILT_IN = [
  'var', 'missing', 'missing_some', 'if', '?:', '==', '===', '!=', '!==', '!', '!!', 'or', 'and',
  '>', '>=', '<', '<=', 'max', 'min', '+', '-', '*', '/', '%', 'cat', 'substr', 'in', 'merge',
  'map', 'filter', 'reduce', 'all', 'some', 'none',
];

/** Operations Tracer adds: what legacy columns need and JsonLogic lacks. */
const ADDED: Record<string, (...args: unknown[]) => unknown> = {
  /** A delimited string (a MySQL SET such as "Trailers,Commentaries") → its parts; "" → []; null stays null. */
  split: (text: unknown, separator: unknown = ',') => {
    if (text === null || text === undefined) return null;
    const s = String(text);
    return s === '' ? [] : s.split(String(separator));
  },
  /** A list's items joined by a separator (default ","). */
  join: (list: unknown, separator: unknown = ',') => (Array.isArray(list) ? list.map((v) => (v === null || v === undefined ? '' : String(v))).join(String(separator)) : list),
  lower: (text: unknown) => (typeof text === 'string' ? text.toLowerCase() : text),
  upper: (text: unknown) => (typeof text === 'string' ? text.toUpperCase() : text),
  trim: (text: unknown) => (typeof text === 'string' ? text.trim() : text),
};

for (const [name, fn] of Object.entries(ADDED)) jsonLogic.add_operation(name, fn);

export const COMPUTE_OPERATIONS: readonly string[] = [...BUILT_IN, ...Object.keys(ADDED)];
const ALLOWED = new Set(COMPUTE_OPERATIONS);
/** Operations whose second argument (and reduce's) runs per list item, where `var` names the item, not a column. */
const PER_ITEM = new Set(['map', 'filter', 'reduce', 'all', 'some', 'none']);
const RESERVED = new Set(['__proto__', 'prototype', 'constructor']);

export interface CompiledExpression {
  /** Source columns the rule reads, in first-use order. */
  readonly columns: string[];
  /** The rule's value for a row (its columns made JSON-safe first: dates as ISO text, bigints by the integer rule). */
  evaluate(row: Record<string, unknown>): unknown;
}

/** Why a rule cannot be used; the message says where in the rule. */
export class ExpressionError extends Error {}

/**
 * Checks `rule` and compiles it; throws ExpressionError naming the first problem. `prepare` turns a
 * column's value into what the rule sees (default: made JSON-safe).
 */
export function compileExpression(rule: unknown, prepare: (value: unknown) => unknown = jsonSafe): CompiledExpression {
  const columns: string[] = [];
  walk(rule, 'row', columns, 'compute');
  return {
    columns,
    evaluate(row) {
      const data: Record<string, unknown> = {};
      for (const c of columns) data[c] = prepare(row[c]);
      return jsonLogic.apply(rule as never, data);
    },
  };
}

function walk(node: unknown, scope: 'row' | 'item', columns: string[], at: string): void {
  if (Array.isArray(node)) {
    node.forEach((n, i) => walk(n, scope, columns, `${at}[${i}]`));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const keys = Object.keys(node);
  if (keys.length !== 1) {
    throw new ExpressionError(`${at} is an object with ${keys.length} keys; a rule object has exactly one, its operation (e.g. { cat: [...] })`);
  }
  const op = keys[0]!;
  if (!ALLOWED.has(op)) throw new ExpressionError(`${at} uses the unknown operation "${op}"; operations: ${COMPUTE_OPERATIONS.join(', ')}`);
  const raw = (node as Record<string, unknown>)[op];
  const args = Array.isArray(raw) ? raw : [raw];
  if (op === 'var') {
    const name = args[0];
    if (typeof name !== 'string' && typeof name !== 'number') throw new ExpressionError(`${at}.var must name a column literally (a string), not compute it`);
    const path = String(name);
    for (const seg of path.split('.')) if (RESERVED.has(seg)) throw new ExpressionError(`${at}.var uses the reserved name "${seg}"`);
    if (scope === 'row') {
      if (path === '') throw new ExpressionError(`${at}.var needs a column name ("" would read the whole row)`);
      const column = path.split('.')[0]!;
      if (!columns.includes(column)) columns.push(column);
    }
    if (args.length > 1) walk(args[1], scope, columns, `${at}.var[1]`);
    return;
  }
  args.forEach((a, i) => walk(a, PER_ITEM.has(op) && i > 0 ? 'item' : scope, columns, `${at}.${op}[${i}]`));
}
