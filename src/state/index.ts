/**
 * Opens the orchestrator's state store from the plan's `state.url`: PostgreSQL for postgres:// and
 * postgresql://, MySQL/MariaDB for mysql:// and mariadb://.
 */
import { EnvironmentError, UserError } from '../errors.js';
import { displayUrl, secrets } from '../secrets.js';
import { dialectOfScheme } from './dialects.js';
import { createStateStore } from './store.js';
import type { StateStore } from './types.js';

export type { AuditEntry, Checkpoint, FailureRecord, FlagValue, StateStore, StoredReport } from './types.js';

export interface OpenStateStoreOptions {
  /** Create or migrate the tables before returning (default true); false leaves it to an explicit `migrate()`. */
  migrate?: boolean;
  /** Connections in the pool (default 4): the store sees one short statement per batch, not the row traffic. */
  poolSize?: number;
}

/**
 * Connects to the store at `url` and, unless told otherwise, migrates its tables.
 * Throws UserError for an unsupported scheme and EnvironmentError (password hidden) when it cannot be reached.
 */
export async function openStateStore(url: string, options: OpenStateStoreOptions = {}): Promise<StateStore> {
  // Registered first so that no later message, log line or error can show the password.
  secrets.addUrlCredentials(url);
  const scheme = /^([a-z]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  const poolSize = options.poolSize ?? 4;
  const dialect = dialectOfScheme(scheme);
  if (dialect === undefined) {
    throw new UserError(`The state store URL ${displayUrl(url)} is neither PostgreSQL nor MySQL.`, {
      hint: 'Set state.url in the plan to a postgres:// or mysql:// URL.',
    });
  }
  const store = createStateStore(url, dialect, poolSize);
  if (options.migrate === false) return store;
  try {
    await store.migrate();
  } catch (e) {
    await store.close().catch(() => undefined);
    if (e instanceof EnvironmentError) throw e;
    throw new EnvironmentError(`The state store at ${displayUrl(url)} could not be migrated: ${secrets.redact((e as Error).message)}`, {
      hint: 'The user in state.url needs CREATE, INDEX and ALTER rights on its database (only migrate_* tables are created).',
      cause: e,
    });
  }
  return store;
}
