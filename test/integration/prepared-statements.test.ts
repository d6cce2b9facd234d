import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { preparedName, prepareStatement, withPreparedStatements } from '../../src/state/preparedStatements.js';
import { PG_ADMIN_URL } from '../support/env.js';

// One connection, so the session the statements are prepared in is the one asked about.
const pool = new pg.Pool({ connectionString: PG_ADMIN_URL, max: 1 });
afterAll(() => pool.end());

describe('prepared statements of the state store', () => {
  it('Given a registered text, when it runs twice through the wrapped pool, then PostgreSQL holds it prepared under its name and both answers are right', async () => {
    const text = 'select $1::int + 1 as n /* prepared-statements test */';
    prepareStatement(text);
    const name = preparedName(text);
    expect(name).toMatch(/^migrate_[0-9a-f]{24}$/);
    const wrapped = withPreparedStatements(pool);
    const client = await wrapped.connect();
    try {
      expect((await client.query<{ n: number }>(text, [1])).rows).toEqual([{ n: 2 }]);
      expect((await client.query<{ n: number }>(text, [41])).rows).toEqual([{ n: 42 }]);
      const held = await client.query<{ statement: string }>('select statement from pg_prepared_statements where name = $1', [name]);
      expect(held.rows.map((r) => r.statement)).toEqual([text]);
    } finally {
      client.release();
    }
  });

  it('Given a text that was not registered, when it runs through the wrapped pool, then it is sent unnamed and nothing is prepared for it', async () => {
    const text = 'select $1::text as t /* not registered */';
    const client = await withPreparedStatements(pool).connect();
    try {
      expect((await client.query<{ t: string }>(text, ['x'])).rows).toEqual([{ t: 'x' }]);
      const held = await client.query<{ n: string }>('select count(*) as n from pg_prepared_statements where statement = $1', [text]);
      expect(held.rows[0]!.n).toBe('0');
    } finally {
      client.release();
    }
  });

  it('Given the same text registered twice, when named, then the name is the same', () => {
    prepareStatement('select 1 /* twice */');
    const first = preparedName('select 1 /* twice */');
    prepareStatement('select 1 /* twice */');
    expect(preparedName('select 1 /* twice */')).toBe(first);
  });
});

describe('a prepared statement lost on the server', () => {
  it('Given a registered statement the server no longer holds (as behind a transaction-pooling proxy), when it runs again, then it is answered unnamed and the pool names nothing after', async () => {
    const text = 'select $1::int * 2 as n /* lost on the server */';
    prepareStatement(text);
    const lostPool = new pg.Pool({ connectionString: PG_ADMIN_URL, max: 1 });
    try {
      const wrapped = withPreparedStatements(lostPool);
      const client = await wrapped.connect();
      try {
        expect((await client.query<{ n: number }>(text, [2])).rows).toEqual([{ n: 4 }]);
        // The client still believes the statement is parsed; the server forgets it.
        await client.query(`deallocate ${preparedName(text)}`, []);
        expect((await client.query<{ n: number }>(text, [5])).rows).toEqual([{ n: 10 }]);
        const other = 'select $1::int - 1 as n /* registered after the loss */';
        prepareStatement(other);
        expect((await client.query<{ n: number }>(other, [5])).rows).toEqual([{ n: 4 }]);
        const held = await client.query<{ n: string }>('select count(*) as n from pg_prepared_statements', []);
        expect(held.rows[0]!.n).toBe('0');
      } finally {
        client.release();
      }
    } finally {
      await lostPool.end();
    }
  });
});
