/** Feature flags: the provider interface, the built-in provider, routing documents, flagd export and the acting user. */
export type { FlagChangeContext, FlagProvider, FlagValue, PublishedRouting } from './types.js';
export { createStateStoreFlagProvider } from './stateStoreProvider.js';
export { exportFlagd, FLAGD_SCHEMA, type FlagdDocument, type FlagdFlag, type FlagdRoutingFlag } from './flagd.js';
export { currentActor } from './actor.js';
export { entityForFlagChange, listingFor, NO_REASON, parseOnOff, planFlags, type FlagListing } from './planFlags.js';
export {
  buildRoutingDocument,
  describeRoute,
  readsFlagKey,
  READ_VARIANTS,
  RoutingStageError,
  stageOf,
  tidyRoutingDocument,
  writesFlagKey,
  WRITE_VARIANTS,
  type ReadRoute,
  type ReadVariant,
  type RoutingDocument,
  type RoutingStage,
  type WriteVariant,
} from './routing.js';
export { parseRoutingDocument, RoutingDocumentError, RoutingEvaluator } from './routingEvaluator.js';
export { routingKey, type RoutingKeyPart } from './routingKey.js';
export { writesSwitched, type SwitchedWrites } from './writesSwitched.js';
