/**
 * Whether writes of an entity have left the legacy database, read from its routing document
 * through the provider. Repair and retry push legacy rows into the new service, which is right
 * only while the legacy is the source of truth.
 */
import type { WriteVariant } from './routing.js';
import type { FlagProvider } from './types.js';

export interface SwitchedWrites {
  epoch: number;
  writes: WriteVariant;
  /** e.g. `routing epoch 8 of orders sends writes to new`, for messages. */
  because: string;
}

/**
 * The routing in force when its writes flag says `new`, or `fenced` (a write switch is draining:
 * the legacy is about to stop being the truth); undefined for `legacy`, `dual` (the legacy is
 * written first and stays the truth) and before any routing is published.
 */
export async function writesSwitched(flags: FlagProvider, plan: string, entity: string): Promise<SwitchedWrites | undefined> {
  const routing = await flags.getRouting(plan, entity);
  if (!routing) return undefined;
  // Imported only when there is a document to evaluate: the evaluator brings flagd-core, which
  // `migrate status` (through verifyRuns) would otherwise load on every start.
  const { RoutingEvaluator } = await import('./routingEvaluator.js');
  const writes = new RoutingEvaluator(routing.document).writes();
  if (writes !== 'new' && writes !== 'fenced') return undefined;
  return { epoch: routing.epoch, writes, because: `routing epoch ${routing.epoch} of ${entity} sends writes to ${writes}` };
}
