/** `migrate plan [--check]`: each entity in dependency order, its phases, state and next step; --check asks the live systems. */
import type { Command } from 'commander';
import type { CommandContext } from '../cli/context.js';
import type { RegisterCommand } from './index.js';

/** What the action needs, imported when it runs: `--help` must not pay for Temporal, pg and zod. */
const load = async () => ({
  ...(await import('../cli/resolvePlan.js')),
  ...(await import('../plan/describe.js')),
  ...(await import('../plan/preflight.js')),
  ...(await import('../sources/index.js')),
  ...(await import('../service/open.js')),
  ...(await import('../ops/liveStatuses.js')),
  ...(await import('../ui/view.js')),
});

const register: RegisterCommand = (program: Command, context: () => CommandContext) =>
  program
    .command('plan')
    .description('show what the plan will do, entity by entity; --check also checks it against the live databases and services (writes nothing)')
    .option('--check', 'connect to every source and target and check the plan against them', false)
    .action(async (opts: { check: boolean }) => {
      const { loadPlanForCommand, describePlan, renderPlanText, preflightError, renderPreflightText, runPreflight, openSource, openTargetClient, liveStatuses, viewSync, viewCutover } = await load();
      const ctx = context();
      const loaded = await loadPlanForCommand(ctx);
      const doc = describePlan(loaded.plan, await liveStatuses(loaded, ctx), loaded.display);
      const report = opts.check ? await runPreflight(loaded, { openSource, createTarget: openTargetClient }) : undefined;
      if (ctx.output.json) ctx.output.outJson(report ? { ...doc, check: report } : doc);
      else {
        for (const line of renderPlanText(doc, { syncLine: (sync) => viewSync(sync).text, cutoverLine: (c) => viewCutover(c).text })) ctx.output.out(line);
        if (report) for (const line of renderPreflightText(report)) ctx.output.out(line);
      }
      const error = report && preflightError(report);
      if (error) throw error;
    });

export default register;
