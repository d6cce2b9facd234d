/** `migrate worker`: a long-lived worker for the plan's task queue; run as many as you like, anywhere. */
import { InvalidArgumentError, type Command } from 'commander';
import { hostname } from 'node:os';
import type { RegisterCommand } from './index.js';
import { ChildProcessExit } from '../errors.js';

/**
 * What the action needs, imported when it runs: `--help` must not pay for Temporal, pg and zod. The
 * heap check comes first and alone: a worker started without a heap cap runs again as a child under
 * one, and the parent, which only waits for it, then never loads the Temporal SDK (it sat at 94 MB).
 */
const loadHeap = () => import('../ops/workerHeap.js');
const loadWorker = async () => ({
  ...(await import('../cli/resolvePlan.js')),
  ...(await import('../ops/worker.js')),
});

const register: RegisterCommand = (program, context): Command =>
  program
    .command('worker')
    .description('run a worker that executes backfills and verifications for the plan (stops on SIGINT/SIGTERM)')
    .option('--identity <name>', 'worker identity shown in Temporal', `${hostname()}:${process.pid}`)
    .option('--max-activities <n>', 'concurrent activity slots', (v) => Number.parseInt(v, 10), 64)
    .option('--max-heap <mb>', 'V8 old-space cap in MB, 0 for none (default: $MIGRATE_WORKER_HEAP_MB, else 256)')
    .option('--serve-routing <port>', 'also serve routing documents read-only over HTTP on this port, as `migrate flags serve` does', (v) => {
      if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError(`--serve-routing must be a port number, got "${v}"`);
      return Number(v);
    })
    .option('--serve-host <host>', 'address for --serve-routing', '127.0.0.1')
    .action(async (opts: { identity: string; maxActivities: number; maxHeap?: string; serveRouting?: number; serveHost: string }) => {
      const { workerHeapMb, heapAlreadyLimited, runUnderHeapCap } = await loadHeap();
      const ctx = context();
      const heapMb = workerHeapMb(opts.maxHeap, ctx.env);
      if (heapMb > 0 && !heapAlreadyLimited(process.execArgv, ctx.env)) {
        // A heap limit is set only when Node starts: run this command again under one.
        const code = await runUnderHeapCap(heapMb, ctx.env);
        if (code !== 0) throw new ChildProcessExit(code);
        return;
      }
      const { loadPlanForCommand, runWorkerUntilSignalled } = await loadWorker();
      const loaded = await loadPlanForCommand(ctx);
      await runWorkerUntilSignalled({
        loaded,
        env: ctx.env,
        cwd: ctx.cwd,
        identity: opts.identity,
        maxActivities: opts.maxActivities,
        ...(opts.serveRouting !== undefined ? { serveRouting: { host: opts.serveHost, port: opts.serveRouting } } : {}),
        log: ctx.output.err,
      });
    });

export default register;
