/**
 * `migrate cutover --entity E`: move the entity's consumers stage by stage from the legacy to the
 * new service. Without control options it starts or attaches and follows until the cutover needs a
 * person (an approval, a pause) or ends; `--dry-run` prints every step it would take with the
 * checks' current answers; `--approve`, `--pause`, `--resume`, `--abort` drive it (audited).
 */
import { Option, type Command } from 'commander';
import type { RegisterCommand } from './index.js';
import type { CommandContext } from '../cli/context.js';
import type { CutoverProgress } from '../workflows/cutoverWorkflow.js';
import type { CutoverDryRun } from '../ops/cutover.js';

/** What the action needs, imported when it runs: `--help` must not pay for Temporal, pg and zod. */
const load = async () => ({
  ...(await import('../cli/resolvePlan.js')),
  ...(await import('../ops/session.js')),
  ...(await import('../ops/workers.js')),
  ...(await import('../ops/attachInfo.js')),
  ...(await import('../ops/cutover.js')),
  ...(await import('../ops/sleepUnlessAborted.js')),
  ...(await import('../flags/index.js')),
});

interface Options {
  entity: string;
  dryRun?: boolean;
  approve?: boolean;
  stage?: string;
  epoch?: string;
  pause?: boolean;
  resume?: boolean;
  abort?: boolean;
  to?: 'previous' | 'legacy';
  reason?: string;
  detach?: boolean;
  waitForWorker: boolean;
}

/** The cutover in a few plain lines: stage and step, routing per consumer, gate evidence, what it waits for, the next command. */
export function cutoverLines(p: CutoverProgress): string[] {
  const index = p.stages.findIndex((s) => s.name === p.stage);
  const where = p.stage ? `stage ${p.stage} (${index + 1}/${p.stages.length})` : 'before the first stage';
  const lines = [`${p.entity}: cutover ${where} · epoch ${p.epoch} · ${p.step}${p.paused ? ` (${p.paused.by})` : ''}`];
  const reads = Object.entries(p.reads).map(([c, r]) => `${c} ${r}`);
  lines.push(`  routing: reads ${reads.join(', ') || 'legacy'}; writes ${p.writes}`);
  if (p.gate) {
    lines.push(`  gate ${p.gate.result.verdict} (evidence at epoch ${p.gate.evidence.epoch}):`);
    for (const c of p.gate.result.checks) lines.push(`    ${c.verdict.padEnd(12)} ${c.check}${c.consumer ? ` ${c.consumer}` : ''}: ${c.detail}`);
  }
  if (p.bake && p.step === 'bake') lines.push(`  bake until ${new Date(p.bake.endsAt).toISOString()}`);
  for (const w of p.waitingFor) lines.push(`  waiting for: ${w}`);
  if (p.next) lines.push(`  next: ${p.next}`);
  return lines;
}

export function dryRunLines(d: CutoverDryRun): string[] {
  const lines = [`${d.entity}: cutover dry run from epoch ${d.epoch}${d.inForce ? ` (stage ${d.inForce} in force)` : ''}; nothing changes`];
  let n = 0;
  for (const s of d.steps) {
    n += 1;
    lines.push(`${String(n).padStart(3)}. [${s.stage}] ${s.step}: ${s.detail}`);
    if (s.now) lines.push(`       now: ${s.now}`);
  }
  if (d.steps.length === 0) lines.push('  nothing left to do: every stage is through');
  return lines;
}

/** Steps at which the cutover waits for a person or has ended: following stops there. */
const NEEDS_PERSON = new Set(['approval', 'paused', 'complete', 'aborted']);

const register: RegisterCommand = (program, context): Command =>
  program
    .command('cutover')
    .description('move consumers stage by stage from the legacy to the new service (routing epochs, evidence gates, approvals, rollback)')
    .requiredOption('--entity <name>', 'entity to cut over')
    .option('--dry-run', 'print every step the cutover would still take, with the checks’ current answers; change nothing')
    .addOption(new Option('--approve', 'approve the stage waiting for approval').conflicts(['pause', 'resume', 'abort', 'dryRun']))
    .option('--stage <name>', 'with --approve: the stage approved (refused when another stage waits)')
    .option('--epoch <n>', 'with --approve: the routing epoch approved (refused when the epoch moved on)')
    .addOption(new Option('--pause', 'pause the cutover where it is (routing stays as it is)').conflicts(['resume', 'abort', 'dryRun']))
    .addOption(new Option('--resume', 'resume a paused cutover (an inconclusive gate is evaluated again)').conflicts(['abort', 'dryRun']))
    .addOption(new Option('--abort', 'roll back to the previous stage’s routing, or with --to legacy everything (ends the cutover)').conflicts('dryRun'))
    .addOption(new Option('--to <where>', 'with --abort: previous (default) or legacy').choices(['previous', 'legacy']))
    .option('--reason <text>', 'why, for the audit log')
    .option('--detach', 'start or attach, print where it is, and return without following')
    .option('--no-wait-for-worker', 'start even when no worker polls the task queue')
    .action(async (opts: Options) => {
      const ctx = context();
      const { loadPlanForCommand, openSession, ensureWorker, startedNotes, currentActor, cutoverStages, startCutover, cutoverProgress, approveCutover, pauseCutover, resumeCutover, abortCutover, planCutover, sleepUnlessAborted } = await load();
      const { UserError } = await import('../errors.js');
      if ((opts.stage !== undefined || opts.epoch !== undefined) && !opts.approve) throw new UserError('--stage and --epoch go with --approve', { hint: `e.g. \`migrate cutover --entity ${opts.entity} --approve --stage reads --epoch 7\`` });
      if (opts.to !== undefined && !opts.abort) throw new UserError('--to goes with --abort', { hint: `e.g. \`migrate cutover --entity ${opts.entity} --abort --to legacy\`` });
      const epoch = opts.epoch === undefined ? undefined : Number(opts.epoch);
      if (epoch !== undefined && !(Number.isInteger(epoch) && epoch >= 0)) throw new UserError(`--epoch must be a whole number, got "${opts.epoch}"`);
      const session = await openSession(await loadPlanForCommand(ctx), ctx.env, ctx.cwd);
      const actor = currentActor(ctx.env);
      const entity = opts.entity;
      const show = (p: CutoverProgress | undefined) => {
        if (ctx.options.json) return ctx.output.outJson(p ?? null);
        if (!p) return ctx.output.out(`${entity}: no cutover has started; start it with \`migrate cutover --entity ${entity}\` (see every step first with --dry-run)`);
        for (const line of cutoverLines(p)) ctx.output.out(line);
      };
      try {
        // Refused before anything starts when the plan's stages cannot run.
        cutoverStages(session, entity);
        if (opts.dryRun) {
          const d = await planCutover(session, entity);
          if (ctx.options.json) return ctx.output.outJson(d);
          for (const line of dryRunLines(d)) ctx.output.out(line);
          return;
        }
        if (opts.approve) {
          const p = await approveCutover(session, entity, { ...(opts.stage !== undefined ? { stage: opts.stage } : {}), ...(epoch !== undefined ? { epoch } : {}), actor, ...(opts.reason ? { reason: opts.reason } : {}) });
          ctx.output.err(`${entity}: approved (audited as ${actor})`);
          return show(p);
        }
        if (opts.pause || opts.resume) {
          const p = opts.pause ? await pauseCutover(session, entity, actor, opts.reason) : await resumeCutover(session, entity, actor, opts.reason);
          ctx.output.err(`${entity}: cutover ${opts.pause ? 'pause' : 'resume'} accepted (audited as ${actor})`);
          return show(p);
        }
        if (opts.abort) {
          const to = opts.to ?? 'previous';
          const p = await abortCutover(session, entity, to, actor, opts.reason);
          ctx.output.err(`${entity}: abort to ${to === 'legacy' ? 'legacy' : 'the previous stage'} accepted (audited as ${actor}); the cutover rolls back now`);
          return show(p);
        }
        const { settings, local } = session.temporal;
        if (opts.waitForWorker) {
          const workers = await ensureWorker({ client: session.temporal.client, namespace: settings.namespace, taskQueue: settings.taskQueue, planFile: session.loaded.file, planName: session.loaded.plan.name, local, env: ctx.env, cwd: ctx.cwd });
          for (const note of startedNotes(session, workers)) ctx.output.err(note);
        }
        const started = await startCutover(session, entity, actor);
        ctx.output.err(`${entity}: cutover ${started.how} (workflow ${started.handle.workflowId})`);
        if (opts.detach || ctx.options.json) return show(await cutoverProgress(session, entity));
        // Follow: a block each time something changes, until it needs a person or ends; Ctrl-C detaches.
        const detach = new AbortController();
        const onSigint = () => detach.abort();
        process.once('SIGINT', onSigint);
        let shown = '';
        try {
          while (!detach.signal.aborted) {
            const p = await cutoverProgress(session, entity);
            const lines = p ? cutoverLines(p) : [];
            const text = lines.join('\n');
            if (text !== shown) {
              if (!ctx.output.stderr.isTTY && shown) ctx.output.out('');
              for (const line of lines) ctx.output.out(line);
              shown = text;
            }
            if (!p || NEEDS_PERSON.has(p.step)) break;
            await sleepUnlessAborted(1_000, detach.signal);
          }
        } finally {
          process.off('SIGINT', onSigint);
        }
        if (detach.signal.aborted) ctx.output.err(`Detached; the cutover keeps running. Re-attach with \`migrate cutover --entity ${entity}\`.`);
      } finally {
        await session.close();
      }
    });

export default register;
