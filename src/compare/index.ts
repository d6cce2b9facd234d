/** Verification comparison: expected (mapped source) items against the service's items. */
export { compileComparator, REDACTED } from './compile.js';
export type { Comparator, ComparatorOptions, CompareResult, CompareStatus } from './compile.js';
export { compileRedactor } from './redact.js';
export { booleanEq, deepEqual, instantEq, jsonEq, numericEq, stringEq, zoneOffset } from './equality.js';
export type { Eq } from './equality.js';
export { compileRules } from './rules.js';
export type { ComparisonRules, RuleField } from './compile.js';
export { compileRuleSet, parseRuleSet, RULE_SET_FORMAT, type ComparisonRuleSet } from './ruleSet.js';
export { planRules, ruleSetFor } from './compile.js';
