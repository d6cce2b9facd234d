/**
 * Building blocks for tests that run sweeps for real: a plan file written for the test's own
 * databases, service and task queue; an in-process worker; a Temporal client.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { loadPlanFile, type LoadedPlan } from '../../src/plan/load.js';
import { openPlanResources, type PlanResources } from '../../src/resources/planResources.js';
import { createWorker } from '../../src/temporal/worker.js';
import { verificationDeps } from '../../src/ops/verifyDeps.js';
import { openSession, type Session } from '../../src/ops/session.js';
import { startFulfillmentService, type FulfillmentService } from '../../examples/fulfillment-service/index.js';
import { createTestDatabases, type TestDatabases } from './databases.js';

export const WORKFLOW_CACHE = join(process.cwd(), '.migrate', 'cache');

export interface PlanOptions {
  name?: string;
  sourceUrl: string;
  stateUrl: string;
  serviceUrl: string;
  token?: string;
  /** YAML of the `entities:` block, indented by two spaces. */
  entitiesYaml: string;
  rateLimit?: string;
  taskQueue?: string;
}

/** Writes a plan into a fresh temp folder and returns its path; the task queue is unique per plan. */
export function writeTestPlan(opts: PlanOptions): { file: string; taskQueue: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tracer-plan-'));
  const taskQueue = opts.taskQueue ?? `test-${randomBytes(4).toString('hex')}`;
  const yaml = `version: 1
name: ${opts.name ?? `test-${randomBytes(4).toString('hex')}`}
state: { url: "${opts.stateUrl}" }
temporal: { address: "${inject('temporalAddress')}", taskQueue: ${taskQueue} }
sources:
  legacy: { url: "${opts.sourceUrl}" }
targets:
  fulfillment:
    baseUrl: "${opts.serviceUrl}"
    headers: { Authorization: "Bearer \${TEST_SERVICE_TOKEN:-${opts.token ?? 'none'}}" }
    timeout: 5s
${opts.rateLimit ? `    rateLimit: ${opts.rateLimit}\n` : ''}entities:
${opts.entitiesYaml}`;
  const file = join(dir, 'plan.yaml');
  writeFileSync(file, yaml);
  return { file, taskQueue, dir };
}

export async function loadTestPlan(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedPlan> {
  return loadPlanFile(file, env);
}

export interface RunningWorker {
  worker: Worker;
  resources: PlanResources;
  stop(): Promise<void>;
}

/** Starts an in-process worker for the plan's task queue. */
export async function startTestWorker(loaded: LoadedPlan): Promise<RunningWorker> {
  const resources = await openPlanResources(loaded);
  const { worker, connection } = await createWorker({
    settings: { address: inject('temporalAddress'), namespace: 'default', taskQueue: loaded.plan.temporal.taskQueue },
    deps: { resources, ...verificationDeps() },
    cacheDir: WORKFLOW_CACHE,
    identity: `test-worker-${process.pid}`,
  });
  const running = worker.run();
  return {
    worker,
    resources,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await resources.close();
      await connection.close();
    },
  };
}

export async function testClient(): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return { client: new Client({ connection }), close: () => connection.close() };
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Everything a sweep test runs against: fresh databases, the reference service, a worker, a session. */
export interface LiveStack {
  dbs: TestDatabases;
  sourceUrl: string;
  service: FulfillmentService;
  planFile: string;
  worker: RunningWorker;
  session: Session;
  close(): Promise<void>;
}

export interface LiveStackOptions {
  label: string;
  engine: 'postgres' | 'mysql';
  /** Creates and fills the legacy tables. */
  seed(sourceUrl: string): Promise<void>;
  service?: Omit<Parameters<typeof startFulfillmentService>[0], 'databaseUrl'>;
  plan: Omit<PlanOptions, 'sourceUrl' | 'stateUrl' | 'serviceUrl'>;
  /** Environment the plan is loaded with (e.g. the service token). */
  env?: NodeJS.ProcessEnv;
}

/** Starts a LiveStack; the state store and the service share the PostgreSQL test database. */
export async function startLiveStack(opts: LiveStackOptions): Promise<LiveStack> {
  const dbs = await createTestDatabases(`${opts.label}${opts.engine}`);
  const sourceUrl = opts.engine === 'postgres' ? dbs.pgUrl : dbs.mysqlUrl;
  await opts.seed(sourceUrl);
  const service = await startFulfillmentService({ databaseUrl: dbs.pgUrl, port: 0, ...opts.service });
  const planFile = writeTestPlan({ ...opts.plan, sourceUrl, stateUrl: dbs.pgUrl, serviceUrl: service.url }).file;
  const loaded = await loadTestPlan(planFile, opts.env ?? process.env);
  const worker = await startTestWorker(loaded);
  const session = await openSession(loaded, process.env, process.cwd());
  return {
    dbs,
    sourceUrl,
    service,
    planFile,
    worker,
    session,
    async close() {
      await session.close();
      await worker.stop();
      await service.close();
      await dbs.drop();
    },
  };
}
