/**
 * `tracer-migrate/consumer`: the library applications use to follow a cutover. See docs/consumer.md.
 * Imports only pure modules (comparison rules, routing); never the CLI, Temporal, Ink or the plan file.
 */
export { createConsumer } from './consumer.js';
export type { Consumer, ConsumerOptions, ReadOps, ReplayResult, WriteOps } from './consumer.js';
export { ConsumerConfigError, ConsumerError, RoutingUnavailableError, WriteFencedError } from './errors.js';
export { routingKey, parseRoutingDocument } from './routing.js';
export type { EntityKey, FencePolicy, ReadRoute, RoutingDocument, WriteRoute } from './routing.js';
export type { FailedWrite } from './failureLog.js';
export { consumerReportSchema, LATENCY_BUCKETS_MS, REPORT_FORMAT } from './report.js';
export type { ConsumerReport, EpochCounts, LatencyStats, MismatchSample } from './report.js';
export type { ReportTransport } from './reporter.js';
export { compileRuleSet, parseRuleSet, RULE_SET_FORMAT, type ComparisonRuleSet } from '../compare/ruleSet.js';
export { createOpenFeatureProvider, type TracerRoutingProvider } from './openfeature.js';
