/**
 * The plan's meaning, once its shape is right: references resolve, names are unique, dependencies
 * have no cycle, cutover stages move reads before writes. Collects every problem; throws nothing.
 */
import type { Problem } from '../errors.js';
import { parseDuration, parseRate } from './units.js';
import { isRestTarget, type CutoverPhase, type Entity, type MapField, type Plan, type Stage } from './schema.js';
import { formatPath, type Locate, type PlanPath } from './positions.js';
import { closest } from './suggest.js';
import { KEY_PLACEHOLDER } from '../service/keyPath.js';
import { requestUrl } from '../service/requestUrl.js';
import { compileExpression, ExpressionError } from '../mapping/compute.js';
import { invertibility } from '../mapping/invert.js';

const PHASE_ORDER = ['backfill', 'sync', 'verify', 'cutover'] as const;
type PhaseKind = (typeof PHASE_ORDER)[number];

/** Without a file, problems point at the plan itself. */
const nowhere: Locate = () => 'plan';

/** Every meaning problem of a shape-valid plan, positioned with `locate`. */
export function checkMeaning(plan: Plan, locate: Locate = nowhere): Problem[] {
  const problems: Problem[] = [];
  const add = (path: PlanPath, message: string, hint?: string, part: 'key' | 'value' = 'value') => {
    const p: Problem = { where: locate(path, part), path: formatPath(path), message };
    if (hint) p.hint = hint;
    problems.push(p);
  };

  checkUnits(plan, add);
  const entityNames = Object.keys(plan.entities);
  const flagOwners = new Map<string, string>();
  const suggest = suggester();
  for (const [name, entity] of Object.entries(plan.entities)) {
    const at: PlanPath = ['entities', name];
    checkReferences(plan, name, entity, at, entityNames, add, suggest);
    checkMap(entity, at, add, suggest);
    checkRestProfile(entity, at, add);
    checkPaths(plan, entity, at, add);
    checkPhases(entity, at, add);
    entity.phases.forEach((phase, i) => {
      if ('backfill' in phase) {
        const owner = flagOwners.get(phase.backfill.flag);
        if (owner !== undefined) {
          add([...at, 'phases', i, 'backfill', 'flag'], `flag "${phase.backfill.flag}" is already the backfill flag of entity "${owner}"`, `give each entity its own flag, e.g. ${name}.backfill — one flag must stop one backfill`);
        } else flagOwners.set(phase.backfill.flag, name);
      }
      if ('sync' in phase) {
        const owner = flagOwners.get(phase.sync.flag);
        if (owner !== undefined) {
          add([...at, 'phases', i, 'sync', 'flag'], `flag "${phase.sync.flag}" already controls another phase (of entity "${owner}")`, `give the sync its own flag, e.g. ${name}.sync — pausing sync must not pause a backfill`);
        } else flagOwners.set(phase.sync.flag, name);
        if (phase.sync.capture === 'updatedAt' && entity.source.updatedAt === undefined) {
          add([...at, 'phases', i, 'sync', 'capture'], 'capture: updatedAt reads rows by their last-change column, but source.updatedAt is not set', `name that column in entities.${name}.source.updatedAt (e.g. \`updatedAt: updated_at\`), or use \`capture: triggers\``, 'value');
        }
        if (phase.sync.capture === 'triggers' && !('rest' in entity.target) && !entity.target.delete) {
          add([...at, 'target'], 'sync captures deletes, but the target has no delete endpoint, so rows deleted in the legacy would stay in the service', 'add `delete: { method: POST, path: /v1/<items>:batchDelete, batch: 500 }` (or a DELETE path with {key}) to the target', 'key');
        }
      }
      if ('cutover' in phase) {
        checkCutover(phase.cutover, [...at, 'phases', i, 'cutover'], add);
        checkReversible(entity, phase.cutover, at, add);
      }
    });
  }
  for (const cycle of findCycles(plan)) {
    add(['entities', cycle[0]!, 'dependsOn'], `dependsOn forms a cycle: ${[...cycle, cycle[0]].join(' → ')}`, 'an entity cannot wait for itself; remove one of these dependencies');
  }
  return problems;
}

type Add = (path: PlanPath, message: string, hint?: string, part?: 'key' | 'value') => void;

function checkUnits(plan: Plan, add: Add): void {
  for (const [name, t] of Object.entries(plan.targets)) {
    if (!positive(parseDuration(t.timeout))) add(['targets', name, 'timeout'], `expected a duration above zero, got "${t.timeout}"`);
    if (t.rateLimit !== undefined && !positive(parseRate(t.rateLimit))) add(['targets', name, 'rateLimit'], `expected a rate above zero, got "${t.rateLimit}"`, 'omit rateLimit for no limit');
  }
  for (const [name, e] of Object.entries(plan.entities)) {
    if (parseDuration(e.failures.retention) === undefined) add(['entities', name, 'failures', 'retention'], `expected a duration, got "${e.failures.retention}"`);
    e.phases.forEach((phase, i) => {
      if ('sync' in phase) {
        for (const f of ['poll', 'maxLag'] as const) {
          if (!positive(parseDuration(phase.sync[f]))) add(['entities', name, 'phases', i, 'sync', f], `expected a duration above zero, got "${phase.sync[f]}"`);
        }
        if (parseDuration(phase.sync.overlap) === undefined) add(['entities', name, 'phases', i, 'sync', 'overlap'], `expected a duration, got "${phase.sync.overlap}"`, 'e.g. 5s: longer than the longest write transaction plus the writers\' clock skew');
      }
      if ('verify' in phase && parseDuration(phase.verify.recheckAfter) === undefined) add(['entities', name, 'phases', i, 'verify', 'recheckAfter'], `expected a duration, got "${phase.verify.recheckAfter}"`);
      if ('cutover' in phase) {
        phase.cutover.stages.forEach((s, j) => {
          if (s.gate.bake !== undefined && parseDuration(s.gate.bake) === undefined) add(['entities', name, 'phases', i, 'cutover', 'stages', j, 'gate', 'bake'], `expected a duration, got "${s.gate.bake}"`);
        });
      }
    });
  }
}

/**
 * Every request path of the entity stays under its service's base URL once normalised as fetch
 * does: `/v1/../../admin/reset-log` would otherwise send even `plan --check`'s probe elsewhere.
 */
function checkPaths(plan: Plan, entity: Entity, at: PlanPath, add: Add): void {
  const service = plan.targets[entity.target.service];
  if (!service) return;
  const visit = (value: unknown, path: PlanPath): void => {
    if (typeof value !== 'object' || value === null) return;
    for (const [k, v] of Object.entries(value)) {
      if (k === 'path' && typeof v === 'string' && v.startsWith('/')) {
        const r = requestUrl(service.baseUrl, v.split(KEY_PLACEHOLDER).join('k'));
        if (!r.ok) {
          add([...path, k], `path "${v.slice(0, 200)}" leaves targets.${entity.target.service}.baseUrl: it resolves to ${r.resolved.slice(0, 200)}`, 'write the path under the base URL without ".." segments that climb out of it');
        }
      } else visit(v, [...path, k]);
    }
  };
  visit(entity.target, [...at, 'target']);
}

function positive(n: number | undefined): boolean {
  return n !== undefined && n > 0;
}

function checkReferences(plan: Plan, name: string, entity: Entity, at: PlanPath, entityNames: string[], add: Add, suggest: Suggest): void {
  const sources = Object.keys(plan.sources);
  const targets = Object.keys(plan.targets);
  if (!plan.sources[entity.source.db]) {
    add([...at, 'source', 'db'], `source "${entity.source.db}" is not defined in sources`, suggest(entity.source.db, sources, 'sources'));
  }
  if (!plan.targets[entity.target.service]) {
    add([...at, 'target', 'service'], `target "${entity.target.service}" is not defined in targets`, suggest(entity.target.service, targets, 'targets'));
  }
  const seen = new Set<string>();
  entity.dependsOn.forEach((dep, i) => {
    const path = [...at, 'dependsOn', i];
    if (dep === name) add(path, `entity "${name}" depends on itself`, 'remove it from its own dependsOn');
    else if (!plan.entities[dep]) add(path, `dependsOn names "${dep}", which is not an entity of this plan`, suggest(dep, entityNames, 'entities', name));
    else if (seen.has(dep)) add(path, `"${dep}" is listed twice in dependsOn`);
    seen.add(dep);
  });
  const keySeen = new Set<string>();
  entity.source.key.forEach((col, i) => {
    if (keySeen.has(col)) add([...at, 'source', 'key', i], `key column "${col}" is listed twice`);
    keySeen.add(col);
  });
}

/** Candidates listed in a hint at most; a longer list would be repeated in every such problem. */
const MAX_LISTED = 10;

/** Problems that get a "did you mean": enough for every problem printed, few enough that thousands of problems among thousands of names stay fast. */
const MAX_SUGGESTIONS = 200;

type Suggest = (input: string, candidates: string[], section: string, exclude?: string) => string;

/** A `suggestion` that stops looking for close names after MAX_SUGGESTIONS problems. */
function suggester(): Suggest {
  let left = MAX_SUGGESTIONS;
  // The filter is linear too, so it is spent from the same budget.
  return (input, candidates, section, exclude) => {
    if (left-- <= 0) return suggestion(input, candidates, section, false);
    return suggestion(input, exclude === undefined ? candidates : candidates.filter((c) => c !== exclude), section);
  };
}

function suggestion(input: string, candidates: string[], section: string, lookForTypo = true): string {
  const c = lookForTypo ? closest(input, candidates) : undefined;
  if (c) return `did you mean "${c}"?`;
  if (candidates.length > MAX_LISTED) return `see the names defined under ${section}:`;
  return candidates.length ? `defined ${section}: ${candidates.join(', ')}` : `define it under ${section}:`;
}

/** The source column a mapped field reads, or undefined for constants. */
export function sourceColumnOf(field: string, spec: MapField): string | undefined {
  if (typeof spec === 'string') return spec;
  if (spec.from !== undefined) return spec.from;
  // Without `from`, a plain field reads the column of its own name (as src/mapping does).
  return spec.const === undefined && spec.compute === undefined && !field.includes('.') ? field : undefined;
}

/** The columns a computed field's rule reads; none for a rule that cannot compile (reported by checkMeaning). */
export function computedColumns(rule: unknown): string[] {
  try {
    return compileExpression(rule).columns;
  } catch {
    return [];
  }
}

/** A target field path with its dotted segments trimmed: `customer . id` and `customer.id` are one field. */
export function normaliseFieldPath(field: string): string {
  return field.split('.').map((s) => s.trim()).join('.');
}

function checkMap(entity: Entity, at: PlanPath, add: Add, suggest: Suggest): void {
  const byNormal = new Map<string, string>();
  for (const [field, spec] of Object.entries(entity.map)) {
    const path = [...at, 'map', field];
    const normal = normaliseFieldPath(field);
    if (normal.split('.').some((s) => s === '')) {
      add(path, `target field "${field}" is not a valid field path`, 'nested fields are written as dotted names such as "address.city", without empty parts', 'key');
      continue;
    }
    const previous = byNormal.get(normal);
    if (previous !== undefined) {
      add(path, `target field "${normal}" is mapped twice (also as "${previous}")`, 'map each target field once', 'key');
      continue;
    }
    byNormal.set(normal, field);
    if (typeof spec === 'object') {
      if (spec.compute !== undefined) {
        if (spec.from !== undefined || spec.values !== undefined || spec.const !== undefined) {
          add(path, `target field "${field}" is computed and also has ${spec.from !== undefined ? '`from`' : spec.values !== undefined ? '`values`' : '`const`'}`, 'read columns inside the rule with { var: <column> }; `as` and `default` may stay', 'key');
        } else {
          try {
            compileExpression(spec.compute);
          } catch (e) {
            if (!(e instanceof ExpressionError)) throw e;
            add([...path, 'compute'], `the rule ${e.message}`, 'write a JsonLogic rule such as { cat: [{ var: film_id }, "-", { var: store_id }] }');
          }
        }
      } else if (spec.const !== undefined && (spec.from !== undefined || spec.values !== undefined || spec.default !== undefined)) {
        add(path, `target field "${field}" is a constant and also reads a column`, 'keep `const` alone, or drop it to read a column with `from`', 'key');
      } else if (spec.const === undefined && spec.from === undefined && normal.includes('.')) {
        add(path, `nested target field "${field}" needs \`from\` (the source column)`, `write { from: <column> } for "${field}"`, 'key');
      }
    }
  }
  const normals = [...byNormal.keys()];
  for (const n of normals) {
    // The shortest mapped prefix, looked up part by part (a map can hold thousands of fields).
    const parts = n.split('.');
    let parent: string | undefined;
    for (let i = 1; i < parts.length && parent === undefined; i++) {
      const prefix = parts.slice(0, i).join('.');
      if (byNormal.has(prefix)) parent = prefix;
    }
    if (parent !== undefined) {
      add([...at, 'map', byNormal.get(n)!], `target field "${n}" is nested inside "${parent}", which is mapped to a value`, `map either "${parent}" or the fields inside it, not both`, 'key');
    }
  }
  const targetKey = entity.target.key;
  if (targetKey) {
    targetKey.forEach((k, i) => {
      if (!byNormal.has(normaliseFieldPath(k))) add([...at, 'target', 'key', i], `target key field "${k}" is not a mapped field`, suggest(k, normals, 'mapped fields'));
    });
  } else {
    const mappedColumns = new Set(Object.entries(entity.map).map(([f, s]) => sourceColumnOf(f, s)));
    entity.source.key.forEach((col, i) => {
      if (!mappedColumns.has(col)) {
        add([...at, 'source', 'key', i], `key column "${col}" is not mapped, so items in the target cannot be matched to rows`, `map it (e.g. ${col}: ${col}) or name the target's key fields in target.key`);
      }
    });
  }
}

/** A REST profile whose parts cannot work together: a pattern that does not compile, a 5xx read as "exists" on status alone, a list with no way to page. */
function checkRestProfile(entity: Entity, at: PlanPath, add: Add): void {
  if (!isRestTarget(entity.target)) return;
  const rest = entity.target.rest;
  const here: PlanPath = [...at, 'target', 'rest'];
  if (rest.exists.bodyPattern !== undefined) {
    try {
      new RegExp(rest.exists.bodyPattern);
    } catch (e) {
      add([...here, 'exists', 'bodyPattern'], `not a valid regular expression: ${(e as Error).message}`, 'write a JavaScript regular expression, e.g. "duplicate id|already exists"');
    }
  } else {
    const server = rest.exists.status.filter((s) => s >= 500);
    if (server.length > 0) {
      add([...here, 'exists', 'status'], `HTTP ${server.join(', ')} is read as "already exists" on its status alone, but a failing service answers it too`, 'add exists.bodyPattern, a regular expression matching only the body of a duplicate (e.g. "duplicate id")');
    }
  }
  const list = rest.list;
  if (list) {
    if (list.pageParam !== undefined && list.cursorParam !== undefined) {
      add([...here, 'list'], 'list has both pageParam and cursorParam', 'keep pageParam for services paging by number, or cursorParam with nextCursor for cursors', 'key');
    } else if (list.cursorParam !== undefined && list.nextCursor === undefined) {
      add([...here, 'list', 'cursorParam'], 'list pages by cursor but does not say where the next cursor is in the answer', 'add list.nextCursor, the path of the next cursor in the answer (e.g. "meta.next")', 'key');
    } else if (list.pageParam === undefined && list.cursorParam === undefined) {
      add([...here, 'list'], 'list has neither pageParam nor cursorParam, so only its first page could be read', 'add pageParam (e.g. "_page") or cursorParam with nextCursor', 'key');
    }
  }
  const keyFields = entity.target.key ?? entity.source.key;
  if (rest.readMany && keyFields.length > 1) {
    add([...here, 'readMany'], `readMany asks by one key field, but the target key has ${keyFields.length} (${keyFields.join(', ')})`, 'compute a one-field key in map: (e.g. id: { compute: { cat: [{ var: a }, "-", { var: b }] } }) and set target.key: [id], or remove readMany', 'key');
  }
}

function checkPhases(entity: Entity, at: PlanPath, add: Add): void {
  const firstAt = new Map<PhaseKind, number>();
  let highest = -1;
  let highestKind: PhaseKind | undefined;
  entity.phases.forEach((phase, i) => {
    const kind = PHASE_ORDER.find((k) => k in phase)!;
    const path = [...at, 'phases', i, kind];
    if (firstAt.has(kind)) {
      add(path, `a second ${kind} phase (the first is phases[${firstAt.get(kind)}])`, 'each entity has at most one phase of each kind', 'key');
      return;
    }
    firstAt.set(kind, i);
    const rank = PHASE_ORDER.indexOf(kind);
    if (rank < highest) {
      add(path, `${kind} comes after ${highestKind}; phases run in the order backfill → sync → verify → cutover`, `move ${kind} before ${highestKind}`, 'key');
    } else {
      highest = rank;
      highestKind = kind;
    }
  });
}

function isMove(r: Stage['reads']): boolean {
  return r !== undefined && r !== 'legacy';
}

function checkCutover(cutover: CutoverPhase, at: PlanPath, add: Add): void {
  const all = cutover.consumers;
  const consumerSeen = new Set<string>();
  all.forEach((c, i) => {
    if (consumerSeen.has(c)) add([...at, 'consumers', i], `consumer "${c}" is listed twice`);
    consumerSeen.add(c);
  });
  const stageSeen = new Map<string, number>();
  // Where each consumer's reads are routed, stage by stage: writes may move only once all read from new.
  const readsOf = new Map<string, Stage['reads']>(all.map((c) => [c, 'legacy']));
  let writesStage: string | undefined;
  cutover.stages.forEach((stage, j) => {
    const path = [...at, 'stages', j];
    const dup = stageSeen.get(stage.name);
    if (dup !== undefined) add([...path, 'name'], `stage "${stage.name}" is defined twice (also stages[${dup}])`, 'stage names identify stages in approvals and rollbacks; make them unique');
    else stageSeen.set(stage.name, j);
    (stage.consumers ?? []).forEach((c, k) => {
      if (!consumerSeen.has(c)) add([...path, 'consumers', k], `consumer "${c}" is not one of the cutover's consumers (${all.join(', ')})`, closest(c, all) ? `did you mean "${closest(c, all)}"?` : `add it to cutover.consumers`);
    });
    if (stage.reads !== undefined && writesStage !== undefined) {
      add([...path, 'reads'], `stage "${stage.name}" moves reads after stage "${writesStage}" switched writes`, `move stage "${stage.name}" before "${writesStage}": reads switch first, then writes`, 'key');
    }
    if (stage.writes !== undefined && stage.writes !== 'legacy' && stage.writes !== 'new') {
      add([...path, 'writes'], `stage "${stage.name}" routes writes ${typeof stage.writes === 'object' ? `to ${stage.writes.new}% of keys on new` : `"${stage.writes}"`}`, 'writes move as a whole: use "writes: new" (the write switch); exactly one side accepts writes at any moment');
    }
    if (isMove(stage.writes) && writesStage === undefined) {
      const behind = [...readsOf].filter(([, r]) => r !== 'new').map(([c]) => c);
      if (stage.reads !== undefined || behind.length > 0) {
        const why = stage.reads !== undefined ? 'in the same stage that moves reads' : `before every consumer reads from new (still not: ${behind.join(', ')})`;
        add([...path, 'writes'], `stage "${stage.name}" switches writes ${why}`, 'add a stage with "reads: new" for every consumer before the writes stage; writes never switch before reads', 'key');
      }
      writesStage = stage.name;
    }
    if (stage.reads !== undefined) for (const c of stage.consumers ?? all) if (readsOf.has(c)) readsOf.set(c, stage.reads);
  });
}

/**
 * Once writes move to the service, reverse sync carries its changes back through the inverted map,
 * so a cutover that switches writes needs a map with an inverse. (The change feed it reads is
 * checked when reverse sync starts and by the write switch's preconditions, not here.)
 */
function checkReversible(entity: Entity, cutover: CutoverPhase, at: PlanPath, add: Add): void {
  const j = cutover.stages.findIndex((s) => isMove(s.writes));
  if (j < 0) return;
  const stage = cutover.stages[j]!.name;
  for (const p of invertibility(entity).filter((x) => x.severity === 'refused')) {
    const path: PlanPath = p.field === 'transform' ? [...at, 'transform'] : [...at, 'map', p.field];
    add(path, `stage "${stage}" switches writes, so reverse sync must carry service changes back, but this entry cannot be inverted: ${p.reason}`, p.fix, 'key');
  }
}

/** Each distinct dependency cycle once, as the entity names along it. */
function findCycles(plan: Plan): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'active');
    stack.push(n);
    for (const d of plan.entities[n]?.dependsOn ?? []) {
      if (!plan.entities[d] || d === n) continue;
      if (state.get(d) === 'active') {
        const cycle = stack.slice(stack.indexOf(d));
        const id = [...cycle].sort().join('|');
        if (!seen.has(id)) {
          seen.add(id);
          cycles.push(cycle);
        }
      } else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of Object.keys(plan.entities)) if (!state.has(n)) visit(n);
  return cycles;
}

/**
 * Entity names so that every entity comes after those it depends on; plan order breaks ties (of
 * the entities ready, the first in the plan goes next). Kahn's algorithm over a heap of plan
 * positions: n log n, for plans of thousands of entities.
 */
export function topologicalOrder(plan: Pick<Plan, 'entities'>): string[] {
  const names = Object.keys(plan.entities);
  const index = new Map(names.map((n, i) => [n, i]));
  const waitingOn = names.map(() => 0);
  const dependents: number[][] = names.map(() => []);
  names.forEach((n, i) => {
    for (const d of new Set(plan.entities[n]!.dependsOn ?? [])) {
      const j = index.get(d);
      if (j === undefined || j === i) continue;
      waitingOn[i]!++;
      dependents[j]!.push(i);
    }
  });
  const ready = new MinHeap();
  waitingOn.forEach((w, i) => w === 0 && ready.push(i));
  const placed = names.map(() => false);
  const order: string[] = [];
  let nextUnplaced = 0;
  while (order.length < names.length) {
    let i = ready.pop();
    if (i === undefined) {
      // A cycle (only in an unchecked plan) must not hang: take the first unplaced in plan order.
      while (placed[nextUnplaced]) nextUnplaced++;
      i = nextUnplaced;
    }
    if (placed[i]) continue;
    placed[i] = true;
    order.push(names[i]!);
    for (const k of dependents[i]!) if (--waitingOn[k]! === 0 && !placed[k]) ready.push(k);
  }
  return order;
}

/** A binary min-heap of plan positions. */
class MinHeap {
  private readonly items: number[] = [];

  push(n: number): void {
    const a = this.items;
    a.push(n);
    for (let i = a.length - 1; i > 0; ) {
      const up = (i - 1) >> 1;
      if (a[up]! <= a[i]!) break;
      [a[up], a[i]] = [a[i]!, a[up]!];
      i = up;
    }
  }

  pop(): number | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]! < a[m]!) m = l;
        if (r < a.length && a[r]! < a[m]!) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}
