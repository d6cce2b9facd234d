/**
 * The built-in flag provider: flags in the state store's `migrate_plan_flags`, routing documents in
 * `migrate_routing_documents`, each change audited in the same transaction.
 */
import { UserError } from '../errors.js';
import type { StateStore, StoredRouting } from '../state/types.js';
import { describeRoute, stageOf, tidyRoutingDocument, type RoutingDocument } from './routing.js';
import type { FlagProvider, PublishedRouting } from './types.js';

/**
 * The routing evaluator (flagd-core and zod; about 80 ms to import) is loaded by the first routing
 * read or write: the flag reads and writes every backfill, sync and verification start with do not
 * need it.
 */
let evaluator: Promise<typeof import('./routingEvaluator.js')> | undefined;
const routingEvaluator = () => (evaluator ??= import('./routingEvaluator.js'));

/**
 * A FlagProvider over `store` for the flags of `plan` (flags are scoped by plan: another plan's
 * `orders.backfill` in the same store is another flag); it does not own the store and never closes it.
 */
export function createStateStoreFlagProvider(store: StateStore, plan: string): FlagProvider {
  return {
    name: 'state-store',
    async getFlag(name) {
      return (await store.getFlag(plan, name))?.enabled;
    },
    async setFlag(name, enabled, ctx) {
      // A bug, not a user error: the change would be audited under one plan and land in another.
      if (ctx.plan !== plan) throw new Error(`flag ${name} set for plan "${ctx.plan}" through the provider of plan "${plan}"`);
      await store.setFlag(plan, name, enabled, ctx.actor, ctx.reason, ctx.entity);
    },
    listFlags: () => store.listFlags(plan),

    async getRouting(plan, entity, epoch) {
      const stored = await store.getRouting(plan, entity, epoch);
      return stored && (await published(stored));
    },
    async listRouting(plan) {
      return Promise.all((await store.listRouting(plan)).map(published));
    },
    async publishRouting(document, ctx) {
      const { tracerPlan: plan, tracerEntity: entity, tracerEpoch: epoch } = document.metadata;
      const { parseRoutingDocument, RoutingDocumentError } = await routingEvaluator();
      let doc: RoutingDocument;
      try {
        doc = parseRoutingDocument(JSON.stringify(document), `routing document of ${entity} (epoch ${epoch})`);
      } catch (e) {
        if (e instanceof RoutingDocumentError) throw new UserError(e.message, { hint: 'Nothing was published; build documents with buildRoutingDocument (src/flags/routing.ts).' });
        throw e;
      }
      if (plan !== ctx.plan) throw new UserError(`routing document of ${entity} names plan "${plan}", not "${ctx.plan}"`, { hint: 'Nothing was published.' });
      if (ctx.entity !== undefined && ctx.entity !== entity) throw new UserError(`routing document names entity "${entity}", not "${ctx.entity}"`, { hint: 'Nothing was published.' });
      await store.publishRouting({ plan, entity, epoch, document: doc, actor: ctx.actor, reason: ctx.reason, detail: summary(doc) });
      const stored = await store.getRouting(plan, entity, epoch);
      if (!stored) throw new Error(`routing epoch ${epoch} of ${entity} was published but cannot be read back`);
      return published(stored);
    },
  };
}

/** A stored document, checked again on the way out: a row edited by hand must not route anyone. */
async function published(r: StoredRouting): Promise<PublishedRouting> {
  const { parseRoutingDocument } = await routingEvaluator();
  const document = tidyRoutingDocument(parseRoutingDocument(JSON.stringify(r.document), `state store routing of ${r.entity} epoch ${r.epoch}`));
  return { plan: r.plan, entity: r.entity, epoch: r.epoch, document, publishedAt: r.publishedAt, publishedBy: r.publishedBy };
}

/** What the audit entry says changed: the routes in words, small enough to read in `migrate audit`. */
function summary(doc: RoutingDocument): Record<string, unknown> {
  const stage = stageOf(doc);
  if (!stage) return { custom: true };
  const reads: Record<string, string> = {};
  for (const [consumer, route] of Object.entries(stage.reads)) reads[consumer] = describeRoute(route);
  return { reads, otherReads: describeRoute(stage.otherReads ?? 'legacy'), writes: stage.writes };
}
