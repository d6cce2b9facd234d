/** An entity's cutover phase, or the UserError saying how to declare one; shared by the cutover operations and activities. */
import { UserError } from '../errors.js';
import { phaseOf } from '../plan/schema.js';
import type { PlanResources } from '../resources/planResources.js';

export function cutoverSettings(res: Pick<PlanResources, 'entity' | 'planFile'>, entity: string) {
  const phase = phaseOf(res.entity(entity), 'cutover');
  if (!phase) {
    throw new UserError(`entity "${entity}" has no cutover phase in ${res.planFile}`, {
      hint: `Add \`- cutover: { consumers: [...], stages: [...] }\` to entities.${entity}.phases (docs/plan-file.md).`,
    });
  }
  return phase;
}
