/** Runs one worker for a plan until SIGINT/SIGTERM, then drains it and closes the pools. */
import type { LoadedPlan } from '../plan/load.js';
import { openPlanResources } from '../resources/planResources.js';
import { resolveTemporalSettings } from '../temporal/settings.js';
import { withAddress } from '../temporal/connect.js';
import { migrateHome } from '../temporal/local.js';
import { join } from 'node:path';
import { verificationDeps } from './verifyDeps.js';
import { effectiveHeapLimitMb, stopWithParent } from './workerHeap.js';
import { warmUp } from '../resources/warmUp.js';
import { secrets } from '../secrets.js';

export async function runWorkerUntilSignalled(opts: {
  loaded: LoadedPlan;
  env: NodeJS.ProcessEnv;
  cwd: string;
  identity: string;
  maxActivities: number;
  /** Also serve the plan's routing documents read-only over HTTP on this port (src/ops/flagsServer.ts). */
  serveRouting?: { host: string; port: number };
  log: (line: string) => void;
}): Promise<void> {
  const { settings, startedLocal } = await withAddress(resolveTemporalSettings(opts.loaded.plan, opts.env), opts.env, opts.cwd);
  if (startedLocal) opts.log(`Started a local Temporal dev server at ${startedLocal.address} (state ${startedLocal.dbFile}, UI ${startedLocal.uiUrl}).`);
  const resources = await openPlanResources(opts.loaded);
  // The worker SDK is loaded only by the worker command: it is slow to import.
  const { createWorker } = await import('../temporal/worker.js');
  const { worker, connection } = await createWorker({
    settings,
    deps: { resources, ...verificationDeps() },
    cacheDir: join(migrateHome(opts.env, opts.cwd), 'cache'),
    identity: opts.identity,
    maxConcurrentActivities: opts.maxActivities,
  });
  // Consumers then read routing from a process that already runs next to them, without database credentials.
  const routingServer = opts.serveRouting
    ? await (await import('./flagsServer.js')).startFlagsServer({ plan: opts.loaded.plan, flags: await resources.flags(), ...opts.serveRouting, log: opts.log })
    : undefined;
  if (routingServer) opts.log(`serving routing documents of plan ${opts.loaded.plan.name} read-only at ${routingServer.url}/routing/<entity>`);
  const stop = () => worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  stopWithParent(stop, opts.log);
  // In the background: polling starts now, and a piece that cannot be opened is only reported.
  const warming = warmUp(resources).then((problems) => {
    for (const p of problems) opts.log(secrets.redact(`worker ${opts.identity}: could not open ${p.what} yet (${p.error}); activities that need it will try again`));
  });
  opts.log(`worker ${opts.identity} polling task queue "${settings.taskQueue}" on ${settings.address} (namespace ${settings.namespace}) for plan ${opts.loaded.plan.name}; heap limit ${effectiveHeapLimitMb()} MB`);
  try {
    await worker.run();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await routingServer?.close();
    // A pool the warm-up opened after close() would keep the process alive.
    await warming;
    await resources.close();
    await connection.close();
    opts.log(`worker ${opts.identity} stopped`);
  }
}
