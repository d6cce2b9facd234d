/**
 * kysely's runtime values, loaded from its CommonJS build. Its ES build is 263 modules, and Node
 * resolves and links each one: measured on the 2-core machine, `import('kysely')` costs about 0.07 s
 * more CPU than `require('kysely')` of the same code, and every command that opens the state store
 * (`migrate status` included) paid it. Types still come from `import type … from 'kysely'`: both
 * builds declare the same API. Every value import of kysely in src/ goes through here, so no two
 * copies of its classes meet.
 */
import { createRequire } from 'node:module';

const kysely = createRequire(import.meta.url)('kysely') as typeof import('kysely');

export const { CompiledQuery, Kysely, Migrator, MysqlAdapter, MysqlDialect, PostgresAdapter, PostgresDialect, sql } = kysely;
// The classes' instance types under the same names, as `import { Kysely } from 'kysely'` gives both.
export type Kysely<DB> = import('kysely').Kysely<DB>;
export type Migrator = import('kysely').Migrator;
export type MysqlAdapter = import('kysely').MysqlAdapter;
export type MysqlDialect = import('kysely').MysqlDialect;
export type PostgresAdapter = import('kysely').PostgresAdapter;
export type PostgresDialect = import('kysely').PostgresDialect;
