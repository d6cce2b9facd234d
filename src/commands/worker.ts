/** `migrate worker`: a long-lived worker for the plan's task queue; run as many as you like, anywhere. */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import type { RegisterCommand } from './index.js';

/** What the action needs, imported when it runs: `--help` must not pay for Temporal, pg and zod. */
const load = async () => ({
  ...(await import('../cli/resolvePlan.js')),
  ...(await import('../ops/worker.js')),
});

const register: RegisterCommand = (program, context): Command =>
  program
    .command('worker')
    .description('run a worker that executes backfills and verifications for the plan (stops on SIGINT/SIGTERM)')
    .option('--identity <name>', 'worker identity shown in Temporal', `${hostname()}:${process.pid}`)
    .option('--max-activities <n>', 'concurrent activity slots', (v) => Number.parseInt(v, 10), 64)
    .action(async (opts: { identity: string; maxActivities: number }) => {
      const { loadPlanForCommand, runWorkerUntilSignalled } = await load();
      const ctx = context();
      const loaded = await loadPlanForCommand(ctx);
      await runWorkerUntilSignalled({ loaded, env: ctx.env, cwd: ctx.cwd, identity: opts.identity, maxActivities: opts.maxActivities, log: ctx.output.err });
    });

export default register;
