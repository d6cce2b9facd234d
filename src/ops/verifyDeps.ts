/** The verification parts of the worker's activities: the compare visitor plugged into the sweep. */
import type { SweepActivityDeps } from '../activities/sweepActivities.js';
import { compareVisitorFactory } from '../activities/verifyActivities.js';

export function verificationDeps(): Pick<SweepActivityDeps, 'compareVisitor'> {
  return { compareVisitor: compareVisitorFactory };
}
