/** NDJSON progress for machines: each snapshot is one line of JSON, secrets masked in every string. */
import type { DashboardSnapshot, SweepProgress } from '../../progress.js';
import { secrets } from '../../secrets.js';

/** One JSON document on one line (no trailing newline); string values pass through secret redaction. */
export function renderJsonLine(data: DashboardSnapshot | SweepProgress): string {
  // Redact values, not the serialized text: masking cannot then break the JSON.
  return JSON.stringify(data, (_key, value: unknown) => (typeof value === 'string' ? secrets.redact(value) : value));
}
