/**
 * Operations behind `migrate flags`: list, read, flip and export flags, always through the
 * FlagProvider so a team's own flag system can stand in for the state store. Nothing here prints.
 */
import { UserError } from '../errors.js';
import {
  describeRoute,
  entityForFlagChange,
  exportFlagd,
  listingFor,
  NO_REASON,
  parseOnOff,
  readsFlagKey,
  stageOf,
  writesFlagKey,
  type FlagdDocument,
  type FlagListing,
  type FlagProvider,
} from '../flags/index.js';
import { planFlags } from '../flags/planFlags.js';
import type { PublishedRouting } from '../flags/types.js';
import type { Plan } from '../plan/schema.js';
import { didYouMean } from '../plan/suggest.js';

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

/**
 * Refuses on/off reads and writes of `<entity>.reads` / `<entity>.writes`: they are routing flags
 * with variants, published one epoch at a time, and "unset" or a boolean would misstate them.
 */
function refuseRoutingFlag(plan: Plan, name: string, doing: 'read' | 'set'): void {
  const m = /^(.+)\.(reads|writes)$/.exec(name);
  if (!m || !plan.entities[m[1]!]) return;
  throw new UserError(
    doing === 'read'
      ? `${name} is a routing flag with variants, not an on/off flag`
      : `${name} is a routing flag: routing is published as a whole document, one epoch at a time, by the cutover — not set flag by flag`,
    { hint: `\`migrate flags show ${m[1]}\` shows its epoch, variants and each consumer's route.` },
  );
}

/** One flag's value and last change. */
export async function readFlag(plan: Plan, flags: FlagProvider, name: string): Promise<FlagReading> {
  refuseRoutingFlag(plan, name, 'read');
  const [value, known] = await Promise.all([flags.getFlag(name), flags.listFlags()]);
  const row = known.find((f) => f.name === name);
  return { name, enabled: value ?? null, entity: planFlags(plan).get(name) ?? null, updatedAt: row?.updatedAt ?? null, updatedBy: row?.updatedBy ?? null };
}

/** Turns a flag on or off (`raw` is on/off and friends); refuses a name neither the plan nor the provider knows. */
export async function changeFlag(plan: Plan, flags: FlagProvider, name: string, raw: string, actor: string, reason?: string): Promise<FlagChange> {
  refuseRoutingFlag(plan, name, 'set');
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

/** The flagd document of every boolean flag and every entity's routing in force, in one file. */
export async function exportAllFlagd(plan: Plan, flags: FlagProvider): Promise<FlagdDocument> {
  const [listing, routing] = await Promise.all([listFlags(plan, flags), flags.listRouting(plan.name)]);
  return exportFlagd(listing, routing.map((r) => r.document));
}

/** The routing in force of `entity` (or its `epoch`); UserError naming what exists when there is none. */
export async function routingOf(plan: Plan, flags: FlagProvider, entityOrFlag: string, epoch?: number): Promise<PublishedRouting> {
  const entity = entityOfRoutingName(plan, entityOrFlag);
  const routing = await flags.getRouting(plan.name, entity, epoch);
  if (routing) return routing;
  const published = (await flags.listRouting(plan.name)).map((r) => `${r.entity} (epoch ${r.epoch})`);
  if (epoch !== undefined) {
    const now = await flags.getRouting(plan.name, entity);
    if (now) throw new UserError(`routing of ${entity} has no epoch ${epoch}; epochs 1 to ${now.epoch} exist`, { hint: `\`migrate flags show ${entity}\` shows the epoch in force.` });
  }
  throw new UserError(`no routing document has been published for ${entity} in plan ${plan.name}`, {
    hint: published.length > 0 ? `Routing is published for: ${published.join(', ')}.` : 'No entity of this plan has routing yet; the cutover publishes it. `migrate flags list` lists flags and routing.',
  });
}

/** `orders`, `orders.reads` or `orders.writes` → `orders`; UserError for an entity the plan does not have. */
function entityOfRoutingName(plan: Plan, name: string): string {
  const entity = name.replace(/\.(reads|writes)$/, '');
  if (plan.entities[entity]) return entity;
  const suggestion = didYouMean(entity, Object.keys(plan.entities));
  throw new UserError(`plan "${plan.name}" has no entity "${entity}"${suggestion ? `; ${suggestion}` : ''}`, {
    hint: `Entities: ${Object.keys(plan.entities).join(', ')}.`,
  });
}

/** One row per routing flag of `migrate flags list`. */
export interface RoutingListing {
  name: string;
  kind: 'routing';
  entity: string;
  epoch: number;
  variants: string[];
  defaultVariant: string;
  /** Consumer → route in words (`new 10%`), `*` for every consumer not named; null for hand-written targeting. */
  routes: Record<string, string> | null;
  publishedAt: Date;
  publishedBy: string;
}

/** Every routing flag of the plan's routing in force, in name order. */
export async function listRoutingFlags(plan: Plan, flags: FlagProvider): Promise<RoutingListing[]> {
  const rows: RoutingListing[] = [];
  for (const r of await flags.listRouting(plan.name)) rows.push(...routingRows(r));
  return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The two flags of one published routing document as listing rows. */
export function routingRows(r: PublishedRouting): RoutingListing[] {
  const stage = stageOf(r.document);
  const base = { kind: 'routing' as const, entity: r.entity, epoch: r.epoch, publishedAt: r.publishedAt, publishedBy: r.publishedBy };
  return Object.entries(r.document.flags).map(([name, flag]) => {
    let routes: Record<string, string> | null = null;
    if (stage && name === readsFlagKey(r.entity)) {
      routes = {};
      for (const [consumer, route] of Object.entries(stage.reads).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) routes[consumer] = describeRoute(route);
      routes['*'] = describeRoute(stage.otherReads ?? 'legacy');
    } else if (stage && name === writesFlagKey(r.entity)) {
      routes = { '*': stage.writes };
    }
    return { name, ...base, variants: Object.keys(flag.variants), defaultVariant: flag.defaultVariant, routes };
  });
}
