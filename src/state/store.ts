/**
 * The state store: one implementation over kysely for PostgreSQL and MySQL/MariaDB. Its methods come
 * in groups, one file per table (`flag-store.ts`, `audit-log.ts`, `checkpoint-store.ts`,
 * `failure-log.ts`, `report-store.ts`, `verify-queue.ts`, `routing-store.ts`, `consumer-report-store.ts`,
 * `cutover-journal-store.ts`); what differs between the engines lives in
 * `dialects.ts` only. Adding a table: docs/state-store.md, "Adding a table".
 */
import { auditLog } from './audit-log.js';
import { checkpointStore } from './checkpoint-store.js';
import { consumerReportStore } from './consumer-report-store.js';
import { cutoverJournalStore } from './cutover-journal-store.js';
import { isConnectionError, unreachable } from './common.js';
import { MigrationLockTimeout, type Dialect } from './dialects.js';
import { failureLog } from './failure-log.js';
import { flagStore } from './flag-store.js';
import { reportStore } from './report-store.js';
import { routingStore } from './routing-store.js';
import { migrateSchema } from './schema-migrator.js';
import type { StoreContext } from './store-context.js';
import type { StateStore } from './types.js';
import { verifyQueue } from './verify-queue.js';

/** Opens a pool on `url` for `dialect`; nothing is queried until the first call. */
export function createStateStore(url: string, dialect: Dialect, poolSize = 4): StateStore {
  const ctx: StoreContext = { db: dialect.connect(url, poolSize), dialect };
  const store: StateStore = {
    async migrate() {
      await migrateSchema(ctx.db, dialect);
    },
    ...flagStore(ctx),
    ...auditLog(ctx),
    ...checkpointStore(ctx),
    ...failureLog(ctx),
    ...reportStore(ctx),
    ...verifyQueue(ctx),
    ...routingStore(ctx),
    ...consumerReportStore(ctx),
    ...cutoverJournalStore(ctx),
    async close() {
      await ctx.db.destroy();
    },
  };
  return withConnectionErrors(store, url);
}

/** Every method of `store`, with a store that cannot be reached reported as EnvironmentError (URL without password). */
function withConnectionErrors(store: StateStore, url: string): StateStore {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(store) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await method(...args);
      } catch (e) {
        throw isConnectionError(e) || e instanceof MigrationLockTimeout ? unreachable(url, e) : e;
      }
    };
  }
  return wrapped as unknown as StateStore;
}
