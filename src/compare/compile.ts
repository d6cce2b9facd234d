/**
 * The comparator of `migrate verify` from a plan: the entity's map (target paths, casts, sensitive
 * fields) and its verify phase become comparison rules, compiled by ./rules.ts. `ruleSetFor` ships
 * the same rules to consumers (docs/consumer.md).
 */
import { fieldSpecs } from '../mapping/compile.js';
import type { Entity, VerifyPhase } from '../plan/schema.js';
import { compileRules, type Comparator, type ComparatorOptions, type ComparisonRules, type RuleField } from './rules.js';
import { RULE_SET_FORMAT, type ComparisonRuleSet } from './ruleSet.js';

export { compileRules, REDACTED } from './rules.js';
export type { Comparator, ComparatorOptions, CompareResult, CompareStatus, ComparisonRules, RuleField } from './rules.js';

/** The comparison rules of an entity: its mapped fields' paths, casts and sensitivity, and its verify rules. */
export function planRules(entity: Entity, verify: VerifyPhase, name?: string): ComparisonRules {
  const fields: RuleField[] = fieldSpecs(entity, name).map((s) => ({
    path: s.target,
    ...(s.as !== undefined ? { as: s.as } : {}),
    ...(s.sensitive ? { sensitive: true } : {}),
  }));
  return { fields, ignore: [...verify.ignore], rules: { ...verify.fields } };
}

/**
 * Compiles an entity's map casts and a verify phase's rules into a Comparator. Throws UserError
 * for rules that cannot work (an unknown time zone). Fields the service adds are never differences.
 */
export function compileComparator(entity: Entity, verify: VerifyPhase, options: ComparatorOptions = {}): Comparator {
  return compileRules(planRules(entity, verify, options.name), options);
}

/** The rule set `migrate consumer rules` prints: the entity's comparison rules, without sources or secrets. */
export function ruleSetFor(plan: string, entityName: string, entity: Entity, verify: VerifyPhase): ComparisonRuleSet {
  return { format: RULE_SET_FORMAT, plan, entity: entityName, ...planRules(entity, verify, entityName) };
}
