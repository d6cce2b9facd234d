/**
 * Worker bootstrap: one native connection, the workflow bundle (cached on disk, since webpack
 * takes seconds and workers restart often), activities built from the plan's resources.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode, type LogLevel } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { EnvironmentError } from '../errors.js';
import { secrets } from '../secrets.js';
import type { TemporalSettings } from './settings.js';
import { workflowSourceFiles } from './workflowSources.js';

const here = dirname(fileURLToPath(import.meta.url));
// The workflows are bundled from wherever this module runs: src/*.ts in development (tsx), the
// compiled dist/*.js in the package. The extension of this very file says which.
const EXT = extname(fileURLToPath(import.meta.url));
const WORKFLOWS_ENTRY = join(here, '..', 'workflows', `index${EXT}`);
// Package versions end up in the bundle too: the lockfile in a checkout, the workflow SDK's version anywhere.
const LOCKFILE = join(here, '..', '..', 'package-lock.json');
const SDK_PACKAGE = createRequire(import.meta.url).resolve('@temporalio/workflow/package.json');

const BUNDLE_DEVTOOL = 'inline-nosources-source-map';

let runtimeInstalled = false;

/** Routes the SDK's own logs through redaction to stderr; once per process. */
export function installRuntime(level: LogLevel = 'WARN'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      process.stderr.write(secrets.redact(`[temporal ${entry.level}] ${entry.message}`) + '\n');
    }),
  });
}

/** Changes whenever a file the bundle is built from changes, found by following the workflows' imports. */
function bundleKey(): string {
  const h = createHash('sha256').update(BUNDLE_DEVTOOL);
  for (const f of [...workflowSourceFiles(WORKFLOWS_ENTRY), SDK_PACKAGE, ...(existsSync(LOCKFILE) ? [LOCKFILE] : [])]) {
    h.update(f).update(readFileSync(f));
  }
  return h.digest('hex').slice(0, 16);
}

/** The workflow bundle, from `<cacheDir>/workflows-<hash>.js` when sources are unchanged. */
export async function workflowBundle(cacheDir: string): Promise<{ code: string }> {
  const file = join(cacheDir, `workflows-${bundleKey()}.js`);
  if (existsSync(file)) return { code: readFileSync(file, 'utf8') };
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_ENTRY,
    logger: new DefaultLogger('ERROR'),
    // The SDK needs an inline source map (stack traces name src/ files and lines), not the sources
    // inside it: without them the bundle is half the size that every worker parses and keeps.
    webpackConfigHook: (config) => ({ ...config, devtool: BUNDLE_DEVTOOL }),
  });
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, file);
  return { code };
}

export interface WorkerOptions {
  settings: TemporalSettings & { address: string };
  deps: ActivityDeps;
  cacheDir: string;
  identity?: string;
  /** Activity slots; partitions of all sweeps share them. */
  maxConcurrentActivities?: number;
}

/** Creates a worker polling the plan's task queue; call `run()` on it and `shutdown()` to stop. */
export async function createWorker(opts: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  installRuntime();
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect({
      address: opts.settings.address,
      tls: opts.settings.tls as never,
      apiKey: opts.settings.apiKey,
      metadata: opts.settings.metadata,
    });
  } catch (e) {
    throw new EnvironmentError(`the worker cannot reach Temporal at ${opts.settings.address}: ${secrets.redact((e as Error).message)}`, {
      hint: 'Check TEMPORAL_ADDRESS (or temporal.address in the plan) and that the server is up.',
    });
  }
  const worker = await Worker.create({
    connection,
    namespace: opts.settings.namespace,
    taskQueue: opts.settings.taskQueue,
    workflowBundle: await workflowBundle(opts.cacheDir),
    activities: createActivities(opts.deps),
    identity: opts.identity,
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities ?? 64,
    shutdownGraceTime: '5s',
  });
  return { worker, connection };
}
