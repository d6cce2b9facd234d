/** The verification parts of the worker's activities: the compare visitor plugged into the sweep. */
import type { SweepActivityDeps } from '../activities/sweep.js';
import { compareVisitorFactory } from '../activities/verify.js';

export function verificationDeps(): Pick<SweepActivityDeps, 'compareVisitor'> {
  return { compareVisitor: compareVisitorFactory };
}
