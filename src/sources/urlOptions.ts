/**
 * Driver options in a source URL that would change how values are read. Kept apart from the
 * drivers so the plan's preflight can name them without loading one.
 */

/**
 * mysql2 options a URL's query may set that change how values are read. mysql2 lets the URL win
 * over explicit options, so `?decimalNumbers=true` would send DECIMALs through a double: they are
 * dropped from the URL (and `plan --check` warns about them, see `valueOptionsInUrl`).
 */
const VALUE_OPTIONS = ['decimalNumbers', 'supportBigNumbers', 'bigNumberStrings', 'dateStrings', 'timezone', 'typeCast', 'jsonStrings', 'rowsAsArray', 'nestTables'];

/** The value-shaping driver options a MySQL URL sets, which Tracer ignores to keep values exact. */
export function valueOptionsInUrl(url: string): string[] {
  const q = url.indexOf('?');
  if (q < 0) return [];
  const params = new URLSearchParams(url.slice(q + 1));
  return VALUE_OPTIONS.filter((o) => params.has(o));
}

/** The URL without value-shaping options. */
export function withoutValueOptions(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const o of VALUE_OPTIONS) params.delete(o);
  const rest = params.toString();
  return url.slice(0, q) + (rest === '' ? '' : `?${rest}`);
}
