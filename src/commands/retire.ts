/**
 * `migrate retire --entity E`: end the entity's migration once writes go to the service and no
 * consumer uses the legacy: stops reverse and forward sync, removes the capture triggers, records
 * the final state (audited) and prints what the team may now delete. `--dry-run` shows every step;
 * asks first unless `--yes`. Refused with the reason and the fix while a consumer still uses the legacy.
 */
import type { Command } from 'commander';
import type { RegisterCommand } from './index.js';
import { assertCanConfirm, confirm } from '../cli/confirm.js';
import type { RetirePlan } from '../ops/retire.js';

/** What the action needs, imported when it runs: `--help` must not pay for Temporal, pg and zod. */
const load = async () => ({
  ...(await import('../cli/resolvePlan.js')),
  ...(await import('../ops/session.js')),
  ...(await import('../ops/retire.js')),
  ...(await import('../flags/index.js')),
});

interface Options {
  entity: string;
  dryRun?: boolean;
  yes?: boolean;
  reason?: string;
}

/** The steps, numbered, then what may be deleted afterwards. */
export function retirePlanLines(p: RetirePlan): string[] {
  const lines = p.steps.map((s, i) => `  ${i + 1}. ${s.step}: ${s.detail}`);
  lines.push('Afterwards the team may delete:', ...p.mayDelete.map((d) => `  - ${d}`));
  return lines;
}

const register: RegisterCommand = (program, context): Command =>
  program
    .command('retire')
    .description('end an entity\'s migration after writes moved: stop reverse and forward sync, remove capture, record it, list what may be deleted')
    .requiredOption('--entity <name>', 'entity to retire')
    .option('--dry-run', 'print the checks and every step, change nothing')
    .option('--yes', 'do not ask')
    .option('--reason <text>', 'why, for the audit log')
    .action(async (opts: Options) => {
      const ctx = context();
      assertCanConfirm('retire stops sync and changes the legacy schema, and', opts, '--dry-run to see the steps');
      const { loadPlanForCommand, openSession, planRetire, retire, retireRefused, currentActor } = await load();
      const session = await openSession(await loadPlanForCommand(ctx), ctx.env, ctx.cwd);
      const entity = opts.entity;
      try {
        const plan = await planRetire(session, entity);
        if (opts.dryRun) {
          if (ctx.options.json) return ctx.output.outJson({ dryRun: true, ...plan });
          ctx.output.out(`${entity}: retire dry run${plan.epoch !== undefined ? ` at routing epoch ${plan.epoch}` : ''}; nothing changes`);
          for (const r of plan.refusals) ctx.output.out(`  refused: ${r.reason} — fix: ${r.fix}`);
          for (const l of retirePlanLines(plan)) ctx.output.out(l);
          return;
        }
        if (plan.refusals.length > 0) throw retireRefused(entity, plan.refusals);
        ctx.output.err(`${entity}: retire will:`);
        for (const l of retirePlanLines(plan)) ctx.output.err(l);
        if (!opts.yes && !(await confirm(ctx, `Retire ${entity}?`))) return ctx.output.out('nothing changed');
        const actor = currentActor(ctx.env);
        const out = await retire(session, entity, actor, opts.reason);
        if (ctx.options.json) return ctx.output.outJson(out);
        ctx.output.out(`${entity}: retired (audited as ${actor}): ${out.done.join('; ')}`);
        ctx.output.out('The team may now delete:');
        for (const d of out.mayDelete) ctx.output.out(`  - ${d}`);
      } finally {
        await session.close();
      }
    });

export default register;
