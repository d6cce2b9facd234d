/** An entity named on the command line, looked up in the plan before anything is started or changed. */
import { UserError } from '../errors.js';
import type { Entity, Plan } from './schema.js';

/** Names listed in the hint at most; a plan may hold thousands. */
const MAX_LISTED = 20;

/** The entity, or a UserError naming the plan's entities (the name as given is shortened when long). */
export function requireEntity(plan: Plan, file: string, name: string): Entity {
  const e = Object.hasOwn(plan.entities, name) ? plan.entities[name] : undefined;
  if (e) return e;
  const names = Object.keys(plan.entities);
  const listed = names.length > MAX_LISTED ? `${names.slice(0, MAX_LISTED).join(', ')} and ${names.length - MAX_LISTED} more (see \`migrate plan\`)` : names.join(', ');
  const shown = name.length > 80 ? `${name.slice(0, 60)}…(${name.length} characters)` : name;
  throw new UserError(`entity "${shown}" is not in plan ${plan.name} (${file})`, { hint: `Entities in this plan: ${listed}.` });
}
