/**
 * How large a plan may be, and the structural checks that keep a hostile or generated file from
 * exhausting memory, the stack or the clock before validation can say what is wrong with it.
 * Every limit is far above what a hand-written plan needs (docs/plan-file.md, "Limits").
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { PositionedProblem } from './shape.js';
import type { PlanPositions } from './positions.js';

/** Bytes. Parsing YAML with positions costs ~150 bytes of memory per byte of text; 1 MiB holds ~3,000 entities. */
export const MAX_PLAN_BYTES = 1024 * 1024;
/** Nodes that aliases (`*name`) may add in total once expanded: anchors are for sharing a block, not for multiplying one. */
export const MAX_ALIAS_NODES = 50_000;
/** Levels of nesting; the deepest field of a plan sits at level 9. */
export const MAX_DEPTH = 64;

/**
 * Name lengths, chosen to fit every place a name is used: the state store's columns (plan and entity
 * are `varchar(100)` on MySQL), Temporal workflow ids (`migrate/<plan>/<entity>/verify/<run>`, limit
 * 1,000 bytes) and the flag store's primary key (`varchar(191)`, holding `<plan>/<flag>`).
 */
export const MAX_NAME_LENGTH = 63;
/** A SQL identifier: PostgreSQL truncates at 63 bytes, MySQL refuses more than 64. */
export const MAX_IDENTIFIER_LENGTH = 63;
/** A flag name; with the plan name and a separator it fits the flag store's 191-character key. */
export const MAX_FLAG_LENGTH = 127;

/**
 * Alias expansion and nesting depth, checked on the parsed document before anything converts it
 * to plain values (which is where an alias bomb would explode). One problem per kind, at the node
 * where the limit is crossed. Linear in the document: each node is sized once.
 */
export function structureProblems(doc: Document, positions: PlanPositions): PositionedProblem[] {
  const problems: PositionedProblem[] = [];
  const sizes = new Map<unknown, number>();
  let aliasNodes = 0;
  let aliasReported = false;
  let depthReported = false;

  const at = (node: unknown): number => {
    const range = (node as Node | null)?.range;
    return range ? range[0] : 0;
  };

  // Expanded size of a node: what it becomes when every alias inside it is copied in place.
  const sizeOf = (node: unknown, depth: number): number => {
    if (depth > MAX_DEPTH) {
      if (!depthReported) {
        depthReported = true;
        const offset = at(node);
        problems.push({ where: positions.at(offset), message: `nesting deeper than ${MAX_DEPTH} levels`, hint: 'a plan is at most a few levels deep; this is not a plan file', offset });
      }
      return 1;
    }
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (target === undefined) {
        const offset = at(node);
        problems.push({ where: positions.at(offset), message: `alias *${node.source} names no anchor (&${node.source}) before it`, hint: `define &${node.source} on an earlier value, or write the value out`, offset });
        return 1;
      }
      const size = sizes.get(target) ?? sizeOf(target, depth);
      aliasNodes += size;
      if (aliasNodes > MAX_ALIAS_NODES && !aliasReported) {
        aliasReported = true;
        const offset = at(node);
        problems.push({
          where: positions.at(offset),
          message: `aliases expand to more than ${MAX_ALIAS_NODES.toLocaleString('en-US')} values (alias *${node.source})`,
          hint: 'write the repeated parts out, or share fewer and smaller blocks with anchors',
          offset,
        });
      }
      return size;
    }
    if (sizes.has(node)) return sizes.get(node)!;
    let size = 1;
    if (isMap(node) || isSeq(node)) {
      // Marks the node while it is being sized, so an alias back into it counts once instead of looping.
      sizes.set(node, 1);
      for (const item of node.items as unknown[]) {
        if (isPair(item)) {
          size += sizeOf(item.key, depth + 1) + sizeOf(item.value, depth + 1);
        } else size += sizeOf(item, depth + 1);
        if (aliasReported) break;
      }
    } else if (!isScalar(node)) {
      return 1;
    }
    sizes.set(node, size);
    return size;
  };
  sizeOf(doc.contents, 0);
  return problems;
}

/** A plan file over MAX_PLAN_BYTES, refused before it is read. */
export function tooLargeProblem(display: string, bytes: number): PositionedProblem {
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return {
    where: `${display}:1:1`,
    message: `the plan file is ${mib(bytes)}; plans are limited to ${mib(MAX_PLAN_BYTES)}`,
    hint: 'check that this is the plan you meant; split a migration this large into several plans',
    offset: 0,
  };
}
