/** Shared by commands that only need the plan and its state store (flags, audit): no Temporal. */
import type { CommandContext } from '../cli/context.js';
import { loadPlanForCommand } from '../cli/resolvePlan.js';
import type { LoadedPlan } from '../plan/load.js';
import { openStateStore } from '../state/index.js';
import type { StateStore } from '../state/types.js';

/** Loads the plan, opens (and migrates) its state store, runs `fn`, and always closes the store. */
export async function withStateStore<T>(ctx: CommandContext, fn: (store: StateStore, loaded: LoadedPlan) => Promise<T>): Promise<T> {
  const loaded = await loadPlanForCommand(ctx);
  const store = await openStateStore(loaded.plan.state.url);
  try {
    return await fn(store, loaded);
  } finally {
    await store.close();
  }
}
