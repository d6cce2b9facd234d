/**
 * `migrate run [--entity E]`: let the plan drive the migration. Starts (or attaches to) one durable
 * run per entity that walks its phases in lifecycle order — capture, backfill, sync, verify,
 * cutover, retire — honouring dependsOn, and follows them until each is done or needs a person
 * (an approval, a repair, retire); a run attached again is woken, so a step that waited for a
 * person is tried again. `--dry-run` prints what each run would do next; it asks first unless `--yes`.
 */
import type { Command } from 'commander';
import type { RegisterCommand } from './index.js';
import { assertCanConfirm, confirm } from '../cli/confirm.js';
import type { RunProgress } from '../workflows/lifecycleWorkflow.js';

/** What the action needs, imported when it runs: `--help` must not pay for Temporal, pg and zod. */
const load = async () => ({
  ...(await import('../cli/resolvePlan.js')),
  ...(await import('../ops/session.js')),
  ...(await import('../ops/workers.js')),
  ...(await import('../ops/attachInfo.js')),
  ...(await import('../ops/run.js')),
  ...(await import('../ops/backfill.js')),
  ...(await import('../ops/verifyRuns.js')),
  ...(await import('../ops/cutover.js')),
  ...(await import('../ui/renderers/plain.js')),
  ...(await import('./cutover.js')),
  ...(await import('../ops/status.js')),
  ...(await import('../ops/statusSources.js')),
  ...(await import('../ops/sleepUnlessAborted.js')),
  ...(await import('../plan/describe.js')),
  ...(await import('../flags/index.js')),
});

interface Options {
  entity?: string;
  dryRun?: boolean;
  yes?: boolean;
  detach?: boolean;
  waitForWorker: boolean;
}

/** A run in a few plain lines: the step it is at, each step's state, the progress of the phase it waits on, what it waits for, the next command. */
export function runLines(p: RunProgress, progress?: string): string[] {
  const head = p.step === 'done' ? `${p.entity}: run done` : p.step === 'ended' ? `${p.entity}: run ended` : `${p.entity}: run at ${p.step} (${p.state})`;
  const lines = [head];
  if (p.steps.length) lines.push(`  steps: ${p.steps.map((s) => `${s.name} ${s.state}`).join(' · ')}`);
  if (progress) lines.push(`  ${progress}`);
  for (const w of p.waitingFor) lines.push(`  waiting for: ${w}`);
  if (p.next && p.step !== 'done') lines.push(`  next: ${p.next}`);
  return lines;
}

/** How often a run's moving counts are printed again while its step and wait stay the same. */
const PROGRESS_EVERY_MS = 5_000;

const register: RegisterCommand = (program, context): Command =>
  program
    .command('run')
    .description('let the plan drive: one durable run per entity walks capture, backfill, sync, verify, cutover and retire in order, honouring dependsOn, stopping wherever a person must decide')
    .option('--entity <name>', 'run one entity (default: every entity, in dependency order)')
    .option('--dry-run', 'print what each run would do next; change nothing')
    .option('--yes', 'do not ask')
    .option('--detach', 'start or attach, print where each run is, and return without following')
    .option('--no-wait-for-worker', 'start even when no worker polls the task queue')
    .action(async (opts: Options) => {
      const ctx = context();
      const { loadPlanForCommand, openSession, ensureWorker, startedNotes, currentActor, runEntities, startRun, runProgress, collectStatus, statusSources, sleepUnlessAborted, describePlan, runPreviewLines, sweepProgress, verifyProgress, cutoverProgress, plainSweep, cutoverLines } = await load();
      const loaded = await loadPlanForCommand(ctx);
      const entities = runEntities(loaded, opts.entity);
      const session = await openSession(loaded, ctx.env, ctx.cwd);
      try {
        const snapshot = await collectStatus(session, statusSources());
        const doc = describePlan(loaded.plan, Object.fromEntries(snapshot.entities.map((e) => [e.entity, e])), loaded.display);
        const previews = doc.entities.filter((e) => entities.includes(e.name));
        if (opts.dryRun) {
          if (ctx.options.json) return ctx.output.outJson({ dryRun: true, entities: previews.map((e) => ({ entity: e.name, ...e.run })) });
          for (const e of previews) {
            ctx.output.out(`${e.name}:`);
            for (const line of e.run ? runPreviewLines(e.run) : [`   state unknown: ${e.next.reason}`]) ctx.output.out(line);
          }
          return;
        }
        const fresh = previews.filter((e) => e.run && !e.run.live && e.run.steps.some((s) => s.state !== 'done'));
        if (fresh.length > 0) {
          ctx.output.err('migrate run will:');
          for (const e of fresh) {
            ctx.output.err(`${e.name}:`);
            for (const line of runPreviewLines(e.run!)) ctx.output.err(line);
          }
          // Only starting a run changes anything; attaching to running ones needs no answer.
          assertCanConfirm('run installs change capture, turns flags on and starts each phase, and', opts, '--dry-run to see what it would do');
          if (!opts.yes && !(await confirm(ctx, `Start the run of ${fresh.map((e) => e.name).join(', ')}?`))) return ctx.output.out('nothing changed');
        }
        const { settings, local } = session.temporal;
        if (opts.waitForWorker) {
          const workers = await ensureWorker({ client: session.temporal.client, namespace: settings.namespace, taskQueue: settings.taskQueue, planFile: session.loaded.file, planName: session.loaded.plan.name, local, env: ctx.env, cwd: ctx.cwd });
          for (const note of startedNotes(session, workers)) ctx.output.err(note);
        }
        const actor = currentActor(ctx.env);
        for (const entity of entities) {
          const r = await startRun(session, entity, actor);
          ctx.output.err(`${entity}: run ${r.how === 'completed' ? 'finished already' : r.how}${r.how === 'started' ? ` (audited as ${actor})` : ''} (workflow ${r.handle.workflowId})`);
        }
        /** One line of the phase the run waits on: the sweep's bar in words, or where the cutover is. */
        const phaseLine = async (p: RunProgress): Promise<string | undefined> => {
          if (!p.following) return undefined;
          if (p.step === 'backfill') {
            const s = await sweepProgress(session, p.following);
            return s ? plainSweep(s) : undefined;
          }
          if (p.step === 'verify') {
            const s = await verifyProgress(session, p.following);
            return s ? plainSweep(s) : undefined;
          }
          if (p.step === 'cutover') {
            const c = await cutoverProgress(session, p.entity);
            return c ? cutoverLines(c)[0]!.replace(`${p.entity}: `, '') : undefined;
          }
          return undefined;
        };
        const all = async () => (await Promise.all(entities.map((e) => runProgress(session, e)))).filter((p): p is RunProgress => p !== undefined);
        if (opts.detach || ctx.options.json) {
          const runs = await all();
          if (ctx.options.json) return ctx.output.outJson(runs);
          for (const p of runs) for (const line of runLines(p, await phaseLine(p).catch(() => undefined))) ctx.output.out(line);
          return;
        }
        // Follow: a block for each run that changed, until every run is done or needs a person; Ctrl-C
        // detaches. A change of step or wait shows at once; a moving count at most every few seconds.
        const detach = new AbortController();
        const onSigint = () => detach.abort();
        process.once('SIGINT', onSigint);
        const shown = new Map<string, { text: string; head: string; at: number }>();
        try {
          while (!detach.signal.aborted) {
            const runs = await all();
            for (const p of runs) {
              const head = runLines(p).join('\n');
              const lines = runLines(p, await phaseLine(p).catch(() => undefined));
              const text = lines.join('\n');
              const last = shown.get(p.entity);
              if (last && (last.text === text || (last.head === head && Date.now() - last.at < PROGRESS_EVERY_MS))) continue;
              for (const line of lines) ctx.output.out(line);
              shown.set(p.entity, { text, head, at: Date.now() });
            }
            if (runs.every((p) => p.step === 'done' || p.needsPerson)) break;
            await sleepUnlessAborted(1_000, detach.signal);
          }
        } finally {
          process.off('SIGINT', onSigint);
        }
        ctx.output.err(
          detach.signal.aborted
            ? `Detached; the runs keep going. Re-attach with \`migrate run${opts.entity ? ` --entity ${opts.entity}` : ''}\`.`
            : `Stopped following: every run is done or waits for a person (the next command is shown). Re-attach with \`migrate run${opts.entity ? ` --entity ${opts.entity}` : ''}\`.`,
        );
      } finally {
        await session.close();
      }
    });

export default register;
