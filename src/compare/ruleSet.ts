/**
 * The comparison rules of one entity as a self-contained JSON document (a "rule set"), so code
 * outside `migrate` — the consumer library's shadow reads — compares exactly as `migrate verify`
 * does. It carries target paths, casts, verify rules and which fields are sensitive; never source
 * columns, connection details or values, so it can be shipped to applications.
 */
import { z } from 'zod';
import { UserError } from '../errors.js';
import { castSchema, fieldRuleSchema } from './ruleSchema.js';
import { compileRules, type Comparator, type ComparisonRules } from './rules.js';

export const RULE_SET_FORMAT = 'tracer-comparison-rules/v1';

export interface ComparisonRuleSet extends ComparisonRules {
  format: typeof RULE_SET_FORMAT;
  plan: string;
  entity: string;
}

const ruleSetSchema = z.strictObject({
  format: z.literal(RULE_SET_FORMAT),
  plan: z.string().min(1),
  entity: z.string().min(1),
  fields: z.array(z.strictObject({ path: z.string().min(1), as: castSchema.optional(), sensitive: z.boolean().optional() })),
  ignore: z.array(z.string().min(1)),
  rules: z.record(z.string(), fieldRuleSchema),
});

/** Checks a rule set read from JSON; a UserError names the broken field and how to get a good one. */
export function parseRuleSet(input: unknown, where = 'rule set'): ComparisonRuleSet {
  const r = ruleSetSchema.safeParse(input);
  if (r.success) return r.data as ComparisonRuleSet;
  const issue = r.error.issues[0]!;
  const path = issue.path.join('.');
  throw new UserError(`${where}: ${path === '' ? '' : `${path}: `}${issue.message}`, {
    hint: 'Export it again with `migrate consumer rules --entity <name> --out <file>` from the plan that drives the migration.',
  });
}

/** A comparator from a rule set: the same comparison `migrate verify` makes for that entity. */
export function compileRuleSet(set: ComparisonRuleSet): Comparator {
  return compileRules(set, { name: set.entity });
}
