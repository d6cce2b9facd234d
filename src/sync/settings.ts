/** An entity's sync phase, or the UserError saying how to declare one; shared by the sync operations and activities. */
import { UserError } from '../errors.js';
import { phaseOf, type SyncPhase } from '../plan/schema.js';
import type { PlanResources } from '../resources/planResources.js';

export function syncSettings(res: Pick<PlanResources, 'entity' | 'planFile'>, entity: string): SyncPhase {
  const phase = phaseOf(res.entity(entity), 'sync');
  if (!phase) {
    throw new UserError(`entity "${entity}" has no sync phase in ${res.planFile}`, {
      hint: `Add \`- sync: { capture: triggers, flag: ${entity}.sync }\` to entities.${entity}.phases.`,
    });
  }
  return phase;
}
