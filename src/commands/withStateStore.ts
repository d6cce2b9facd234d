/** Shared by commands that only need the plan and its state store (flags, audit): no Temporal. */
import type { CommandContext } from '../cli/context.js';
import type { FlagProvider } from '../flags/types.js';
import type { LoadedPlan } from '../plan/load.js';
import type { StateStore } from '../state/types.js';

/** Loads the plan, opens (and migrates) its state store, runs `fn`, and always closes the store. */
export async function withStateStore<T>(ctx: CommandContext, fn: (store: StateStore, loaded: LoadedPlan) => Promise<T>): Promise<T> {
  // Imported here, not at the top: every command file imports this one, and `--help` must stay fast.
  const { loadPlanForCommand } = await import('../cli/resolvePlan.js');
  const { openStateStore } = await import('../state/index.js');
  const loaded = await loadPlanForCommand(ctx);
  const store = await openStateStore(loaded.plan.state.url);
  try {
    return await fn(store, loaded);
  } finally {
    await store.close();
  }
}

/** Like withStateStore, handing over the plan's flag provider: flag commands never touch the store directly. */
export function withFlagProvider<T>(ctx: CommandContext, fn: (flags: FlagProvider, loaded: LoadedPlan) => Promise<T>): Promise<T> {
  return withStateStore(ctx, async (store, loaded) => {
    const { createStateStoreFlagProvider } = await import('../flags/stateStoreProvider.js');
    return fn(createStateStoreFlagProvider(store, loaded.plan.name), loaded);
  });
}
