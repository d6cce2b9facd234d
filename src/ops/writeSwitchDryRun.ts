/**
 * The write switch's dry run: every step the switch would take, in order, with the preconditions'
 * current answers — the same step list (src/cutover/writeSwitchSteps.ts) and the same checks
 * (src/cutover/writeSwitchChecks.ts) the workflow uses, so the dry run shows what the run does.
 * Reads only; `migrate cutover --dry-run` prints it.
 */
import { checkPortsOf, preconditionChecks, writeSwitchTiming } from '../cutover/writeSwitchChecks.js';
import type { ReversePath } from '../cutover/reversePath.js';
import { dryRunSteps, writeSwitchSteps } from '../cutover/writeSwitchSteps.js';
import type { PlanResources } from '../resources/planResources.js';
import type { WriteSwitchInput, WriteSwitchStep } from '../workflows/cutoverDefinitions.js';

export async function planWriteSwitch(res: PlanResources, input: WriteSwitchInput, opts: { reversePath?: ReversePath; now?: () => number } = {}): Promise<WriteSwitchStep[]> {
  const timing = writeSwitchTiming(res.entity(input.entity));
  const defs = writeSwitchSteps(input, timing);
  if (input.to !== 'new') return dryRunSteps(defs);
  const checks = await preconditionChecks(await checkPortsOf(res, input.plan, input.entity, opts), input, timing);
  return dryRunSteps(defs, checks);
}
