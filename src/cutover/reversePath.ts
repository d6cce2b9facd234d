/**
 * What the write switch needs from reverse sync (service → legacy), as a port: whether the reverse
 * path is ready before writes move to the service, and on the way back, the service position at the
 * fence and what reverse sync still lacks to reach it. Reverse sync implements it
 * (src/sync/reversePath.ts); tests plug their own into `createWriteSwitchActivities({ reversePath })`.
 */
export interface ReversePath {
  /** Whether writes may move to the service: reverse sync can read the service's changes and write the legacy. */
  ready(plan: string, entity: string): Promise<{ ok: boolean; detail: string }>;
  /** The service position now, taken once writes are fenced and drained; undefined when the service has no changes to wait for. */
  head(plan: string, entity: string): Promise<string | undefined>;
  /** What reverse sync still lacks to have applied every service change up to `position`, in words; undefined once it has. */
  behind(plan: string, entity: string, position: string): Promise<string | undefined>;
}
