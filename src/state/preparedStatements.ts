/**
 * Statements a store runs once per page (the checkpoint with its flag read) are sent to PostgreSQL
 * as named prepared statements: the server then parses and plans each text once per connection
 * instead of every time: three rounds of 2,000 grouped checkpoints took 1.8-1.9 s of the machine's CPU
 * instead of 2.2 (script start included) and about a quarter less wall time (docs/operations.md,
 * "Crash recovery").
 * Only texts registered here are named, by a hash of the text: a statement that selects `*` could
 * see its result type change under a concurrent migration, which a prepared plan refuses.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { PostgresPool, PostgresPoolClient } from 'kysely';

const names = new Map<string, string>();

/** Registers a statement text to run prepared; the same text always gets the same name. */
export function prepareStatement(text: string): void {
  if (!names.has(text)) names.set(text, `migrate_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`);
}

/** The prepared-statement name of a registered text. */
export function preparedName(text: string): string | undefined {
  return names.get(text);
}

/**
 * PostgreSQL's answers when a named statement is not where the client left it: behind a
 * transaction-pooling proxy (PgBouncer before 1.21) the next use may reach another server session.
 * Nothing ran, so the statement is sent again unnamed, and this pool names nothing from then on.
 */
const STATEMENT_LOST = new Set(['26000' /* invalid_sql_statement_name */, '42P05' /* duplicate_prepared_statement */]);

/** A pg pool as kysely sees it, whose clients run registered texts as named statements. */
export function withPreparedStatements(pool: pg.Pool): PostgresPool {
  let naming = true;
  const wrap = (client: pg.PoolClient): PostgresPoolClient =>
    ({
      // Not async: a cursor (kysely's streaming) must come back as it is, not in a promise.
      query(textOrCursor: unknown, parameters?: readonly unknown[]) {
        const name = naming && typeof textOrCursor === 'string' ? names.get(textOrCursor) : undefined;
        if (name === undefined) return (client.query as (a: unknown, b?: unknown) => unknown)(textOrCursor, parameters);
        return client.query({ name, text: textOrCursor as string, values: parameters as unknown[] }).catch((e: unknown) => {
          if (!STATEMENT_LOST.has((e as { code?: string }).code ?? '')) throw e;
          naming = false;
          return client.query(textOrCursor as string, parameters as unknown[]);
        });
      },
      release: (destroy?: boolean) => client.release(destroy),
    }) as PostgresPoolClient;
  return {
    connect: async () => wrap(await pool.connect()),
    end: () => pool.end(),
  };
}
