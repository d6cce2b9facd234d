/**
 * `migrate verify --entity E`: sweep both copies, re-check rows written meanwhile, print the report
 * and exit 0 within the plan's threshold, 1 beyond it. `--repair` re-pushes persistent mismatches
 * from the legacy after confirmation; `--report <id>` reprints a stored report.
 */
import { Option, type Command } from 'commander';
import type { RegisterCommand } from './index.js';
import type { CommandContext } from '../cli/context.js';
import { confirm } from '../cli/confirm.js';
import { withStateStore } from './withStateStore.js';
import type { VerificationReport } from '../ops/verifyRuns.js';
import { ProblemFoundError, UserError } from '../errors.js';
import { reportLines } from './verifyReport.js';

interface Options {
  entity?: string;
  sample?: number;
  since?: string;
  repair?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  report?: string;
  detach?: boolean;
  progress: 'auto' | 'bar' | 'plain';
  waitForWorker: boolean;
}

/** What the action needs, imported when it runs: `--help` must not pay for Temporal, pg and zod. */
const load = async () => ({
  ...(await import('../cli/resolvePlan.js')),
  ...(await import('../cli/progressSink.js')),
  ...(await import('../ops/session.js')),
  ...(await import('../ops/workers.js')),
  ...(await import('../ops/follow.js')),
  ...(await import('../ops/verifyRuns.js')),
  ...(await import('../flags/index.js')),
});

function print(ctx: CommandContext, id: string, report: VerificationReport, extra: Record<string, unknown> = {}): void {
  if (ctx.options.json) ctx.output.outJson({ id, ...report, ...extra });
  else for (const line of reportLines(id, report, Boolean(ctx.output.stdout.isTTY))) ctx.output.out(line);
}

function verdict(id: string, report: VerificationReport): void {
  if (report.passed) return;
  throw new ProblemFoundError(`verification of ${report.entity} failed: ${report.totals.persistent} persistent mismatches of ${report.totals.compared} rows (rate ${report.persistentRate}, threshold ${report.threshold})`, {
    hint: `See report ${id}; \`migrate verify --entity ${report.entity} --repair\` re-pushes missing and different rows from the legacy.`,
  });
}

const register: RegisterCommand = (program, context): Command =>
  program
    .command('verify')
    .description('prove the legacy and the new service agree; exit 1 when persistent mismatches exceed the threshold')
    .option('--entity <name>', 'entity to verify')
    .option('--sample <fraction>', 'verify a random fraction of the rows (0 < f <= 1)', Number.parseFloat)
    .option('--since <time>', 'verify only rows updated since this ISO time')
    .option('--repair', 're-push persistent missing/different rows from the legacy, then re-verify them; delete items the legacy lacks (unless target.ownItems)')
    .option('--yes', 'repair without asking')
    .option('--dry-run', 'with --repair: list what would be repaired, change nothing')
    .option('--report <id>', 'reprint a stored report')
    .option('--detach', 'start and return at once')
    .addOption(new Option('--progress <mode>', 'progress display').choices(['auto', 'bar', 'plain']).default('auto'))
    .option('--no-wait-for-worker', 'start even when no worker polls the task queue')
    .action(async (opts: Options) => {
      const ctx = context();
      if (opts.report) {
        return withStateStore(ctx, async (store) => {
          const r = await store.getReport<VerificationReport>(opts.report!);
          if (!r) throw new UserError(`no verification report with id ${JSON.stringify(opts.report)}`, { hint: 'Report ids are printed by `migrate verify` and logged as verify.complete in `migrate audit`.' });
          print(ctx, r.id, r.report);
          verdict(r.id, r.report);
        });
      }
      if (!opts.entity) throw new UserError('--entity is required (or --report <id> to reprint a report)', { hint: 'e.g. migrate verify --entity orders' });
      const entity = opts.entity;
      if (opts.repair && !opts.yes && !opts.dryRun && !process.stdin.isTTY) {
        throw new UserError('--repair overwrites the service\'s copy of rows and needs confirmation, but there is no terminal to ask on', { hint: 'Pass --yes to repair without asking, or --dry-run to list what would be repaired.' });
      }
      const { loadPlanForCommand, checkVerifyRequest, createProgressSink, openSession, ensureWorker, follow, assertRepairAllowed, repairCandidates, runRepair, startVerify, verifyOutcome, verifyProgress, currentActor } = await load();
      const request = { ...(opts.sample !== undefined ? { sample: opts.sample } : {}), ...(opts.since ? { since: opts.since } : {}) };
      const loaded = await loadPlanForCommand(ctx);
      // Refused before the session starts a local Temporal server or a worker for nothing.
      checkVerifyRequest(loaded, entity, request);
      const session = await openSession(loaded, ctx.env, ctx.cwd);
      const actor = currentActor(ctx.env);
      try {
        if (opts.repair && !opts.dryRun) await assertRepairAllowed(session, entity);
        const { settings, local } = session.temporal;
        if (opts.waitForWorker) {
          await ensureWorker({ client: session.temporal.client, namespace: settings.namespace, taskQueue: settings.taskQueue, planFile: session.loaded.file, planName: session.loaded.plan.name, local, env: ctx.env, cwd: ctx.cwd });
        }
        const { handle, run } = await startVerify(session, entity, actor, request);
        ctx.output.err(`${entity}: verification ${run} started (workflow ${handle.workflowId})`);
        if (opts.detach) return;
        // --json keeps stdout for the report document; progress goes to stderr either way.
        const sinkCtx = { ...ctx, options: { ...ctx.options, json: false } };
        await follow(() => verifyProgress(session, handle.workflowId), createProgressSink(sinkCtx, opts.progress, entity));
        const { report } = await verifyOutcome(session, handle);
        if (!opts.repair) {
          print(ctx, report.id, report.report);
          return verdict(report.id, report.report);
        }
        const todo = await repairCandidates(session, entity, run);
        if (todo.length === 0 || opts.dryRun) {
          if (opts.dryRun) {
            for (const x of todo) ctx.output.err(x.class === 'extra' ? `would delete extra ${JSON.stringify(x.key)} from the service` : `would repair ${x.class} ${JSON.stringify(x.key)}${x.fields.length ? ` (${x.fields.join(', ')})` : ''}`);
          }
          print(ctx, report.id, report.report, opts.dryRun ? { wouldRepair: todo.map((x) => ({ class: x.class, key: x.key, fields: x.fields })) } : {});
          return verdict(report.id, report.report);
        }
        const extras = todo.filter((x) => x.class === 'extra').length;
        const rows = todo.length - extras;
        const question = [rows > 0 ? `overwrite the service's copy of ${rows} rows with the legacy's` : '', extras > 0 ? `delete ${extras} items the legacy does not have from the service` : ''].filter(Boolean).join(' and ');
        if (!opts.yes && !(await confirm(ctx, `${question[0]!.toUpperCase()}${question.slice(1)}?`))) {
          print(ctx, report.id, report.report);
          ctx.output.err('repair cancelled; nothing was written');
          return verdict(report.id, report.report);
        }
        const repaired = await runRepair(session, entity, actor, { run, reportId: report.id, report: report.report });
        ctx.output.err(`${entity}: repaired ${repaired.result.repaired} of ${rows} rows (${repaired.result.stillDifferent} still differ, ${repaired.result.failures} refused by the service)${extras > 0 ? `; deleted ${repaired.result.deleted} of ${extras} items the legacy does not have` : ''}`);
        print(ctx, repaired.report.id, repaired.report.report);
        verdict(repaired.report.id, repaired.report.report);
      } finally {
        await session.close();
      }
    });

export default register;
