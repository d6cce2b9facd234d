/**
 * Generators of plan files for property tests of the loader (fast-check): the sample and fixture
 * plans mutated line by line, character by character and field by field, and random YAML. Shared
 * by the in-process property test and the subprocess exit-code test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');

function yamlFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => readFileSync(path.join(ROOT, dir, f), 'utf8'));
}

/** Valid plans first (the richest seeds), then every invalid fixture. */
export const SEED_PLANS: readonly string[] = [...yamlFiles('plans'), ...yamlFiles('test/fixtures/plans/valid'), ...yamlFiles('test/fixtures/plans/invalid')];
const VALID_SEEDS = [...yamlFiles('plans'), ...yamlFiles('test/fixtures/plans/valid')];
const SEED_LINES = [...new Set(SEED_PLANS.flatMap((p) => p.split('\n')))];

/** Text that means something to YAML, to the plan's interpolation or to a URL. */
const INTERESTING = [
  ':', ': ', '- ', '-', '[', ']', '{', '}', ',', '&a ', '*a', '&a', '!', '!!str ', '!!binary ', '!!js/function ', '!!set ', '|', '>', "'", '"', '#', '%YAML 1.1\n',
  '---\n', '...\n', '? ', '<<: *a', '\t', '\n', '\r\n', '\0', '\u2028', '\uFEFF', '${', '${X}', '${X:-', '$${X}', '${A:-${B}}', '..', '/../', '%2e%2e/', '\\',
  '~', 'null', 'true', 'NaN', '.inf', '-.inf', '0x1F', '1e309', '-0', '99999999999999999999', '1_000', '0o17', '2026-12-01T00:00:00Z', '@', '`',
  'é', '🙂', 'a'.repeat(300), '{key}', 'http://', 'postgres://u:p@h/d', '&x [*x]',
];

const token = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INTERESTING) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
);

type Edit =
  | { kind: 'deleteLine' | 'duplicateLine'; at: number }
  | { kind: 'swapLines'; at: number; other: number }
  | { kind: 'indent'; at: number; by: number }
  | { kind: 'graftLine'; at: number; line: string }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'replace'; at: number; length: number; text: string };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constantFrom('deleteLine' as const, 'duplicateLine' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swapLines' as const), at: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ kind: fc.constant('graftLine' as const), at: fc.nat(), line: fc.constantFrom(...SEED_LINES) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: token }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), length: fc.nat({ max: 24 }), text: token }),
);

function applyEdit(text: string, e: Edit): string {
  const lines = text.split('\n');
  const i = e.at % Math.max(1, lines.length);
  switch (e.kind) {
    case 'deleteLine':
      lines.splice(i, 1);
      return lines.join('\n');
    case 'duplicateLine':
      lines.splice(i, 0, lines[i] ?? '');
      return lines.join('\n');
    case 'swapLines': {
      const j = e.other % lines.length;
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join('\n');
    }
    case 'indent':
      lines[i] = e.by >= 0 ? ' '.repeat(e.by) + lines[i] : lines[i]!.replace(new RegExp(`^ {0,${-e.by}}`), '');
      return lines.join('\n');
    case 'graftLine':
      lines.splice(i, 0, e.line);
      return lines.join('\n');
    case 'insert': {
      const at = e.at % (text.length + 1);
      return text.slice(0, at) + e.text + text.slice(at);
    }
    case 'replace': {
      const at = e.at % (text.length + 1);
      return text.slice(0, at) + e.text + text.slice(at + e.length);
    }
  }
}

/** Edits that leave a plan meaning the same: a comment or blank line between lines, trailing spaces. */
const neutralEdit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('graftLine' as const), at: fc.nat(), line: fc.constantFrom('# a comment', '', '   ', '#') }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.constant(Number.MAX_SAFE_INTEGER), text: fc.constantFrom('\n', '\n# end\n', '  \n') }),
);

/**
 * A seed plan with one to six textual edits. One case in five is a valid seed with only neutral
 * edits: random edits alone leave about 4 plans in 1,200 valid, so a run could go by without the
 * property ever seeing the loader accept an edited plan.
 */
export const editedPlan: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...SEED_PLANS), fc.array(edit, { minLength: 1, maxLength: 6 })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...VALID_SEEDS), fc.array(neutralEdit, { minLength: 1, maxLength: 3 })) },
).map(([seed, edits]) => edits.reduce(applyEdit, seed));

/** Values a field may be given in place of the right one. */
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, 0, -1, 1.5, 1e309, '', 'x', 'a'.repeat(200), true, [], {}, ['x'], { x: 1 }, '/../x', '${UNSET}', 'e'.repeat(10_000), '10s', '0/s', 'legacy', 'new', { new: 150 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

type FieldEdit = { route: number[]; op: 'set' | 'delete' | 'addKey'; value: unknown; key: string };

/** Follows `route` (indices into keys or items) from the root; returns the container and key it ends at. */
function locateField(root: unknown, route: number[]): { parent: Record<string, unknown> | unknown[]; key: string | number } | undefined {
  let parent: unknown = undefined;
  let key: string | number | undefined;
  let node = root;
  for (const step of route) {
    if (Array.isArray(node) && node.length > 0) {
      parent = node;
      key = step % node.length;
      node = node[key];
    } else if (node && typeof node === 'object' && Object.keys(node).length > 0) {
      const keys = Object.keys(node);
      parent = node;
      key = keys[step % keys.length]!;
      node = (node as Record<string, unknown>)[key];
    } else break;
  }
  return parent === undefined || key === undefined ? undefined : { parent: parent as Record<string, unknown>, key };
}

function applyFieldEdit(doc: unknown, e: FieldEdit): void {
  const at = locateField(doc, e.route);
  if (!at) return;
  const { parent, key } = at;
  if (e.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  } else if (e.op === 'addKey' && !Array.isArray(parent)) {
    parent[e.key] = e.value;
  } else {
    (parent as Record<string | number, unknown>)[key] = e.value;
  }
}

const PARSED_SEEDS = VALID_SEEDS.map((text) => parse(text) as unknown);

/** A valid seed with one field replaced, removed or added, written back as YAML: reaches the shape and meaning checks. */
export const fieldEditedPlan: fc.Arbitrary<string> = fc
  .tuple(
    fc.nat({ max: PARSED_SEEDS.length - 1 }),
    fc.array(
      fc.record({ route: fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 9 }), op: fc.constantFrom('set' as const, 'delete' as const, 'addKey' as const), value: fieldValue, key: fc.constantFrom('batchSze', 'flag', 'extra', 'path', 'x') }),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([seed, edits]) => {
    const doc = structuredClone(PARSED_SEEDS[seed]);
    for (const e of edits) applyFieldEdit(doc, e);
    return stringify(doc);
  });

/** YAML written from random JSON-like values, and raw random text. */
export const randomYaml: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => stringify(v)),
  fc.dictionary(fc.constantFrom('version', 'name', 'state', 'temporal', 'sources', 'targets', 'entities', 'x'), fc.jsonValue({ maxDepth: 4 })).map((v) => stringify(v)),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.array(fc.constantFrom(...INTERESTING, ...SEED_LINES.slice(0, 80)), { maxLength: 40 }).map((parts) => parts.join('')),
);

/** The environment a plan is loaded with: the variables the samples use, unset, empty, odd or multi-line. */
export const planEnv: fc.Arbitrary<Record<string, string>> = fc
  .record(
    {
      MIGRATE_STATE_URL: fc.constantFrom('postgres://u:p@127.0.0.1/s', 'mysql://x', 'nonsense', ''),
      FULFILLMENT_URL: fc.constantFrom('http://127.0.0.1:8787/api', 'http://h\n', 'ftp://x', ''),
      FULFILLMENT_TOKEN: fc.oneof(fc.constantFrom('tok\n', 'line1\r\nline2', ''), fc.string({ maxLength: 12 })),
      LEGACY_DATABASE_URL: fc.constantFrom('postgres://u:p%ZZ@h/d', 'postgres://h/d'),
      X: fc.string({ maxLength: 6 }),
    },
    { requiredKeys: [] },
  )
  .map((env) => Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>);
