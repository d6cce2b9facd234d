/**
 * Secret redaction. Values that came from the environment into secret positions (headers,
 * credentials in URLs, variables whose names look secret) are registered here; every renderer,
 * log line and error message passes through `redact` before it leaves the process.
 */

const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|PWD|KEY|AUTH|CREDENTIAL|PRIVATE)/i;
const MASK = '***';

/** A set of secret strings; `redact` replaces every occurrence of any of them. */
export class SecretRegistry {
  private readonly values = new Set<string>();

  add(value: string | undefined | null): void {
    // Very short values would mask ordinary words in output; such secrets are useless anyway.
    if (value && value.length >= 4) this.values.add(value);
  }

  /** Register the env value when the variable's name suggests a secret. */
  addIfSecretName(name: string, value: string | undefined): void {
    if (SECRET_NAME.test(name)) this.add(value);
  }

  /** Register the password (and user, when a password is present) of a connection URL. */
  addUrlCredentials(url: string): void {
    try {
      const u = new URL(url);
      if (u.password) {
        this.add(decodeURIComponent(u.password));
        this.add(u.password);
      }
    } catch {
      /* not a URL: nothing to register */
    }
  }

  redact(text: string): string {
    let out = text;
    // Longest first so that a secret containing another is masked whole.
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) {
      if (out.includes(v)) out = out.split(v).join(MASK);
    }
    return out;
  }

  get size(): number {
    return this.values.size;
  }
}

/** The process-wide registry used by output and logging. */
export const secrets = new SecretRegistry();

/** A URL fit for display: credentials removed, whatever the registry knows. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = u.username ? u.username : '';
      u.password = u.password ? MASK : '';
    }
    for (const k of [...u.searchParams.keys()]) {
      if (SECRET_NAME.test(k)) u.searchParams.set(k, MASK);
    }
    return u.toString();
  } catch {
    return secrets.redact(url);
  }
}
