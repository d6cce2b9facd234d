/**
 * A command's live session with Temporal for one plan: the connection, the plan's resources and
 * what was started on the way (a local dev server), closed together.
 */
import type { LoadedPlan } from '../plan/load.js';
import { openPlanResources, type PlanResources } from '../resources/planResources.js';
import type { ConnectedTemporal } from '../temporal/connect.js';
import { resolveTemporalSettings } from '../temporal/settings.js';

export interface Session {
  loaded: LoadedPlan;
  resources: PlanResources;
  temporal: ConnectedTemporal;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** False for read-only commands that must not start servers (default true). */
  startLocal?: boolean;
  /**
   * For commands that only read state (`status`, `plan`): the state store connects while Temporal
   * is imported and reached, instead of after, and plan transforms are not imported.
   */
  readState?: boolean;
}

/** Connects for one command. */
export async function openSession(loaded: LoadedPlan, env: NodeJS.ProcessEnv, cwd: string, opts: SessionOptions = {}): Promise<Session> {
  const resources = await openPlanResources(loaded, { transforms: !opts.readState });
  if (opts.readState) {
    // Started now and awaited by the first read, which sees its error (so none goes unhandled here).
    resources.stateStore().catch(() => undefined);
  }
  let temporal: ConnectedTemporal;
  try {
    // Imported here rather than at the top: loading the Temporal client is the largest single cost
    // of a start, and the state store's connection proceeds meanwhile.
    const { connectClient } = await import('../temporal/connect.js');
    temporal = await connectClient(resolveTemporalSettings(loaded.plan, env), env, cwd, opts.startLocal ?? true);
  } catch (e) {
    await resources.close().catch(() => undefined);
    throw e;
  }
  return {
    loaded,
    resources,
    temporal,
    async close() {
      await Promise.allSettled([resources.close(), temporal.close()]);
    },
  };
}
