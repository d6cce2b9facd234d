/** The reference target service, for tests, the demo and benchmarks. */
export {
  startFulfillmentService,
  canonicalKey,
  DEFAULT_KNOBS,
  type FulfillmentService,
  type FulfillmentServiceOptions,
  type Knobs,
  type RejectRule,
  type RequestLog,
  type CollectionConfig,
} from './server.js';
