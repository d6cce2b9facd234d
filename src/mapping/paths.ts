/**
 * Dotted target paths (`customer.id`) compiled once into setters and getters, so mapping a row
 * never splits strings.
 */

export type Setter = (item: Record<string, unknown>, value: unknown) => void;
export type Getter = (item: Record<string, unknown>) => unknown;

/** Segments of a dotted path; throws on empty segments and on names that would reach a prototype. */
export function splitPath(path: string): string[] {
  const parts = path.split('.');
  for (const p of parts) {
    if (p === '') throw new Error(`"${path}" has an empty segment`);
    if (p === '__proto__' || p === 'prototype' || p === 'constructor') throw new Error(`"${path}" uses the reserved name "${p}"`);
  }
  return parts;
}

/** A setter that creates the intermediate objects of a nested path as needed. */
export function compileSetter(path: string): Setter {
  const parts = splitPath(path);
  if (parts.length === 1) {
    const k = parts[0]!;
    return (item, value) => {
      item[k] = value;
    };
  }
  const last = parts[parts.length - 1]!;
  const parents = parts.slice(0, -1);
  return (item, value) => {
    let o = item;
    for (const p of parents) {
      let next = o[p];
      if (typeof next !== 'object' || next === null) {
        next = {};
        o[p] = next;
      }
      o = next as Record<string, unknown>;
    }
    o[last] = value;
  };
}

/** A getter that answers undefined when any step of the path is missing or not an object. */
export function compileGetter(path: string): Getter {
  const parts = splitPath(path);
  if (parts.length === 1) {
    const k = parts[0]!;
    return (item) => item[k];
  }
  return (item) => {
    let o: unknown = item;
    for (const p of parts) {
      if (typeof o !== 'object' || o === null) return undefined;
      o = (o as Record<string, unknown>)[p];
    }
    return o;
  };
}
