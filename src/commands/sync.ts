/**
 * `migrate sync --entity E`: keep the service in step with the legacy while applications still
 * write to it. `--install` / `--uninstall` show the capture DDL and ask first; `--pause`, `--resume`
 * and `--stop` control the running sync (audited); without them it starts or attaches and reports.
 */
import { Option, type Command } from 'commander';
import type { RegisterCommand } from './index.js';
import type { CommandContext } from '../cli/context.js';
import { assertCanConfirm, confirm } from '../cli/confirm.js';
import type { SyncProgress } from '../workflows/syncWorkflow.js';

/** What the action needs, imported when it runs: `--help` must not pay for Temporal, pg and zod. */
const load = async () => ({
  ...(await import('../cli/resolvePlan.js')),
  ...(await import('../ops/session.js')),
  ...(await import('../ops/workers.js')),
  ...(await import('../ops/attachInfo.js')),
  ...(await import('../ops/sync.js')),
  ...(await import('../flags/index.js')),
  ...(await import('../ops/reverseSync.js')),
  ...(await import('../ops/statusSources.js')),
  ...(await import('../ui/view.js')),
});

interface Options {
  entity: string;
  install?: boolean;
  uninstall?: boolean;
  captureStatus?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  pause?: boolean;
  resume?: boolean;
  stop?: boolean;
  reason?: string;
  waitForWorker: boolean;
}

/** One line: state, what was applied, and the lag. */
export function syncLine(entity: string, p: SyncProgress | undefined): string {
  if (!p) return `${entity}: sync not started`;
  const lag = p.lag ? ` · lag ${p.lag.pending} pending, oldest ${p.lag.oldestSeconds.toFixed(1)}s` : '';
  const why = p.reason ? ` (${p.reason})` : '';
  return `${entity}: sync ${p.state}${why} · ${p.changes} changes applied (${p.upserted} upserts, ${p.deleted} deletes, ${p.failed} to the failure log)${p.position ? ` · position ${p.position}` : ''}${lag}`;
}

async function ddlStep(ctx: CommandContext, opts: Options, action: 'install' | 'uninstall', statements: string[], run: () => Promise<string>): Promise<void> {
  ctx.output.err(`${action === 'install' ? 'Installing' : 'Removing'} change capture runs:`);
  for (const s of statements) ctx.output.err(`  ${s.replace(/\n/g, '\n  ')};`);
  if (opts.dryRun) {
    ctx.output.out(`dry run: nothing changed. Run without --dry-run to ${action}.`);
    return;
  }
  if (!opts.yes && !(await confirm(ctx, `${action === 'install' ? 'Install' : 'Remove'} change capture on the legacy table?`))) {
    ctx.output.out('nothing changed');
    return;
  }
  ctx.output.out(await run());
}

const register: RegisterCommand = (program, context): Command =>
  program
    .command('sync')
    .description('keep the new service in step with the legacy (change capture by triggers): install capture, start, pause, resume, stop')
    .requiredOption('--entity <name>', 'entity to sync')
    .addOption(new Option('--install', 'create the change table and triggers on the legacy table (shows the DDL, asks first)').conflicts(['uninstall', 'pause', 'resume', 'stop']))
    .addOption(new Option('--uninstall', 'drop the triggers and the change table (shows the DDL, asks first)').conflicts(['pause', 'resume', 'stop']))
    .option('--capture-status', 'show whether capture is installed and how many changes wait')
    .option('--dry-run', 'with --install/--uninstall: print the DDL, change nothing')
    .option('--yes', 'with --install/--uninstall: do not ask')
    .addOption(new Option('--pause', 'turn the sync flag off; capture keeps recording').conflicts(['resume', 'stop']))
    .addOption(new Option('--resume', 'turn the sync flag on').conflicts('stop'))
    .option('--stop', 'end the sync workflow (retire does this; capture keeps recording until --uninstall)')
    .option('--reason <text>', 'why, for the audit log')
    .option('--no-wait-for-worker', 'start even when no worker polls the task queue')
    .action(async (opts: Options) => {
      const ctx = context();
      if (opts.install || opts.uninstall) assertCanConfirm(`--${opts.install ? 'install' : 'uninstall'} changes the legacy schema and`, opts, '--dry-run to see the DDL');
      const { loadPlanForCommand, openSession, ensureWorker, startedNotes, captureReport, syncCapture, capturePlan, installCapture, setSyncRunning, startSync, stopSync, syncProgress, uninstallCapture, currentActor, reverseSyncProgress, reverseSyncStatusOf, viewReverseSync } = await load();
      const session = await openSession(await loadPlanForCommand(ctx), ctx.env, ctx.cwd);
      const actor = currentActor(ctx.env);
      const entity = opts.entity;
      try {
        if (opts.install) {
          return await ddlStep(ctx, opts, 'install', capturePlan(session, entity, 'install'), async () => {
            await installCapture(session, entity, actor, opts.reason);
            return `${entity}: change capture installed (audited as ${actor}); start syncing with \`migrate sync --entity ${entity}\``;
          });
        }
        if (opts.uninstall) {
          return await ddlStep(ctx, opts, 'uninstall', capturePlan(session, entity, 'uninstall'), async () => {
            const { droppedChanges } = await uninstallCapture(session, entity, actor, opts.reason);
            return `${entity}: change capture removed (audited as ${actor})${droppedChanges ? `; ${droppedChanges} unsent changes were dropped with it` : ''}`;
          });
        }
        if (opts.captureStatus) {
          const r = await captureReport(session, entity);
          if (ctx.options.json) return ctx.output.outJson(r);
          const lag = r.lag ? `; ${r.lag.pending} changes wait, oldest ${r.lag.oldestSeconds.toFixed(1)}s` : '';
          if (r.capture === 'updatedAt') {
            ctx.output.out(`${entity}: capture by updatedAt on ${r.dialect} ${r.table} (nothing installed; hard deletes not seen)${lag.replace('changes wait', 'rows newer than the cursor')}; sync ${r.syncRunning ? 'running' : 'not running'}`);
            if (!r.syncRunning && r.lag && r.lag.pending > 0) ctx.output.err(`warning: rows changed since sync last ran wait; start it with \`migrate sync --entity ${entity}\``);
            return;
          }
          ctx.output.out(`${entity}: capture on ${r.dialect} ${r.table} ${r.state.installed ? 'installed' : r.state.partial ? `half installed (missing ${r.state.missing.join(', ')})` : 'not installed'}${lag}; sync ${r.syncRunning ? 'running' : 'not running'}`);
          if (!r.syncRunning && r.lag && r.lag.pending > 0) ctx.output.err(`warning: capture keeps recording while sync is not running; start it with \`migrate sync --entity ${entity}\` or remove capture with \`migrate sync --entity ${entity} --uninstall\``);
          return;
        }
        if (opts.pause || opts.resume) {
          await setSyncRunning(session, entity, Boolean(opts.resume), actor, opts.reason);
          return ctx.output.out(`${entity}: sync ${opts.resume ? 'resumed' : 'paused'} (flag flipped, audited as ${actor})`);
        }
        if (opts.stop) {
          const stopped = await stopSync(session, entity, actor, opts.reason);
          const afterStop = syncCapture(session, entity) === 'updatedAt' ? '' : `; capture still records until \`migrate sync --entity ${entity} --uninstall\``;
          return ctx.output.out(stopped ? `${entity}: sync stopped (audited as ${actor})${afterStop}` : `${entity}: sync is not running`);
        }
        const { settings, local } = session.temporal;
        if (opts.waitForWorker) {
          const workers = await ensureWorker({ client: session.temporal.client, namespace: settings.namespace, taskQueue: settings.taskQueue, planFile: session.loaded.file, planName: session.loaded.plan.name, local, env: ctx.env, cwd: ctx.cwd });
          for (const note of startedNotes(session, workers)) ctx.output.err(note);
        }
        const started = await startSync(session, entity, actor);
        for (const w of started.warnings) ctx.output.err(`warning: ${w}`);
        ctx.output.err(`${entity}: sync ${started.how} (workflow ${started.handle.workflowId})${started.flagTurnedOn ? '; flag turned on' : ''}`);
        const progress = await syncProgress(session, entity);
        // After the write switch the service's changes flow back: reverse sync is shown beside forward sync.
        const reverse = await reverseSyncProgress(session, entity);
        if (ctx.options.json) ctx.output.outJson(progress || reverse ? { ...progress, ...(reverse ? { reverseSync: reverseSyncStatusOf(reverse) } : {}) } : null);
        else {
          ctx.output.out(syncLine(entity, progress));
          if (reverse) ctx.output.out(`${entity}: ${viewReverseSync(reverseSyncStatusOf(reverse)).text}`);
        }
      } finally {
        await session.close();
      }
    });

export default register;
