/**
 * A command's live session with Temporal for one plan: the connection, the plan's resources and
 * what was started on the way (a local dev server), closed together.
 */
import type { LoadedPlan } from '../plan/load.js';
import { openPlanResources, type PlanResources } from '../resources/planResources.js';
import { connectClient, type ConnectedTemporal } from '../temporal/connect.js';
import { resolveTemporalSettings } from '../temporal/settings.js';

export interface Session {
  loaded: LoadedPlan;
  resources: PlanResources;
  temporal: ConnectedTemporal;
  close(): Promise<void>;
}

/** Connects for one command; `startLocal: false` for read-only commands that must not start servers. */
export async function openSession(loaded: LoadedPlan, env: NodeJS.ProcessEnv, cwd: string, opts: { startLocal?: boolean } = {}): Promise<Session> {
  const temporal = await connectClient(resolveTemporalSettings(loaded.plan, env), env, cwd, opts.startLocal ?? true);
  const resources = await openPlanResources(loaded);
  return {
    loaded,
    resources,
    temporal,
    async close() {
      await Promise.allSettled([resources.close(), temporal.close()]);
    },
  };
}
