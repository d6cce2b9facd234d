/** The verification parts of `migrate status` (live verify progress, the latest report's summary). */
import type { StatusSources } from './status.js';

export function statusSources(): StatusSources {
  return {};
}
