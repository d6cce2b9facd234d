/**
 * Opening a source database by URL: the scheme picks the dialect, and connectivity is checked
 * up front so a wrong URL fails here, with a hint, rather than inside the first workflow activity.
 */
import { EnvironmentError, UserError } from '../errors.js';
import { displayUrl } from '../secrets.js';
import type { SourceDb } from './types.js';

export type { SourceDb } from './types.js';

/**
 * A connected SourceDb for a postgres://, postgresql://, mysql:// or mariadb:// URL with a pool of
 * `poolSize` connections. Throws UserError for another scheme, EnvironmentError (URL redacted) when
 * the database cannot be reached or logged into.
 */
export async function openSource(url: string, poolSize = 8): Promise<SourceDb> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  // Each driver is imported only when a URL needs it: mysql2 alone costs ~100 ms of start-up.
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const { createPostgresPool, PostgresSource } = await import('./postgres.js');
    const pool = createPostgresPool(url, poolSize);
    try {
      await pool.query('SELECT 1');
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw connectError(url, e);
    }
    return new PostgresSource(pool);
  }
  if (scheme === 'mysql' || scheme === 'mariadb') {
    const { createMysqlPool, MysqlSource } = await import('./mysql.js');
    let pool: ReturnType<typeof createMysqlPool> | undefined;
    try {
      pool = createMysqlPool(url, poolSize);
      await pool.query('SELECT 1');
    } catch (e) {
      await pool?.end().catch(() => undefined);
      throw connectError(url, e);
    }
    return new MysqlSource(pool);
  }
  throw new UserError(`unsupported source database URL ${displayUrl(url)}`, {
    hint: 'Use a postgres://, postgresql://, mysql:// or mariadb:// URL.',
  });
}

/** The driver's failure as an EnvironmentError whose message and hint never contain the password. */
function connectError(url: string, e: unknown): EnvironmentError {
  const err = e as { code?: string; errno?: number; message?: string };
  const shown = displayUrl(url);
  let detail = scrub(url, err.message || err.code || String(e));
  const code = err.code ?? '';
  let hint: string;
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT' || /timeout/i.test(detail)) {
    hint = 'Check that the database server is running and that host and port in the URL are right and reachable from here.';
  } else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    hint = 'The host name in the URL does not resolve; check it (and DNS) from this machine.';
  } else if (code === '28P01' || code === '28000' || code === 'ER_ACCESS_DENIED_ERROR' || err.errno === 1045) {
    hint = 'Authentication failed: check the user and password in the environment variable that provides the URL.';
  } else if (code === '3D000' || code === 'ER_BAD_DB_ERROR' || err.errno === 1049) {
    hint = 'The database named in the URL does not exist: create it or fix the name.';
  } else {
    hint = 'Check the URL and that the database accepts connections from this machine.';
  }
  if (!detail) detail = 'connection failed';
  return new EnvironmentError(`cannot connect to source database ${shown}: ${detail}`, { hint, cause: e });
}

/** Drivers can echo parts of the URL back; remove the password in raw and URL-encoded forms. */
function scrub(url: string, text: string): string {
  try {
    const password = new URL(url).password;
    if (!password) return text;
    let out = text;
    for (const p of new Set([password, decodeURIComponent(password)])) if (p) out = out.split(p).join('***');
    return out;
  } catch {
    return text;
  }
}
