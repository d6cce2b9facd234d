/**
 * Maps plan paths (`['entities', 'orders', 'source', 'key']`) back to `file:line:column` through
 * the YAML document's node ranges, so every problem points at the text the user has to change.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';

export type PlanPath = readonly (string | number)[];

/** Where a problem points: the key of a field (`batchSze:`) or its value. */
export type Part = 'key' | 'value';

/** Turns plan paths into `file:line:column`. */
export type Locate = (path: PlanPath, part?: Part) => string;

const MAX_SHOWN_KEY = 80;

/** `entities.orders.phases[2].cutover`, quoting keys that are not plain words. */
export function formatPath(path: PlanPath): string {
  let out = '';
  for (const whole of path) {
    // A key of thousands of characters is shown by its start and length, not repeated in full.
    const seg = typeof whole === 'string' && whole.length > MAX_SHOWN_KEY ? `${whole.slice(0, MAX_SHOWN_KEY - 20)}…(${whole.length} characters)` : whole;
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Key text of a map pair, whatever the key's scalar type (`1:` and `"1":` both read "1"). */
export function pairKey(pair: Pair): string | undefined {
  const k = pair.key;
  if (isScalar(k)) return String(k.value);
  if (k === null || k === undefined) return undefined;
  return typeof k === 'object' ? undefined : String(k);
}

/** Positions inside one parsed plan file. */
export class PlanPositions {
  private readonly pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

  constructor(
    readonly display: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** `file:line:column` of a byte offset in the source. */
  at(offset: number): string {
    const { line, col } = this.lines.linePos(offset);
    return `${this.display}:${line}:${col}`;
  }

  /** Offset of the deepest node along `path` (its key or its value); 0 for the document start. */
  offsetOf(path: PlanPath, part: Part = 'value'): number {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      if (isAlias(node)) node = node.resolve(this.doc);
      let next: unknown;
      if (isMap(node)) {
        const pair = this.pairOf(node, String(seg));
        if (!pair) break;
        next = pair.value;
        const isLast = i === path.length - 1;
        // The key is what to point at when asked for it, and when the value is empty (`key:`).
        const keyStart = rangeStart(pair.key);
        const valueStart = rangeStart(next);
        offset = (isLast && part === 'key') || valueStart === undefined ? (keyStart ?? offset) : valueStart;
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
        if (next === undefined) break;
        offset = rangeStart(next) ?? offset;
      } else {
        break;
      }
      node = next;
    }
    return offset;
  }

  /** The first pair of `map` with key `key`; maps are indexed on first use, so locating many problems stays linear. */
  private pairOf(map: YAMLMap, key: string): Pair | undefined {
    let index = this.pairIndex.get(map);
    if (!index) {
      index = new Map();
      for (const pair of map.items as Pair[]) {
        const k = pairKey(pair);
        if (k !== undefined && !index.has(k)) index.set(k, pair);
      }
      this.pairIndex.set(map, index);
    }
    return index.get(key);
  }

  /** `file:line:column` of the deepest node along `path`. */
  where(path: PlanPath, part: Part = 'value'): string {
    return this.at(this.offsetOf(path, part));
  }

  /** A `Locate` function bound to this file. */
  get locate(): Locate {
    return (path, part) => this.where(path, part);
  }
}

function rangeStart(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const r = (node as Node).range;
    if (r) return r[0];
  }
  if (isPair(node)) return rangeStart(node.key);
  return undefined;
}
