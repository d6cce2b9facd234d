/**
 * Opens what a worker's first activities would otherwise open themselves: the state store, every
 * source pool, each entity's compiled mapping and target client. A backfill started right after a
 * worker came up then does not pay for connections and module loading before its first page, and a
 * database the worker cannot reach is named in its log at start rather than by the first activity.
 * Never fails: activities open (and report) the same things again when they need them.
 */
import type { PlanResources } from './planResources.js';

export interface WarmUpProblem {
  what: string;
  error: string;
}

/** Resolves when every piece was opened or failed; returns the failures, described. */
export async function warmUp(res: PlanResources): Promise<WarmUpProblem[]> {
  const problems: WarmUpProblem[] = [];
  const attempt = async (what: string, open: () => unknown): Promise<void> => {
    try {
      await open();
    } catch (e) {
      problems.push({ what, error: (e as Error).message });
    }
  };
  const entities = Object.keys(res.plan.entities);
  await Promise.all([
    attempt('the state store', () => res.stateStore()),
    ...Object.keys(res.plan.sources).map((db) => attempt(`source ${db}`, () => res.source(db))),
    ...entities.map((e) =>
      attempt(`entity ${e}`, () => {
        res.mapping(e);
        res.target(e);
      }),
    ),
  ]);
  return problems;
}
