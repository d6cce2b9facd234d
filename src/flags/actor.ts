/** Who is acting, for the audit log. */
import { hostname, userInfo } from 'node:os';

/**
 * `$MIGRATE_ACTOR` when set (CI jobs, bots, SSO names), else `user@host` from the environment or
 * the OS; never throws.
 */
export function currentActor(env: NodeJS.ProcessEnv = process.env, host: () => string = hostname): string {
  const explicit = env.MIGRATE_ACTOR?.trim();
  if (explicit) return explicit;
  let user = env.USER || env.LOGNAME || env.USERNAME;
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      // Containers running as a uid without a passwd entry have no user name.
      user = 'unknown';
    }
  }
  let h: string;
  try {
    h = host() || 'localhost';
  } catch {
    h = 'localhost';
  }
  return `${user}@${h}`;
}
