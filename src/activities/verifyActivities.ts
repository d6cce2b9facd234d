/**
 * Activities of a verification run after its sweep: catch-up of rows written during the sweep,
 * re-check rounds, extras through the service's list endpoint, the report, and repair. Like the
 * sweep's, each resolves everything from the worker's own plan; inputs carry names only.
 * Long scans are chunked (`maxMs`, cursor in, cursor out) so no activity runs unbounded.
 */
import { forDisplay } from '../values/json.js';
import type { VerificationSummary } from '../progress.js';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { compileComparator, type Comparator } from '../compare/index.js';
import { hasListEndpoint, phaseOf, type Entity, type VerifyPhase } from '../plan/schema.js';
import { durationMs } from '../plan/units.js';
import type { KeyTuple, SourceDb, SourceRow } from '../sources/types.js';
import type { StateStore, VerifyEntry } from '../state/types.js';
import { compareRows, createCompareVisitor, instantMs, sampleByKey, type CompareDeps } from '../sweep/compare.js';
import { entityCopyVisitor, readForRePush } from './rePush.js';
import type { Visitor } from '../sweep/engine.js';
import type { TargetItem, TargetKey } from '../service/types.js';
import { isLosslessNumber } from '../values/json.js';
import { jsonSafe, type Mapping } from '../mapping/index.js';
import { verifyPhaseSchema } from '../plan/schema.js';
import { writesSwitched } from '../flags/writesSwitched.js';
import type { VerifyRunOptions } from '../workflows/definitions.js';
import type { PlanResources } from '../resources/planResources.js';
import type { SweepRef, VisitorFactory } from './sweepActivities.js';
import { assertWorkerPlan } from './failureMapping.js';
import { summaryOf, type VerificationReport, type ReportSample } from '../verification/verificationReport.js';

export { summaryOf, type ReportSample, type VerificationReport } from '../verification/verificationReport.js';

/** Who the worker acts as in the audit log. */
const WORKER_ACTOR = 'migrate-worker';
/**
 * Catch-up scans look back this far before the instant they cover from: the source's clock (which
 * stamps updatedAt) and the worker's may disagree. Looking back re-compares a few more rows, which
 * costs little; looking too late would miss a write.
 */
export const CLOCK_SKEW_MS = 30_000;
/** Rows per page of catch-up scans, re-checks, extras and repair. */
const PAGE = 500;

export interface VerifyRef {
  plan: string;
  entity: string;
  /** Checkpoint and queue namespace: `verify/<run>`. */
  runKey: string;
  run: string;
  options: VerifyRunOptions;
}

export interface ScanChunkInput extends VerifyRef {
  cursor?: KeyTuple;
  maxMs: number;
}

export interface ScanChunkResult {
  cursor?: KeyTuple;
  done: boolean;
  /** Rows looked at in this chunk. */
  seen: number;
  /** Rows queued (catch-up) or found (extras) in this chunk. */
  found: number;
}

export interface RecheckInput extends VerifyRef {
  /** Queue cursor (opaque, from the store). */
  after?: string;
  last: boolean;
  maxMs: number;
}

export interface RecheckResult {
  after?: string;
  done: boolean;
  resolved: number;
  stillDifferent: number;
}

export interface ReportInput extends VerifyRef {
  workflowId: string;
  startedAt: number;
  sweepEndedAt: number;
  compared: number;
  rounds: number;
  extrasChecked: boolean;
  extrasNote?: string;
  repairOf?: string;
}

export interface RepairResult {
  attempted: number;
  repaired: number;
  stillDifferent: number;
  failures: number;
  /** Keys gone from the source since the verification: nothing to re-push. */
  goneFromSource: number;
  /** Items the legacy lacks, deleted from the service. */
  deleted: number;
}

function verifyPhase(e: Entity): VerifyPhase {
  return phaseOf(e, 'verify') ?? verifyPhaseSchema.parse({});
}

/** Items per page of the extras pass's listing (the benchmark's baseline lists with the same size). */
export function extrasPageSize(e: Entity): number {
  return verifyPhase(e).batchSize ?? PAGE;
}

/** The compare visitor of a sweep: what `SweepActivityDeps.compareVisitor` is set to. */
export const compareVisitorFactory: VisitorFactory = async (res: PlanResources, ref: SweepRef): Promise<Visitor> => {
  const e = res.entity(ref.entity);
  const store = await res.stateStore();
  const ctx = verifyContext(res, ref.entity, await res.source(e.source.db));
  const updatedAt = e.source.updatedAt;
  return createCompareVisitor({
    ...ctx.deps,
    ...(updatedAt ? { updatedAtMs: (row: SourceRow) => instantMs(row[updatedAt]) } : {}),
    ...(ref.verify?.startedAt !== undefined ? { inflightSince: ref.verify.startedAt - CLOCK_SKEW_MS } : {}),
    queue: (entries) => store.saveVerifyEntries(ref.plan, ref.entity, ref.runKey, entries),
  });
};

/** Comparators are compiled once per entity per worker, like mappings. */
const comparators = new WeakMap<PlanResources, Map<string, Comparator>>();

function comparatorOf(res: PlanResources, entity: string): Comparator {
  let m = comparators.get(res);
  if (!m) comparators.set(res, (m = new Map()));
  let c = m.get(entity);
  if (!c) {
    const e = res.entity(entity);
    c = compileComparator(e, verifyPhase(e), { name: entity });
    m.set(entity, c);
  }
  return c;
}

function verifyContext(res: PlanResources, entity: string, source: Awaited<ReturnType<PlanResources['source']>>) {
  const e = res.entity(entity);
  const comparator = comparatorOf(res, entity);
  const deps: CompareDeps = {
    mapper: res.mapping(entity),
    comparator,
    target: res.target(entity),
    keyOf: (row) => source.keyOf(e.source, row),
    acquire: (n) => res.acquire(entity, n),
  };
  return { e, comparator, deps, source };
}

export function createVerifyActivities(deps: { resources: PlanResources }) {
  const res = deps.resources;

  const checkPlan = (plan: string) => assertWorkerPlan(res, plan);

  const sampler = (ref: VerifyRef, keyOf: (row: SourceRow) => KeyTuple) =>
    ref.options.sample !== undefined && ref.options.sample < 1 ? sampleByKey(ref.options.sample, ref.run, keyOf) : undefined;

  return {
    /** Re-check settings from the worker's plan (durations are the plan's, not the caller's). */
    async verifySettings(ref: Pick<VerifyRef, 'plan' | 'entity'>): Promise<{ recheckAfterMs: number; rounds: number; hasList: boolean }> {
      checkPlan(ref.plan);
      const e = res.entity(ref.entity);
      const v = verifyPhase(e);
      return { recheckAfterMs: durationMs(v.recheckAfter), rounds: v.recheckRounds, hasList: hasListEndpoint(e.target) };
    },

    /**
     * Compares rows updated at or after `since` (minus clock skew) and queues those that differ now:
     * it finds rows written after the sweep had passed them, which the sweep alone would miss.
     */
    async catchUpChunk(input: ScanChunkInput & { since: number }): Promise<ScanChunkResult> {
      checkPlan(input.plan);
      const ctx0 = Context.current();
      const e = res.entity(input.entity);
      if (!e.source.updatedAt) return { done: true, seen: 0, found: 0 };
      const source = await res.source(e.source.db);
      const store = await res.stateStore();
      const { deps: cdeps } = verifyContext(res, input.entity, source);
      const sample = sampler(input, cdeps.keyOf);
      const batch = verifyPhase(e).batchSize ?? phaseOf(e, 'backfill')?.batchSize ?? PAGE;
      const deadline = Date.now() + input.maxMs;
      let cursor = input.cursor;
      let seen = 0;
      let found = 0;
      const since = new Date(Math.max(input.since - CLOCK_SKEW_MS, input.options.since ? new Date(input.options.since).getTime() : 0));
      for (;;) {
        const page = await source.readPage(e.source, { after: cursor }, batch, { updatedSince: since });
        if (page.rows.length === 0 || !page.last) return { cursor, done: true, seen, found };
        const rows = sample ? page.rows.filter(sample) : page.rows;
        seen += rows.length;
        const results = rows.length > 0 ? await compareRows(cdeps, rows) : [];
        const differing: VerifyEntry[] = results
          .filter((r) => r.status !== 'match')
          .map((r) => ({ key: r.key, class: r.status as 'missing' | 'different', state: 'pending', fields: r.fields }));
        if (differing.length > 0) await store.saveVerifyEntries(input.plan, input.entity, input.runKey, differing);
        found += differing.length;
        cursor = page.last;
        ctx0.heartbeat({ cursor });
        if (page.rows.length < batch) return { cursor, done: true, seen, found };
        if (Date.now() >= deadline) return { cursor, done: false, seen, found };
      }
    },

    /**
     * One re-check pass over pending entries: source and service are read again and compared.
     * Matches become `resolved`; on the last round what still differs becomes `persistent`.
     */
    async recheckChunk(input: RecheckInput): Promise<RecheckResult> {
      checkPlan(input.plan);
      const ctx0 = Context.current();
      const e = res.entity(input.entity);
      const source = await res.source(e.source.db);
      const store = await res.stateStore();
      const { deps: cdeps } = verifyContext(res, input.entity, source);
      const deadline = Date.now() + input.maxMs;
      let after = input.after;
      let resolved = 0;
      let stillDifferent = 0;
      for (;;) {
        const page = await store.listVerifyEntries(input.plan, input.entity, input.runKey, { state: 'pending', limit: PAGE, ...(after === undefined ? {} : { after }) });
        if (page.entries.length === 0) return { after, done: true, resolved, stillDifferent };
        const rows = await source.readByKeys(e.source, page.entries.map((x) => x.key));
        const results = await compareRows(cdeps, rows);
        const byKey = new Map(results.map((r) => [JSON.stringify(r.key), r]));
        const updates: VerifyEntry[] = [];
        for (const entry of page.entries) {
          const r = byKey.get(JSON.stringify(entry.key));
          // A row deleted from the source since the sweep: whether the service still has it is the extras pass's question.
          if (r === undefined || r.status === 'match') {
            updates.push({ ...entry, state: 'resolved' });
            resolved++;
          } else {
            updates.push({ key: entry.key, class: r.status as 'missing' | 'different', state: input.last ? 'persistent' : 'pending', fields: r.fields });
            stillDifferent++;
          }
        }
        await store.saveVerifyEntries(input.plan, input.entity, input.runKey, updates);
        ctx0.heartbeat({ after: page.next });
        if (page.next === undefined) return { done: true, resolved, stillDifferent };
        after = page.next;
        if (Date.now() >= deadline) return { after, done: false, resolved, stillDifferent };
      }
    },

    /** Pending entries become persistent without a re-check (a plan with recheckRounds: 0). */
    async settlePending(input: VerifyRef): Promise<number> {
      checkPlan(input.plan);
      const store = await res.stateStore();
      let n = 0;
      for (;;) {
        const page = await store.listVerifyEntries(input.plan, input.entity, input.runKey, { state: 'pending', limit: PAGE });
        if (page.entries.length === 0) return n;
        await store.saveVerifyEntries(input.plan, input.entity, input.runKey, page.entries.map((x) => ({ ...x, state: 'persistent' as const })));
        n += page.entries.length;
      }
    },

    /**
     * Items the service lists that have no source row: recorded as `extra` entries keyed by their
     * target key; only `verify --repair`, confirmed, deletes them.
     */
    async extrasChunk(input: Omit<ScanChunkInput, 'cursor'> & { cursor?: string }): Promise<Omit<ScanChunkResult, 'cursor'> & { cursor?: string }> {
      checkPlan(input.plan);
      const ctx0 = Context.current();
      const e = res.entity(input.entity);
      const source = await res.source(e.source.db);
      const store = await res.stateStore();
      const mapping = res.mapping(input.entity);
      const target = res.target(input.entity);
      const lacking = lackingInSource(e, mapping, source);
      if (!lacking) return { done: true, seen: 0, found: 0 };
      const limit = extrasPageSize(e);
      const deadline = Date.now() + input.maxMs;
      const list = (after: string | undefined) => {
        const p = (async () => {
          await res.acquire(input.entity, limit);
          return target.list(after, limit);
        })();
        // Handled at once so a read-ahead failing while the source is being asked is not an
        // unhandled rejection; awaiting `p` still throws it.
        p.catch(() => undefined);
        return p;
      };
      // The next listing page is fetched while this one is looked up in the source: one after the
      // other, the service sat idle while the source answered and the other way round (the pass was
      // slower than the serial script a user would write). One page read ahead: memory stays two pages.
      let next: ReturnType<typeof list> | undefined = list(input.cursor);
      let seen = 0;
      let found = 0;
      for (;;) {
        const page = await next!;
        next = undefined;
        const cursor = page.nextCursor;
        const more = cursor !== undefined && Date.now() < deadline;
        if (more) next = list(cursor);
        seen += page.items.length;
        const extras: VerifyEntry[] = (await lacking(page.items))
          .map((item) => targetKeyTuple(mapping, item))
          .filter((key): key is KeyTuple => key !== undefined)
          .map((key) => ({ key, class: 'extra', state: 'persistent', fields: [] }));
        if (extras.length > 0) await store.saveVerifyEntries(input.plan, input.entity, input.runKey, extras);
        found += extras.length;
        ctx0.heartbeat({ cursor });
        if (cursor === undefined) return { done: true, seen, found };
        if (!more) return { cursor, done: false, seen, found };
      }
    },

    /** Builds and stores the run's report; returns its id and summary. */
    async verifyReport(input: ReportInput): Promise<{ reportId: string; summary: VerificationSummary }> {
      checkPlan(input.plan);
      const e = res.entity(input.entity);
      const v = verifyPhase(e);
      const store = await res.stateStore();
      const source = await res.source(e.source.db);
      const { deps: cdeps, comparator } = verifyContext(res, input.entity, source);
      const counts = await store.countVerifyEntries(input.plan, input.entity, input.runKey);
      const count = (cls: string[], state: string) => counts.filter((c) => cls.includes(c.class) && c.state === state).reduce((n, c) => n + c.n, 0);
      const missing = count(['missing'], 'persistent');
      const different = count(['different', 'inflight'], 'persistent');
      const extra = count(['extra'], 'persistent');
      const transient = count(['missing', 'different'], 'resolved');
      const repairedRows = count(['missing', 'different', 'inflight'], 'repaired');
      const repaired = repairedRows + count(['extra'], 'repaired');
      // Items the legacy lacks are mismatches too, unless the plan says the service keeps items of its own.
      const ownItems = e.target.ownItems === true;
      const persistent = missing + different + (ownItems ? 0 : extra);
      const fields: Record<string, number> = {};
      const samples: ReportSample[] = [];
      for (const cls of ['missing', 'different', 'extra'] as const) {
        let after: string | undefined;
        for (;;) {
          const page = await store.listVerifyEntries(input.plan, input.entity, input.runKey, { state: 'persistent', class: cls, limit: PAGE, ...(after === undefined ? {} : { after }) });
          for (const x of page.entries) {
            for (const f of x.fields) fields[f] = (fields[f] ?? 0) + 1;
            if (samples.length < v.sampleRows) samples.push({ class: cls, key: x.key, fields: x.fields });
          }
          if (page.next === undefined) break;
          after = page.next;
        }
      }
      // Values for the samples: read both copies again now, redacted before anything is stored.
      const sourceSamples = samples.filter((s) => s.class !== 'extra');
      if (sourceSamples.length > 0) {
        const rows = await source.readByKeys(e.source, sourceSamples.map((s) => s.key));
        const results = await compareRows(cdeps, rows);
        const byKey = new Map(results.map((r) => [JSON.stringify(r.key), r]));
        for (const s of sourceSamples) {
          const r = byKey.get(JSON.stringify(s.key));
          // Reports are stored and passed on as plain JSON: exact numbers go as their digit strings.
          if (r?.expected) s.expected = forDisplay(comparator.redactItem(r.expected));
          if (r?.actual) s.actual = forDisplay(comparator.redactItem(r.actual));
        }
      }
      const now = Date.now();
      const compared = input.compared;
      const persistentRate = compared > 0 ? persistent / compared : 0;
      const report: VerificationReport = {
        version: 1,
        plan: input.plan,
        entity: input.entity,
        run: input.run,
        workflowId: input.workflowId,
        startedAt: new Date(input.startedAt).toISOString(),
        finishedAt: new Date(now).toISOString(),
        durationMs: now - input.startedAt,
        rowsPerSec: rate(compared, now - input.startedAt),
        sweepRowsPerSec: rate(compared, input.sweepEndedAt - input.startedAt),
        options: { ...(input.options.sample !== undefined ? { sample: input.options.sample } : {}), ...(input.options.since !== undefined ? { since: input.options.since } : {}) },
        totals: { compared, matched: Math.max(0, compared - missing - different - repairedRows), missing, different, extra, transient, persistent, repaired },
        persistentRate,
        threshold: v.maxMismatchRate,
        passed: persistentRate <= v.maxMismatchRate,
        fields,
        samples,
        extras: {
          checked: input.extrasChecked,
          ...(input.extrasNote ? { note: input.extrasNote } : ownItems && input.extrasChecked ? { note: 'not counted as mismatches: the plan declares the service keeps items of its own (target.ownItems)' } : {}),
        },
        rechecks: { rounds: input.rounds, after: v.recheckAfter },
        ...(input.repairOf ? { repairOf: input.repairOf } : {}),
      };
      const reportId = await store.saveReport(input.plan, input.entity, report);
      await store.appendAudit({
        plan: input.plan,
        entity: input.entity,
        action: input.repairOf ? 'verify.report.repaired' : 'verify.complete',
        actor: WORKER_ACTOR,
        detail: { run: input.run, reportId, compared, persistent, extra, transient, repaired, passed: report.passed },
      });
      return { reportId, summary: summaryOf(reportId, report) };
    },

    /**
     * Re-pushes persistent missing and different rows from the source through the backfill's copy
     * path, then compares them again: matches become `repaired`. Deletes persistent extras (items the
     * legacy lacks, checked again first) unless the plan lets the service keep items of its own; each
     * page's deletions are audited with their keys. Refused once writes have switched.
     */
    async repairChunk(input: VerifyRef & { actor: string; after?: string; maxMs: number }): Promise<RepairResult & { after?: string; done: boolean }> {
      checkPlan(input.plan);
      const store = await res.stateStore();
      const switched = await writesSwitched(await res.flags(), input.plan, input.entity);
      if (switched) {
        throw ApplicationFailure.create({
          type: 'RepairRefused',
          nonRetryable: true,
          message: `writes of ${input.entity} have switched to the new service (${switched.because}): the legacy is no longer the source of truth, so repair is refused`,
        });
      }
      const ctx0 = Context.current();
      const e = res.entity(input.entity);
      const source = await res.source(e.source.db);
      const { deps: cdeps } = verifyContext(res, input.entity, source);
      const out: RepairResult = { attempted: 0, repaired: 0, stillDifferent: 0, failures: 0, goneFromSource: 0, deleted: 0 };
      const copy = entityCopyVisitor(res, input.plan, input.entity, source, { recordFailures: (f) => store.recordFailures(f) });
      const mapping = res.mapping(input.entity);
      const target = res.target(input.entity);
      // Extras are deleted only when the plan does not let the service keep items of its own.
      const lacking = e.target.ownItems === true || !target.remove ? undefined : lackingInSource(e, mapping, source);
      const deadline = Date.now() + input.maxMs;
      let after = input.after;
      for (;;) {
        const page = await store.listVerifyEntries(input.plan, input.entity, input.runKey, { state: 'persistent', limit: PAGE, ...(after === undefined ? {} : { after }) });
        const extras = lacking ? page.entries.filter((x) => x.class === 'extra') : [];
        if (extras.length > 0) {
          // Looked at again before deleting: the legacy may have gained the row, or the item may be gone.
          const items = await target.read(extras.map((x) => targetKeyOfEntry(mapping, x.key)));
          const still = new Set((await lacking!(items)).map((item) => JSON.stringify(targetKeyTuple(mapping, item))));
          const doomed = extras.filter((x) => still.has(JSON.stringify(x.key)));
          const results = doomed.length > 0 ? await target.remove!(doomed.map((x) => targetKeyOfEntry(mapping, x.key))) : [];
          const deleted = doomed.filter((_, i) => results[i]!.ok);
          const refused = doomed.filter((_, i) => !results[i]!.ok);
          const doomedIds = new Set(doomed.map((x) => JSON.stringify(x.key)));
          // Not lacking any more: either the service no longer has the item (nothing to do) or the legacy has the row.
          const settled = extras.filter((x) => !doomedIds.has(JSON.stringify(x.key)));
          out.attempted += extras.length;
          out.deleted += deleted.length;
          out.failures += refused.length;
          await store.saveVerifyEntries(input.plan, input.entity, input.runKey, [...deleted, ...settled].map((x) => ({ ...x, state: 'repaired' as const })));
          await store.appendAudit({
            plan: input.plan,
            entity: input.entity,
            action: 'verify.repair.delete',
            actor: input.actor,
            detail: {
              run: input.run,
              deleted: deleted.map((x) => x.key),
              noLongerExtra: settled.map((x) => x.key),
              refused: refused.map((x) => {
                const r = results[doomed.indexOf(x)]!;
                return { key: x.key, error: r.error ?? `HTTP ${r.status}` };
              }),
            },
          });
        }
        const todo = page.entries.filter((x) => x.class !== 'extra');
        if (todo.length > 0) {
          const { rows, gone } = await readForRePush(res, input.entity, source, todo.map((x) => x.key));
          out.attempted += todo.length;
          out.goneFromSource += gone.length;
          const written = await copy.visit(rows);
          out.failures += written.failures;
          const results = await compareRows(cdeps, rows);
          const updates: VerifyEntry[] = [];
          const fixed: KeyTuple[] = [];
          for (const r of results) {
            const entry = todo.find((x) => JSON.stringify(x.key) === JSON.stringify(r.key))!;
            if (r.status === 'match') {
              updates.push({ ...entry, state: 'repaired' });
              fixed.push(r.key);
            } else {
              updates.push({ ...entry, fields: r.fields });
              out.stillDifferent++;
            }
          }
          out.repaired += fixed.length;
          await store.saveVerifyEntries(input.plan, input.entity, input.runKey, updates);
          await store.appendAudit({
            plan: input.plan,
            entity: input.entity,
            action: 'verify.repair',
            actor: input.actor,
            detail: { run: input.run, attempted: todo.length, repaired: fixed.length, keys: fixed },
          });
        }
        ctx0.heartbeat({ after: page.next });
        // Repaired entries leave the `persistent` filter, so the cursor only matters for those left behind.
        if (page.next === undefined) return { ...out, done: true };
        after = page.next;
        if (Date.now() >= deadline) return { ...out, after, done: false };
      }
    },
  };
}

/**
 * A function giving the items among `items` that have no row in the source (an item left behind
 * when a key changed case under a case-insensitive collation included: the row found answers to the
 * new spelling, and key ids are compared exactly). Undefined when items cannot be traced back to
 * source keys (see sourceKeyFromItem).
 */
export function lackingInSource(
  e: Entity,
  mapping: Mapping,
  source: Pick<SourceDb, 'readByKeys' | 'keyOf'>,
): ((items: readonly TargetItem[]) => Promise<TargetItem[]>) | undefined {
  const toSource = sourceKeyFromItem(e, mapping.targetKeyFields);
  if (!toSource) return undefined;
  const rowKeyId = keyIdOfRow(e, mapping);
  return async (items) => {
    const candidates = items.map((item) => ({ item, key: toSource(item) })).filter((c): c is { item: TargetItem; key: KeyTuple } => c.key !== undefined);
    const rows = candidates.length > 0 ? await source.readByKeys(e.source, candidates.map((c) => c.key)) : [];
    const present = new Set<string>();
    for (const row of rows) {
      const fast = rowKeyId?.(row);
      if (fast !== undefined) {
        present.add(fast);
        continue;
      }
      try {
        present.add(mapping.keyId(mapping.map(row)));
      } catch {
        // An unmappable row still exists in the source: match it by its raw key instead.
        present.add(mapping.keyId(Object.fromEntries(mapping.targetKeyFields.map((f, i) => [f, source.keyOf(e.source, row)[i]]))));
      }
    }
    return candidates.filter((c) => !present.has(mapping.keyId(c.item))).map((c) => c.item);
  };
}

/** An item's target key values in target key order, JSON-safe (exact big numbers as their text); undefined when one is missing. */
export function targetKeyTuple(mapping: Pick<Mapping, 'targetKeyFields'>, item: TargetItem): KeyTuple | undefined {
  const out: (string | number)[] = [];
  for (const f of mapping.targetKeyFields) {
    let v: unknown = Object.prototype.hasOwnProperty.call(item, f) ? item[f] : item;
    if (v === item) for (const seg of f.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
    if (typeof v === 'string' || typeof v === 'number') out.push(v);
    else if (isLosslessNumber(v)) out.push(Number.isSafeInteger(Number(v.toString())) ? Number(v.toString()) : v.toString());
    else if (typeof v === 'boolean') out.push(String(v));
    else return undefined;
  }
  return out as KeyTuple;
}

/** The target key object of an extra entry (its key is the item's target key tuple). */
export function targetKeyOfEntry(mapping: Pick<Mapping, 'targetKeyFields'>, key: KeyTuple): TargetKey {
  return Object.fromEntries(mapping.targetKeyFields.map((f, i) => [f, key[i]]));
}

function rate(rows: number, ms: number): number {
  return ms > 0 ? Math.round((rows * 1000) / ms) : 0;
}

/**
 * The key id `mapping.keyId(mapping.map(row))` gives, without mapping the whole row: the extras pass
 * only asks which keys exist, and mapping every row (timestamp casts above all) was most of its CPU.
 * Only when every target key field is a top-level plain copy of a column (no transform, no `as`,
 * `values`, `const` or `default`), so the mapped key is the column's JSON-safe value, as `map` makes
 * it; undefined otherwise (rows are then mapped). Also undefined for a row with an empty key column,
 * which then takes the mapping path and its error fallback.
 */
export function keyIdOfRow(e: Entity, mapping: Pick<Mapping, 'targetKeyFields' | 'keyId' | 'readsWholeRow'>): ((row: SourceRow) => string | undefined) | undefined {
  if (mapping.readsWholeRow || e.transform !== undefined) return undefined;
  const cols: string[] = [];
  for (const field of mapping.targetKeyFields) {
    const f = e.map[field];
    if (f === undefined || field.includes('.')) return undefined;
    if (typeof f === 'string') cols.push(f);
    else if (f.as === undefined && f.values === undefined && f.const === undefined && f.default === undefined && f.compute === undefined) cols.push(f.from ?? field);
    else return undefined;
  }
  const fields = mapping.targetKeyFields;
  return (row) => {
    const key: TargetItem = {};
    for (let i = 0; i < fields.length; i++) {
      const v = row[cols[i]!];
      if (v === null || v === undefined) return undefined;
      key[fields[i]!] = jsonSafe(v);
    }
    return mapping.keyId(key);
  };
}

/**
 * How to turn a service item back into a source key tuple: each source key column must be mapped
 * plainly (a `from` with no `values` table) to a field of the item — one of the target key fields
 * preferably, else any mapped field (a computed key such as `film_id-store_id` cannot be inverted,
 * but the item usually carries the parts too). Undefined otherwise (a transform or value table
 * can't be inverted), and extras are then not looked for. Whether the row found is really the
 * item's is decided by comparing key ids afterwards, so a case-insensitive match does not hide an
 * item left behind under the old spelling of a key.
 */
export function sourceKeyFromItem(e: Entity, targetKeyFields: readonly string[]): ((item: TargetItem) => KeyTuple | undefined) | undefined {
  const paths: string[][] = [];
  const plain = (col: string) => ([, f]: [string, Entity['map'][string]]) =>
    typeof f === 'string' ? f === col : f.from === col && f.values === undefined && f.const === undefined && f.compute === undefined;
  for (const col of e.source.key) {
    const entries = Object.entries(e.map).filter(plain(col));
    const entry = entries.find(([target]) => targetKeyFields.includes(target)) ?? (e.transform === undefined ? entries[0] : undefined);
    if (!entry) return undefined;
    paths.push(entry[0].split('.'));
  }
  return (item) => {
    const key: (string | number)[] = [];
    for (const p of paths) {
      let v: unknown = item;
      for (const seg of p) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
      if (typeof v === 'number' || typeof v === 'string') key.push(v);
      else return undefined;
    }
    return key;
  };
}
