/** `migrate consumer rules`: an entity's comparison rules as the rule set the consumer library loads. */
import { writeFile } from 'node:fs/promises';
import { ruleSetFor } from '../compare/compile.js';
import type { ComparisonRuleSet } from '../compare/ruleSet.js';
import { UserError } from '../errors.js';
import { phaseOf, verifyPhaseSchema, type Plan } from '../plan/schema.js';
import { closest } from '../plan/suggest.js';

/** The entity's rule set: map casts and sensitivity, the verify phase's rules (its defaults when it has none). */
export function consumerRules(plan: Plan, entity: string): ComparisonRuleSet {
  const e = plan.entities[entity];
  if (e === undefined) {
    const guess = closest(entity, Object.keys(plan.entities));
    throw new UserError(`plan ${plan.name} has no entity "${entity}"`, {
      hint: guess !== undefined ? `Did you mean "${guess}"? Run: migrate consumer rules --entity ${guess}` : `The plan's entities: ${Object.keys(plan.entities).join(', ')}.`,
    });
  }
  return ruleSetFor(plan.name, entity, e, phaseOf(e, 'verify') ?? verifyPhaseSchema.parse({}));
}

/** Writes the rule set to `file` as JSON (what `createConsumer({ rules })` reads). */
export async function writeConsumerRules(file: string, rules: ComparisonRuleSet): Promise<void> {
  await writeFile(file, `${JSON.stringify(rules, null, 2)}\n`);
}
