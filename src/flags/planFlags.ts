/** Which flags a plan uses, and the rules for changing one from the command line. */
import { UserError } from '../errors.js';
import { phaseOf, type Plan } from '../plan/schema.js';
import { didYouMean } from '../plan/suggest.js';
import type { FlagValue } from '../state/types.js';

export { NO_REASON } from './noReason.js';

/** Flag name → entity, for every flag the plan's phases name. */
export function planFlags(plan: Plan): Map<string, string> {
  const out = new Map<string, string>();
  for (const [entity, e] of Object.entries(plan.entities)) {
    const flag = phaseOf(e, 'backfill')?.flag;
    if (flag) out.set(flag, entity);
  }
  return out;
}

/** `on`/`off` (also true/false, 1/0, enable/disable) as a boolean; UserError otherwise. */
export function parseOnOff(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['on', 'true', '1', 'enable', 'enabled', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'disable', 'disabled', 'no'].includes(v)) return false;
  throw new UserError(`"${value}" is neither on nor off`, { hint: 'write `migrate flags set <name> on` or `... off`' });
}

/**
 * The entity a flag change is recorded against. A name neither the plan nor the store knows is
 * refused: a typo must not leave an operator believing a backfill is stopped when it is not.
 */
export function entityForFlagChange(name: string, plan: Plan, known: readonly FlagValue[]): string | undefined {
  const fromPlan = planFlags(plan);
  if (fromPlan.has(name)) return fromPlan.get(name);
  if (known.some((f) => f.name === name)) return undefined;
  const candidates = [...fromPlan.keys(), ...known.map((f) => f.name)];
  const suggestion = didYouMean(name, candidates);
  throw new UserError(`plan "${plan.name}" uses no flag named "${name}"${suggestion ? `; ${suggestion}` : ''}`, {
    hint: candidates.length > 0 ? `known flags: ${[...new Set(candidates)].sort().join(', ')}` : 'the plan declares flags in phases[].backfill.flag',
  });
}

/** One row of `migrate flags list`: the store's flags and the plan's flags never set yet. */
export interface FlagListing {
  name: string;
  enabled: boolean;
  /** False for a plan flag never set: it reads as off (a backfill does not copy until it is turned on). */
  set: boolean;
  entity?: string;
  updatedAt?: Date;
  updatedBy?: string;
}

/** Merges stored flags with the plan's unset ones, in name order. */
export function listingFor(plan: Plan, stored: readonly FlagValue[]): FlagListing[] {
  const fromPlan = planFlags(plan);
  const rows = new Map<string, FlagListing>();
  for (const f of stored) {
    const entity = fromPlan.get(f.name);
    rows.set(f.name, { name: f.name, enabled: f.enabled, set: true, ...(entity ? { entity } : {}), updatedAt: f.updatedAt, updatedBy: f.updatedBy });
  }
  for (const [name, entity] of fromPlan) if (!rows.has(name)) rows.set(name, { name, enabled: false, set: false, entity });
  return [...rows.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
