/**
 * Operations behind `migrate flags`: list, read, flip and export flags, always through the
 * FlagProvider so a team's own flag system can stand in for the state store. Nothing here prints.
 */
import { entityForFlagChange, exportFlagd, listingFor, NO_REASON, parseOnOff, type FlagdDocument, type FlagListing, type FlagProvider } from '../flags/index.js';
import { planFlags } from '../flags/planFlags.js';
import type { Plan } from '../plan/schema.js';

export interface FlagReading {
  name: string;
  /** null when the flag was never set (it reads as off). */
  enabled: boolean | null;
  entity: string | null;
  updatedAt: Date | null;
  updatedBy: string | null;
}

export interface FlagChange {
  name: string;
  enabled: boolean;
  previous: boolean | null;
  entity: string | null;
  actor: string;
  reason: string;
  /** False when no --reason was given and NO_REASON was recorded. */
  reasonGiven: boolean;
}

/** Every flag the provider knows and the plan's flags never set, in name order. */
export async function listFlags(plan: Plan, flags: FlagProvider): Promise<FlagListing[]> {
  return listingFor(plan, await flags.listFlags());
}

/** One flag's value and last change. */
export async function readFlag(plan: Plan, flags: FlagProvider, name: string): Promise<FlagReading> {
  const [value, known] = await Promise.all([flags.getFlag(name), flags.listFlags()]);
  const row = known.find((f) => f.name === name);
  return { name, enabled: value ?? null, entity: planFlags(plan).get(name) ?? null, updatedAt: row?.updatedAt ?? null, updatedBy: row?.updatedBy ?? null };
}

/** Turns a flag on or off (`raw` is on/off and friends); refuses a name neither the plan nor the provider knows. */
export async function changeFlag(plan: Plan, flags: FlagProvider, name: string, raw: string, actor: string, reason?: string): Promise<FlagChange> {
  const enabled = parseOnOff(raw);
  const entity = entityForFlagChange(name, plan, await flags.listFlags());
  const previous = await flags.getFlag(name);
  const why = reason?.trim() || NO_REASON;
  await flags.setFlag(name, enabled, { plan: plan.name, actor, reason: why, ...(entity ? { entity } : {}) });
  return { name, enabled, previous: previous ?? null, entity: entity ?? null, actor, reason: why, reasonGiven: why !== NO_REASON };
}

/** The flagd flag-definition document of every flag. */
export async function exportFlags(plan: Plan, flags: FlagProvider): Promise<FlagdDocument> {
  return exportFlagd(await listFlags(plan, flags));
}
