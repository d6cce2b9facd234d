/** Durations ("500ms", "10s", "30m", "1h", "7d") and rates ("2000/s", "100/m"): parse and format. */

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const RATE = /^(\d+(?:\.\d+)?)\/(s|m|h)$/;
const RATE_UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600 };

export const DURATION_PATTERN = DURATION.source;
export const RATE_PATTERN = RATE.source;

/** Milliseconds of a duration string, or undefined when it does not parse. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** Milliseconds of a duration string; throws on a string the schema should have rejected. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`invalid duration ${JSON.stringify(text)} passed validation`);
  return ms;
}

/** Events per second of a rate string, or undefined when it does not parse. */
export function parseRate(text: string): number | undefined {
  const m = RATE.exec(text.trim());
  if (!m) return undefined;
  const perSecond = Number(m[1]) / RATE_UNIT_S[m[2]!]!;
  return perSecond > 0 ? perSecond : undefined;
}

/** "1h 2m", "45s", "800ms": short human form of a duration in ms. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${m % 60}m`;
}
