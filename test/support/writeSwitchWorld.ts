/**
 * A small in-memory world for the write switch's workflow tests: routing epochs, consumer
 * acknowledgements, the journal, the last verification, the forward change log and the reverse
 * path. The real write-switch activities and the real state-store flag provider run over it, so the
 * tests exercise the activities' decisions too; only storage and the consumers are simulated.
 */
import { createWriteSwitchActivities } from '../../src/activities/writeSwitchActivities.js';
import type { ReversePath } from '../../src/cutover/reversePath.js';
import { buildRoutingDocument, type ReadRoute, type WriteVariant } from '../../src/flags/routing.js';
import { RoutingEvaluator } from '../../src/flags/routingEvaluator.js';
import { createStateStoreFlagProvider } from '../../src/flags/stateStoreProvider.js';
import { UserError } from '../../src/errors.js';
import type { Entity } from '../../src/plan/schema.js';
import type { PlanResources } from '../../src/resources/planResources.js';
import type { ConsumerAck, JournalEntry, StateStore, StoredRouting } from '../../src/state/types.js';
import type { VerificationReport } from '../../src/verification/verificationReport.js';

export const PLAN = 'orders-to-fulfillment';
export const ENTITY = 'orders';

export interface World {
  routing: StoredRouting[];
  acks: ConsumerAck[];
  journal: JournalEntry[];
  audit: { action: string; detail?: Record<string, unknown> }[];
  /** Consumers acknowledge every published epoch at once, with no write in flight. */
  autoAck: boolean;
  verification?: { passed: boolean; persistent: number; finishedAt: string; startedAt: string };
  /** Forward sync's capture; with `updatedAt`, `pending` is the rows past its cursor. */
  capture: 'triggers' | 'updatedAt';
  forward: { pending: number; oldestSeconds: number; head?: string; pendingUpToHead: number };
  reverse: { ready: boolean; head?: string; pendingUpToHead: number };
}

/** Routing at epoch 7: every consumer reads new, writes as given (legacy before the switch, new before a rollback). */
export function newWorld(writes: WriteVariant = 'legacy'): World {
  const now = Date.now();
  const w: World = {
    routing: [],
    acks: [
      ack('billing', 'b-1', 7, now),
      ack('billing', 'b-2', 7, now),
      ack('reporting', 'r-1', 7, now),
    ],
    journal: [],
    audit: [],
    autoAck: true,
    capture: 'triggers',
    verification: { passed: true, persistent: 0, startedAt: new Date(now - 3600_000).toISOString(), finishedAt: new Date(now - 3000_000).toISOString() },
    forward: { pending: 0, oldestSeconds: 0, head: '120', pendingUpToHead: 0 },
    reverse: { ready: true, head: 'svc-55', pendingUpToHead: 0 },
  };
  w.routing.push({ plan: PLAN, entity: ENTITY, epoch: 7, document: buildRoutingDocument({ plan: PLAN, entity: ENTITY, epoch: 7, reads: READS, otherReads: 'new', writes }), publishedAt: new Date(now), publishedBy: 'test' });
  return w;
}

export const READS: Record<string, ReadRoute> = { billing: 'new', reporting: 'new' };

export function ack(consumer: string, instance: string, epoch: number | null, at: number, inFlightWrites = 0): ConsumerAck {
  return { consumer, instance, epoch, inFlightWrites, failureLogDepth: 0, routingStale: false, lastSeq: 1, updatedAt: new Date(at) };
}

/** The routing in force: epoch and writes variant. */
export function inForce(w: World): { epoch: number; writes: WriteVariant } {
  const r = w.routing[w.routing.length - 1]!;
  return { epoch: r.epoch, writes: new RoutingEvaluator(r.document as never).writes() };
}

/** Every published epoch after 7 as `epoch:writes`. */
export function published(w: World): string[] {
  return w.routing.filter((r) => r.epoch > 7).map((r) => `${r.epoch}:${new RoutingEvaluator(r.document as never).writes()}`);
}

function fakeStore(w: World): StateStore {
  const store: Partial<StateStore> = {
    async getRouting(_plan, _entity, epoch) {
      return epoch === undefined ? w.routing[w.routing.length - 1] : w.routing.find((r) => r.epoch === epoch);
    },
    async publishRouting({ plan, entity, epoch, document, actor }) {
      const newest = w.routing[w.routing.length - 1]?.epoch ?? 0;
      if (epoch !== newest + 1) throw new UserError(`routing of ${entity} is at epoch ${newest}, so epoch ${epoch} cannot be published`);
      w.routing.push({ plan, entity, epoch, document, publishedAt: new Date(), publishedBy: actor });
      w.audit.push({ action: 'routing.publish', detail: { epoch } });
      if (w.autoAck) w.acks = w.acks.map((a) => ({ ...a, epoch, inFlightWrites: 0, updatedAt: new Date() }));
    },
    async getCheckpoint() {
      return undefined;
    },
    async listConsumerAcks() {
      return w.acks;
    },
    async latestReport<T>() {
      const v = w.verification;
      if (!v) return undefined;
      const report = { run: '20261203T000000Z-abc', startedAt: v.startedAt, finishedAt: v.finishedAt, passed: v.passed, totals: { compared: 1000, persistent: v.persistent } } as unknown as VerificationReport;
      return { id: 'rep-1', plan: PLAN, entity: ENTITY, createdAt: new Date(v.finishedAt), report: report as T };
    },
    async appendJournal(_plan, _entity, e) {
      const existing = w.journal.find((j) => j.switchId === e.switchId && j.seq === e.seq);
      if (existing) return existing;
      const entry = { ...e, at: new Date() };
      w.journal.push(entry);
      w.audit.push({ action: 'cutover.write-switch', detail: { step: e.step, outcome: e.outcome } });
      return entry;
    },
    async listJournal(_plan, _entity, switchId) {
      return w.journal.filter((j) => switchId === undefined || j.switchId === switchId).sort((a, b) => a.seq - b.seq);
    },
  };
  return store as StateStore;
}

const entityOf = (capture: World['capture']) =>
  ({
    source: { db: 'legacy', table: 'orders', key: ['id'], updatedAt: 'updated_at' },
    phases: [{ sync: { capture, batchSize: 500, poll: '1s', maxLag: '30s', overlap: '5s', flag: 'orders.sync' } }, { cutover: { consumers: ['billing', 'reporting'], stages: [] } }],
  }) as unknown as Entity;

/** Plan resources over the world: only what the write switch's activities and dry run touch. */
export function worldResources(w: World): PlanResources {
  const store = fakeStore(w);
  return {
    plan: { name: PLAN } as PlanResources['plan'],
    planFile: 'plans/orders.yaml',
    entity: () => entityOf(w.capture),
    updatedAtCursor: () => ({ lag: async () => ({ pending: w.forward.pending, oldestSeconds: w.forward.oldestSeconds }) }),
    stateStore: async () => store,
    flags: async () => createStateStoreFlagProvider(store, PLAN),
    changeLog: () =>
      ({
        state: async () => ({ installed: true, partial: false, present: [], missing: [] }),
        lag: async () => ({ pending: w.forward.pending, oldestSeconds: w.forward.oldestSeconds }),
        head: async () => w.forward.head,
        pendingUpTo: async () => w.forward.pendingUpToHead,
      }) as unknown as ReturnType<PlanResources['changeLog']>,
  } as unknown as PlanResources;
}

export function worldReversePath(w: World): ReversePath {
  return {
    ready: async () => (w.reverse.ready ? { ok: true, detail: 'reverse sync can write orders' } : { ok: false, detail: 'reverse sync cannot write orders' }),
    head: async () => w.reverse.head,
    behind: async (_p, _e, position) => (w.reverse.pendingUpToHead === 0 ? undefined : `${w.reverse.pendingUpToHead} service changes up to position ${position} not applied`),
  };
}

/** The real write-switch activities over the world. */
export function worldActivities(w: World) {
  return createWriteSwitchActivities({ resources: worldResources(w), reversePath: worldReversePath(w) });
}
