/**
 * What the write switch needs from reverse sync (service → legacy), as a port: whether the reverse
 * path is ready before writes move to the service, and on the way back, the service position at the
 * fence and what reverse sync still lacks to reach it. The worker plugs reverse sync's
 * implementation in (`createWriteSwitchActivities({ reversePath })`); without one the path is not
 * ready, so a forward switch refuses and a rollback cannot pass its catch-up.
 */
export interface ReversePath {
  /** Whether writes may move to the service: reverse sync can read the service's changes and write the legacy. */
  ready(plan: string, entity: string): Promise<{ ok: boolean; detail: string }>;
  /** The service position now, taken once writes are fenced and drained; undefined when the service has no changes to wait for. */
  head(plan: string, entity: string): Promise<string | undefined>;
  /** What reverse sync still lacks to have applied every service change up to `position`, in words; undefined once it has. */
  behind(plan: string, entity: string, position: string): Promise<string | undefined>;
}

/** The reverse path of a build without reverse sync: never ready. */
export const NO_REVERSE_PATH: ReversePath = {
  async ready() {
    return { ok: false, detail: 'this build has no reverse sync to keep the legacy up to date after the switch' };
  },
  async head() {
    return undefined;
  },
  async behind() {
    return 'this build has no reverse sync: nothing brings the legacy up to date';
  },
};
