/** What every group of store methods is built from: the kysely instance and the dialect's differences. */
import type { Kysely, Transaction } from 'kysely';
import type { Dialect } from './dialects.js';
import type { Database } from './schema.js';

export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
}

/** The pool or an open transaction: helpers that must join a caller's transaction take this. */
export type Executor = Kysely<Database> | Transaction<Database>;
