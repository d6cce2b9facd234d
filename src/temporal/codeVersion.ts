/**
 * A short fingerprint of Tracer's own sources. A background worker started by an older checkout
 * would run old workflow and activity code against new commands; its identity carries this
 * fingerprint so `ensureWorker` can tell and replace it.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : /\.(tsx?|js)$/.test(d.name) ? [join(dir, d.name)] : []))
    .sort();
}

let cached: string | undefined;

/** 12 hex characters that change whenever any file under src/ (or, installed, dist/) changes. */
export function codeVersion(): string {
  if (!cached) {
    const h = createHash('sha256');
    for (const f of files(SRC)) h.update(f.slice(SRC.length)).update(readFileSync(f));
    cached = h.digest('hex').slice(0, 12);
  }
  return cached;
}
