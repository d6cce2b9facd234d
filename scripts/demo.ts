/**
 * `npm run demo`: a full migration on this machine with embedded defaults — sample legacy database,
 * the reference fulfillment service, a local Temporal dev server and worker started by migrate
 * itself, then plan → backfill (with the progress UI) → verify → status, all through the real CLI.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { seedDemo } from './demo-seed.js';
import { defaultPlanFile } from '../src/cli/resolvePlan.js';

const PLAN = 'plans/orders-postgres.yaml';
const PORT = process.env.DEMO_SERVICE_PORT ?? '8787';
const env: NodeJS.ProcessEnv = {
  ...process.env,
  FULFILLMENT_URL: `http://127.0.0.1:${PORT}`,
  FULFILLMENT_TOKEN: process.env.FULFILLMENT_TOKEN ?? 'dev-token',
  MIGRATE_ACTOR: process.env.MIGRATE_ACTOR ?? 'demo',
};

/** Runs one migrate command as the user would type it, on the demo's plan (made the default below). */
function migrate(...args: string[]): number {
  process.stderr.write(`\n$ migrate ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, ['bin/migrate.js', ...args], { stdio: 'inherit', env });
  return r.status ?? 1;
}

// plans/ holds several plans, so `migrate status` alone would not know which one: the demo's plan
// becomes this folder's default (MIGRATE_PLAN or --plan still override it), for the demo's own
// commands and for every command typed after it.
delete env.MIGRATE_PLAN;
const defaultPlan = defaultPlanFile(env, process.cwd());
mkdirSync(dirname(defaultPlan), { recursive: true });
writeFileSync(defaultPlan, `${PLAN}\n`);
process.stderr.write(`Default plan of this folder: ${PLAN} (written to ${relative(process.cwd(), defaultPlan)}; --plan or MIGRATE_PLAN override it)\n`);

const customers = Number(process.env.DEMO_CUSTOMERS ?? 2_000);
const orders = Number(process.env.DEMO_ORDERS ?? 20_000);
process.stderr.write(`Seeding the sample legacy database tracer_demo (${customers} customers, ${orders} orders)…\n`);
await seedDemo(customers, orders);

const service = spawn(process.execPath, ['--import', 'tsx', 'examples/fulfillment-service/main.ts', '--port', PORT, '--database-url', 'postgres://postgres@127.0.0.1:5432/tracer_fulfillment', '--token', env.FULFILLMENT_TOKEN!], {
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise<void>((resolve, reject) => {
  service.stdout!.on('data', (d: Buffer) => {
    if (d.toString().includes('listening')) resolve();
  });
  service.once('exit', (code) => reject(new Error(`the fulfillment service exited with code ${code}`)));
});
process.stderr.write(`Reference fulfillment service on http://127.0.0.1:${PORT}\n`);

let status = 0;
try {
  for (const step of [
    ['plan'],
    ['backfill', '--entity', 'customers', '--restart'],
    ['backfill', '--entity', 'orders', '--restart'],
    ['verify', '--entity', 'customers'],
    ['verify', '--entity', 'orders'],
    ['status'],
  ]) {
    const code = migrate(...step);
    if (code !== 0) {
      status = code;
      break;
    }
  }
} finally {
  service.kill('SIGTERM');
}
process.stderr.write(
  status === 0
    ? `\nDone. The Temporal dev server and the background worker keep running (see .migrate/): \`npx migrate status\` shows where ${PLAN} stands, \`npx migrate local stop\` stops them.\n`
    : `\nThe demo stopped at a failing step (exit ${status}).\n`,
);
process.exitCode = status;
