/**
 * Run the reference service as a process:
 *   npx tsx examples/fulfillment-service/main.ts --port 8787 --database-url postgres://… [--token T]
 * Every flag has an environment fallback (FULFILLMENT_PORT, FULFILLMENT_DATABASE_URL, FULFILLMENT_TOKEN,
 * …, see docs/target-protocol.md). Prints `fulfillment service listening on <url>` once it accepts
 * requests, which subprocess tests wait for.
 */
import { parseArgs } from 'node:util';
import { startFulfillmentService, type Knobs, type CollectionConfig } from './server.js';

function fail(message: string): never {
  process.stderr.write(`fulfillment-service: ${message}\n`);
  process.exit(2);
}

function json<T>(name: string, text: string | undefined): T | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    fail(`${name} is not valid JSON`);
  }
}

function num(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) fail(`${name} must be a number, got ${JSON.stringify(text)}`);
  return n;
}

/** Knobs from FULFILLMENT_* variables, then a FULFILLMENT_KNOBS / --knobs JSON object on top. */
function knobsFromEnv(env: NodeJS.ProcessEnv, knobsJson: string | undefined): Partial<Knobs> {
  const k: Partial<Knobs> = {};
  const set = <K extends keyof Knobs>(key: K, v: Knobs[K] | undefined) => {
    if (v !== undefined) k[key] = v;
  };
  set('failRate5xx', num('FULFILLMENT_FAIL_RATE_5XX', env.FULFILLMENT_FAIL_RATE_5XX));
  set('rate429', num('FULFILLMENT_RATE_429', env.FULFILLMENT_RATE_429));
  set('retryAfterSeconds', num('FULFILLMENT_RETRY_AFTER_SECONDS', env.FULFILLMENT_RETRY_AFTER_SECONDS));
  set('latencyMs', num('FULFILLMENT_LATENCY_MS', env.FULFILLMENT_LATENCY_MS));
  if (env.FULFILLMENT_FORCE_401) set('force401', /^(1|true|yes)$/i.test(env.FULFILLMENT_FORCE_401));
  set('reject', json('FULFILLMENT_REJECT', env.FULFILLMENT_REJECT));
  const scope = env.FULFILLMENT_FAIL_SCOPE;
  if (scope !== undefined && scope !== '') {
    if (scope !== 'all' && scope !== 'writes' && scope !== 'reads') fail('FULFILLMENT_FAIL_SCOPE must be all, writes or reads');
    set('failScope', scope);
  }
  return { ...k, ...json<Partial<Knobs>>('--knobs', knobsJson ?? env.FULFILLMENT_KNOBS) };
}

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'database-url': { type: 'string' },
    token: { type: 'string' },
    schema: { type: 'string' },
    collections: { type: 'string' },
    knobs: { type: 'string' },
    'no-track-keys': { type: 'boolean' },
  },
});

const env = process.env;
const databaseUrl = values['database-url'] ?? env.FULFILLMENT_DATABASE_URL;
if (!databaseUrl) fail('give --database-url or FULFILLMENT_DATABASE_URL (a postgres:// URL)');

const service = await startFulfillmentService({
  databaseUrl,
  port: num('--port', values.port ?? env.FULFILLMENT_PORT) ?? 8787,
  host: values.host ?? env.FULFILLMENT_HOST,
  token: values.token ?? (env.FULFILLMENT_TOKEN || undefined),
  schema: values.schema ?? env.FULFILLMENT_SCHEMA,
  collections: json<Record<string, CollectionConfig>>('--collections', values.collections ?? env.FULFILLMENT_COLLECTIONS),
  knobs: knobsFromEnv(env, values.knobs),
  trackKeys: !(values['no-track-keys'] || /^(0|false|no)$/i.test(env.FULFILLMENT_TRACK_KEYS ?? '')),
});
process.stdout.write(`fulfillment service listening on ${service.url}\n`);

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    void service.close().finally(() => process.exit(0));
  });
}
