/** The built-in flag provider: flags in the state store's `migrate_flags`, each change audited in the same transaction. */
import type { StateStore } from '../state/types.js';
import type { FlagProvider } from './types.js';

/** A FlagProvider over `store`; it does not own the store and never closes it. */
export function createStateStoreFlagProvider(store: StateStore): FlagProvider {
  return {
    name: 'state-store',
    async getFlag(name) {
      return (await store.getFlag(name))?.enabled;
    },
    async setFlag(name, enabled, ctx) {
      await store.setFlag(ctx.plan, name, enabled, ctx.actor, ctx.reason, ctx.entity);
    },
    listFlags: () => store.listFlags(),
  };
}
