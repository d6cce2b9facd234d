/** Publishes routing for tests that need an entity whose writes have (or have not) switched. */
import { buildRoutingDocument, type FlagProvider, type WriteVariant } from '../../src/flags/index.js';

/** Publishes the next epoch of `entity`'s routing with `writes` (reads follow: new once writes leave the legacy). */
export async function publishWrites(flags: FlagProvider, plan: string, entity: string, writes: WriteVariant, reason = 'simulated cutover'): Promise<number> {
  const epoch = ((await flags.getRouting(plan, entity))?.epoch ?? 0) + 1;
  const reads = writes === 'legacy' || writes === 'dual' ? 'legacy' : 'new';
  await flags.publishRouting(buildRoutingDocument({ plan, entity, epoch, reads: {}, otherReads: reads, writes }), { plan, entity, actor: 'test', reason });
  return epoch;
}
