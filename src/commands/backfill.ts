/**
 * `migrate backfill --entity E`: start or resume the backfill, then follow its progress. Ctrl-C
 * detaches (the backfill keeps running); --pause / --resume flip the entity's flag (audited).
 */
import { Option, type Command } from 'commander';
import type { RegisterCommand } from './index.js';
import { ProblemFoundError } from '../errors.js';

/** What the action needs, imported when it runs: `--help` must not pay for Temporal, pg and zod. */
const load = async () => ({
  ...(await import('../cli/resolvePlan.js')),
  ...(await import('../cli/progressSink.js')),
  ...(await import('../ops/session.js')),
  ...(await import('../ops/backfill.js')),
  ...(await import('../ops/workers.js')),
  ...(await import('../ops/follow.js')),
  ...(await import('../ops/attachInfo.js')),
  ...(await import('../ops/backfillSummary.js')),
  ...(await import('../flags/index.js')),
});

interface Options {
  entity: string;
  pause?: boolean;
  resume?: boolean;
  reason?: string;
  detach?: boolean;
  restart?: boolean;
  progress: 'auto' | 'bar' | 'plain';
  waitForWorker: boolean;
}

const register: RegisterCommand = (program, context): Command =>
  program
    .command('backfill')
    .description('copy every row of an entity into the new service (starts, resumes or attaches; Ctrl-C detaches)')
    .requiredOption('--entity <name>', 'entity to backfill')
    .addOption(new Option('--pause', 'turn the backfill flag off: it stops writing within one batch').conflicts('resume'))
    .option('--resume', 'turn the backfill flag on (also clears a pause after a 401/403)')
    .option('--reason <text>', 'why, for the audit log')
    .option('--detach', 'start and return at once')
    .option('--restart', 'copy everything again after a completed backfill')
    .addOption(new Option('--progress <mode>', 'progress display').choices(['auto', 'bar', 'plain']).default('auto'))
    .option('--no-wait-for-worker', 'start even when no worker polls the task queue')
    .action(async (opts: Options) => {
      const { loadPlanForCommand, checkBackfillRequest, createProgressSink, openSession, backfillProgress, setBackfillRunning, startBackfill, ensureWorker, follow, startedNotes, summarizeBackfill, currentActor } = await load();
      const ctx = context();
      const loaded = await loadPlanForCommand(ctx);
      // Refused before the session starts a local Temporal server or a worker for nothing.
      checkBackfillRequest(loaded, opts.entity);
      const session = await openSession(loaded, ctx.env, ctx.cwd);
      const actor = currentActor(ctx.env);
      try {
        for (const note of startedNotes(session)) ctx.output.err(note);
        if (opts.pause || opts.resume) {
          await setBackfillRunning(session, opts.entity, Boolean(opts.resume), actor, opts.reason);
          ctx.output.out(`${opts.entity}: backfill ${opts.resume ? 'resumed' : 'paused'} (flag flipped, audited as ${actor})`);
          return;
        }
        const { settings, local } = session.temporal;
        ctx.output.debug(`Temporal ${settings.address} namespace ${settings.namespace} task queue ${settings.taskQueue}${local ? ' (local dev server)' : ''}`);
        if (opts.waitForWorker) {
          const workers = await ensureWorker({ client: session.temporal.client, namespace: settings.namespace, taskQueue: settings.taskQueue, planFile: session.loaded.file, planName: session.loaded.plan.name, local, env: ctx.env, cwd: ctx.cwd });
          for (const note of startedNotes({ ...session, temporal: { ...session.temporal, startedLocal: undefined } }, workers)) ctx.output.err(note);
        }
        const started = await startBackfill(session, opts.entity, actor, opts.restart);
        ctx.output.err(`${opts.entity}: backfill ${started.how} (workflow ${started.handle.workflowId})${started.flagTurnedOn ? `; flag turned on` : ''}`);
        if (opts.detach) {
          ctx.output.err(`Detached. Follow it with \`migrate backfill --entity ${opts.entity}\` or \`migrate status --watch\`.`);
          return;
        }
        const detach = new AbortController();
        const onSigint = () => detach.abort();
        process.once('SIGINT', onSigint);
        let last;
        try {
          last = await follow(() => backfillProgress(session, opts.entity), createProgressSink(ctx, opts.progress, opts.entity), { signal: detach.signal, stopWhenPaused: !ctx.output.stderr.isTTY });
        } finally {
          process.off('SIGINT', onSigint);
        }
        if (detach.signal.aborted) {
          ctx.output.err(`Detached; the backfill keeps running. Re-attach with \`migrate backfill --entity ${opts.entity}\` or watch \`migrate status --watch\`.`);
          return;
        }
        const summary = summarizeBackfill(opts.entity, last);
        if (ctx.options.json) ctx.output.outJson(summary);
        else ctx.output.out(summary.message);
        if (!summary.ok) throw new ProblemFoundError(summary.message, { hint: summary.hint });
      } finally {
        await session.close();
      }
    });

export default register;
