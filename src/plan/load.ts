/**
 * Reads a plan file: YAML with positions, `${VAR}` interpolation, zod shape check, meaning check.
 * Every problem of a stage is collected before one UserError lists them all.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, isMap, isSeq, parseDocument, type Document } from 'yaml';
import { UserError, type Problem } from '../errors.js';
import { interpolateDocument } from './interpolate.js';
import { checkMeaning } from './meaning.js';
import { formatPath, pairKey, PlanPositions, type Locate, type PlanPath } from './positions.js';
import { planSchema, type Plan } from './schema.js';
import { shapeProblems, type PositionedProblem } from './shape.js';

/** A validated plan and where it came from. */
export interface LoadedPlan {
  /** Absolute path of the plan file. */
  file: string;
  /** The path as the user gave it (relative to the working directory when inside it), for messages. */
  display: string;
  plan: Plan;
  /** `file:line:column` of a plan path, for problems found later (preflight). */
  locate: Locate;
}

const DOCS_HINT = 'docs/plan-file.md describes every field; run `migrate plan` again once they are fixed.';

/** Loads and validates a plan; throws UserError listing every problem (file:line:column) when it is not valid. */
export async function loadPlanFile(file: string, env: NodeJS.ProcessEnv): Promise<LoadedPlan> {
  const absolute = path.resolve(file);
  const display = displayPath(absolute);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `plan file ${display} does not exist` : `cannot read plan file ${display} (${code ?? (e as Error).message})`, {
      hint: 'pass an existing file with --plan <file>, or set MIGRATE_PLAN',
    });
  }
  return { file: absolute, display, ...validate(text, display, env) };
}

/** Validates plan text as if read from `display`; the work behind `loadPlanFile`, usable without a file. */
export function parsePlan(text: string, display: string, env: NodeJS.ProcessEnv): Plan {
  return validate(text, display, env).plan;
}

function validate(text: string, display: string, env: NodeJS.ProcessEnv): { plan: Plan; locate: Locate } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: true });
  const positions = new PlanPositions(display, doc, lines);

  if (doc.errors.length > 0) {
    fail(
      display,
      doc.errors.map((e) => ({
        where: positions.at(e.pos[0]),
        message: `YAML syntax error: ${e.message.split(/ at line \d+, column \d+/)[0]!.trim()}`,
        hint: 'check the indentation and quoting on this line and the one before it',
        offset: e.pos[0],
      })),
    );
  }
  if (doc.contents === null || isScalarNull(doc.contents)) {
    fail(display, [{ where: `${display}:1:1`, message: 'the plan file is empty', hint: 'start from one of the sample plans in plans/ (see docs/plan-file.md)', offset: 0 }]);
  }

  const problems: PositionedProblem[] = duplicateKeys(doc, positions);
  const interpolation = interpolateDocument(doc, text, env, positions);
  problems.push(...interpolation.problems.map((p) => ({ ...p, offset: offsetFromWhere(p.where, text) })));

  const parsed = planSchema.safeParse(doc.toJS({ maxAliasCount: 1000 }), { reportInput: true });
  if (!parsed.success) problems.push(...shapeProblems(parsed.error, planSchema, positions, interpolation.unresolved));
  if (problems.length > 0 || !parsed.success) fail(display, problems);

  const meaning = checkMeaning(parsed.data, positions.locate);
  if (meaning.length > 0) fail(display, meaning.map((p) => ({ ...p, offset: offsetFromWhere(p.where, text) })));
  return { plan: parsed.data, locate: positions.locate };
}

function isScalarNull(node: unknown): boolean {
  return typeof node === 'object' && node !== null && 'value' in node && (node as { value: unknown }).value === null;
}

function fail(display: string, problems: PositionedProblem[]): never {
  const sorted = [...problems].sort((a, b) => a.offset - b.offset).map(({ offset: _offset, ...p }): Problem => p);
  const n = sorted.length;
  throw new UserError(`${display} has ${n} problem${n === 1 ? '' : 's'}`, { problems: sorted, hint: DOCS_HINT });
}

/** Recovers the offset of a `file:line:col` (for sorting problems found after positions were rendered). */
function offsetFromWhere(where: string, text: string): number {
  const m = /:(\d+):(\d+)$/.exec(where);
  if (!m) return 0;
  const line = Number(m[1]);
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) break;
    offset = nl + 1;
  }
  return offset + Number(m[2]) - 1;
}

/** YAML lets a key repeat (the last one wins silently); in a plan that is always a mistake. */
function duplicateKeys(doc: Document, positions: PlanPositions): PositionedProblem[] {
  const out: PositionedProblem[] = [];
  const walk = (node: unknown, at: PlanPath) => {
    if (isMap(node)) {
      const first = new Map<string, number>();
      for (const pair of node.items) {
        const key = pairKey(pair);
        if (key === undefined) continue;
        const keyOffset = (pair.key as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
        const seenAt = first.get(key);
        if (seenAt !== undefined) {
          const firstLine = positions.at(seenAt).split(':').slice(-2, -1)[0];
          out.push({
            where: positions.at(keyOffset),
            path: formatPath([...at, key]),
            message: `${duplicateWhat(at, key)} (first at line ${firstLine})`,
            hint: 'remove or rename one of them; YAML would silently keep only the last',
            offset: keyOffset,
          });
        } else first.set(key, keyOffset);
        walk(pair.value, [...at, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...at, i]));
    }
  };
  walk(doc.contents, []);
  return out;
}

function duplicateWhat(at: PlanPath, key: string): string {
  if (at.length === 1 && at[0] === 'entities') return `entity "${key}" is defined twice`;
  if (at.length === 1 && at[0] === 'sources') return `source "${key}" is defined twice`;
  if (at.length === 1 && at[0] === 'targets') return `target "${key}" is defined twice`;
  if (at.length === 3 && at[0] === 'entities' && at[2] === 'map') return `target field "${key}" is mapped twice`;
  return `field "${key}" appears twice`;
}

function displayPath(absolute: string): string {
  const rel = path.relative(process.cwd(), absolute);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : absolute;
}
