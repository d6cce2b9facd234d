/** Feature flags: the provider interface, the built-in provider, flagd export and the acting user. */
export type { FlagChangeContext, FlagProvider, FlagValue } from './types.js';
export { createStateStoreFlagProvider } from './stateStoreProvider.js';
export { exportFlagd, FLAGD_SCHEMA, type FlagdDocument, type FlagdFlag } from './flagd.js';
export { currentActor } from './actor.js';
export { entityForFlagChange, listingFor, NO_REASON, parseOnOff, planFlags, type FlagListing } from './planFlags.js';
