/** The worker's activities, built from injected dependencies (pools are opened once, by the caller). */
import { createSweepActivities, type SweepActivityDeps } from './sweepActivities.js';
import { createVerifyActivities } from './verifyActivities.js';
import { createSyncActivities } from './syncActivities.js';
import { createCutoverActivities } from './cutoverActivities.js';
import { createWriteSwitchActivities } from './writeSwitchActivities.js';
import { createReverseSyncActivities } from './reverseSyncActivities.js';
import { createLifecycleActivities } from './lifecycleActivities.js';
import { createReversePath } from '../sync/reversePath.js';
import { withFailureMapping } from './failureMapping.js';

export type ActivityDeps = SweepActivityDeps;

export function createActivities(deps: ActivityDeps) {
  return withFailureMapping({
    ...createSweepActivities(deps),
    ...createVerifyActivities(deps),
    ...createSyncActivities(deps),
    ...createCutoverActivities(deps),
    ...createWriteSwitchActivities({ ...deps, reversePath: createReversePath(deps.resources) }),
    ...createReverseSyncActivities(deps),
    ...createLifecycleActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
