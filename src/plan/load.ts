/**
 * Reads a plan file: YAML with positions, `${VAR}` interpolation, zod shape check, meaning check.
 * Every problem of a stage is collected before one UserError lists them all.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, isMap, isSeq, parseDocument, type Document } from 'yaml';
import { UserError, type Problem } from '../errors.js';
import { interpolateDocument } from './interpolate.js';
import { MAX_DEPTH, MAX_PLAN_BYTES, structureProblems, tooLargeProblem } from './limits.js';
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
    text = await readBounded(absolute, display);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `plan file ${display} does not exist` : `cannot read plan file ${display} (${code ?? (e as Error).message})`, {
      hint: 'pass an existing file with --plan <file>, or set MIGRATE_PLAN',
    });
  }
  return { file: absolute, display, ...validate(text, display, env) };
}

/**
 * The file's text, refused without reading further once it passes MAX_PLAN_BYTES (a FIFO or a
 * device never ends, so the size on disk alone cannot be trusted).
 */
async function readBounded(file: string, display: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new UserError(`plan file ${display} is not a regular file`, { hint: 'pass the path of a plan file (.yaml) with --plan <file>, or set MIGRATE_PLAN' });
    }
    if (info.size > MAX_PLAN_BYTES) fail(display, [tooLargeProblem(display, info.size)]);
    const buffer = Buffer.alloc(MAX_PLAN_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_PLAN_BYTES) fail(display, [tooLargeProblem(display, length)]);
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}

/** Validates plan text as if read from `display`; the work behind `loadPlanFile`, usable without a file. */
export function parsePlan(text: string, display: string, env: NodeJS.ProcessEnv): Plan {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_PLAN_BYTES) fail(display, [tooLargeProblem(display, bytes)]);
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
        ...syntaxProblem(e.message),
      })),
    );
  }
  if (doc.contents === null || isScalarNull(doc.contents)) {
    fail(display, [{ where: `${display}:1:1`, message: 'the plan file is empty', hint: 'start from one of the sample plans in plans/ (see docs/plan-file.md)' }]);
  }

  // Before anything walks the tree or expands aliases: an alias bomb or a deep nest stops here.
  const structure = structureProblems(doc, positions);
  if (structure.length > 0) fail(display, structure);

  const problems: Problem[] = duplicateKeys(doc, positions);
  const interpolation = interpolateDocument(doc, text, env, positions);
  problems.push(...interpolation.problems);

  // Aliases were bounded above (MAX_ALIAS_NODES), so yaml's own, coarser count is not needed.
  const parsed = planSchema.safeParse(doc.toJS({ maxAliasCount: -1 }), { reportInput: true });
  if (!parsed.success) problems.push(...shapeProblems(parsed.error, planSchema, positions, interpolation.unresolved));
  if (problems.length > 0 || !parsed.success) fail(display, problems);

  const meaning = checkMeaning(parsed.data, positions.locate);
  if (meaning.length > 0) fail(display, meaning);
  return { plan: parsed.data, locate: positions.locate };
}

function isScalarNull(node: unknown): boolean {
  return typeof node === 'object' && node !== null && 'value' in node && (node as { value: unknown }).value === null;
}

/** A yaml parse error as a problem; the parser's stack running out means nesting far too deep. */
function syntaxProblem(message: string): { message: string; hint: string } {
  if (message.includes('Maximum call stack size exceeded')) {
    return { message: `nesting deeper than ${MAX_DEPTH} levels`, hint: 'a plan is at most a few levels deep; this is not a plan file' };
  }
  return {
    message: `YAML syntax error: ${message.split(/ at line \d+, column \d+/)[0]!.trim()}`,
    hint: 'check the indentation and quoting on this line and the one before it',
  };
}

function fail(display: string, problems: readonly Problem[]): never {
  // File order, by the line and column each problem names (stable: ties keep the order found).
  const sorted = problems.map((p) => ({ p, at: lineAndColumn(p.where) })).sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1]);
  const clean = sorted.map(({ p }): Problem => {
    const { offset: _offset, ...rest } = p as PositionedProblem;
    return rest;
  });
  const n = clean.length;
  throw new UserError(`${display} has ${n} problem${n === 1 ? '' : 's'}`, { problems: clean, hint: DOCS_HINT });
}

/** Line and column of a `file:line:col` (0, 0 for a problem without a position). */
function lineAndColumn(where: string): [number, number] {
  const m = /:(\d+):(\d+)$/.exec(where);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

/** YAML lets a key repeat (the last one wins silently); in a plan that is always a mistake. */
function duplicateKeys(doc: Document, positions: PlanPositions): Problem[] {
  const out: Problem[] = [];
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
