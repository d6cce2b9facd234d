/**
 * What the write switch needs from reverse sync (service → legacy), as a port: whether the reverse
 * path is ready before writes move to the service, and on the way back, the service's change
 * position at the fence and whether reverse sync has applied everything up to it. The worker plugs
 * reverse sync's implementation in (`createWriteSwitchActivities({ reversePath })`); without one the
 * path is not ready, so a forward switch refuses and a rollback cannot pass its catch-up.
 */
export interface ReversePath {
  /** Whether writes may move to the service: reverse sync can start and write the legacy. */
  ready(plan: string, entity: string): Promise<{ ok: boolean; detail: string }>;
  /** The service's newest change position now (taken once writes are fenced and drained); undefined when it has none. */
  head(plan: string, entity: string): Promise<string | undefined>;
  /** How many service changes at or before `position` reverse sync has not applied to the legacy yet. */
  pendingUpTo(plan: string, entity: string, position: string): Promise<number>;
}

/** The reverse path of a build without reverse sync: never ready. */
export const NO_REVERSE_PATH: ReversePath = {
  async ready() {
    return { ok: false, detail: 'this build has no reverse sync to keep the legacy up to date after the switch' };
  },
  async head() {
    return undefined;
  },
  async pendingUpTo() {
    throw new Error('this build has no reverse sync: nothing can bring the legacy up to date');
  },
};
