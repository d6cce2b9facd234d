/**
 * Where a request to a target really goes. `fetch` normalises the URL it is given: `..` and `.`
 * segments are removed, `%2e` counts as `.` and `\` as `/`; so `/v1/../../admin/reset-log` under
 * `http://svc` is a request to `/admin/reset-log`. A path may use dot segments inside the base URL,
 * never to climb out of it: the plan is refused (src/plan/meaning.ts) and so is the request.
 */
import { TargetPermanentError } from './errors.js';

export type RequestUrl =
  | { ok: true; url: URL }
  /** `resolved` is where the request would have gone (origin and path, no query). */
  | { ok: false; resolved: string };

/** Deep enough that no plan path climbs past it without being counted. */
const SENTINEL_DEPTH = 64;
const SENTINEL = `http://sentinel.invalid/${Array.from({ length: SENTINEL_DEPTH }, (_, i) => `s${i}`).join('/')}`;

/** The URL of `path` under `baseUrl` as fetch would resolve it, or where it would leave the base. */
export function requestUrl(baseUrl: string, path: string): RequestUrl {
  const base = baseUrl.replace(/\/+$/, '');
  let root: URL;
  let url: URL;
  try {
    root = new URL(base);
    url = new URL(base + path);
  } catch {
    return { ok: false, resolved: base + path };
  }
  const resolved = `${url.origin}${url.pathname}`;
  const rootPath = root.pathname.replace(/\/+$/, '');
  if (url.origin !== root.origin) return { ok: false, resolved };
  if (rootPath !== '' && url.pathname !== rootPath && !url.pathname.startsWith(`${rootPath}/`)) return { ok: false, resolved };
  // Under a base at the server's root, `..` cannot leave the path, only be clamped at `/`: that
  // clamping is the climb. The same path under a deep sentinel shows whether it climbs.
  const probe = new URL(SENTINEL + path);
  if (!probe.pathname.startsWith(`${new URL(SENTINEL).pathname}/`) && probe.pathname !== new URL(SENTINEL).pathname) return { ok: false, resolved };
  return { ok: true, url };
}

/** Throws a permanent target error, naming where the request would have gone, when it leaves the base URL. */
export function assertUnderBase(service: string, baseUrl: string, method: string, path: string): void {
  const r = requestUrl(baseUrl, path);
  if (!r.ok) {
    throw new TargetPermanentError(service, 0, `refused to send ${method} ${path.slice(0, 200)}: it resolves to ${r.resolved.slice(0, 200)}, outside targets.${service}.baseUrl`);
  }
}
