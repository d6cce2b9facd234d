/** The verification parts of the worker's activities (compare visitor, report builder). */
import type { SweepActivityDeps } from '../activities/sweep.js';

export function verificationDeps(): Pick<SweepActivityDeps, 'compareVisitor'> {
  return {};
}
