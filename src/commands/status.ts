/**
 * `migrate status [--watch]`: one screen for the whole plan. Without --watch prints one frame; with
 * it, a live Ink dashboard on a terminal (↑/↓ select, p pause/resume through the audited flag, q
 * detach), plain lines otherwise, NDJSON with --json. Nothing here stops work by accident.
 */
import { Option, type Command } from 'commander';
import type { RegisterCommand } from './index.js';

/**
 * What the action needs, imported when it runs: `--help` must not pay for Temporal, pg and zod. In
 * two steps: the session opens (its state store connecting while the Temporal client loads) before
 * the rest is imported.
 */
const loadFirst = async () => ({
  ...(await import('../cli/resolvePlan.js')),
  ...(await import('../ops/session.js')),
  ...(await import('../errors.js')),
});
const load = async () => ({
  ...(await import('../ops/status.js')),
  ...(await import('../ops/statusSources.js')),
  ...(await import('../ops/backfill.js')),
  ...(await import('../ops/attachInfo.js')),
  ...(await import('../ops/sleepUnlessAborted.js')),
  ...(await import('../flags/actor.js')),
  ...(await import('../ui/renderers/choose.js')),
  ...(await import('../ui/renderers/plain.js')),
  ...(await import('../ui/renderers/json.js')),
});
import type { DashboardSnapshot } from '../progress.js';

const register: RegisterCommand = (program, context): Command =>
  program
    .command('status')
    .description('where every entity stands: phase, progress, rate, ETA, failures, verification, flags')
    .option('--watch', 'keep updating (Ctrl-C or q detaches; work goes on)')
    .addOption(new Option('--progress <mode>', 'display mode with --watch').choices(['auto', 'plain', 'ink']).default('auto'))
    .option('--interval <ms>', 'poll interval with --watch (at least 1000)', (v) => Number.parseInt(v, 10), 1000)
    .action(async (opts: { watch?: boolean; progress: 'auto' | 'plain' | 'ink'; interval: number }) => {
      const { loadPlanForCommand, openSession, EnvironmentError } = await loadFirst();
      const ctx = context();
      const loaded = await loadPlanForCommand(ctx);
      let session;
      try {
        session = await openSession(loaded, ctx.env, ctx.cwd, { readState: true });
      } catch (e) {
        // Temporal cannot be reached at all: the one-shot frame still says unknown (and why), not nothing.
        if (!opts.watch && e instanceof EnvironmentError) {
          const { unknownSnapshot, renderPlainLine } = await load();
          const snap = unknownSnapshot({ loaded }, e.message);
          if (ctx.options.json) ctx.output.outJson(snap);
          else ctx.output.out(renderPlainLine(snap, Date.now()));
        }
        throw e;
      }
      try {
        const { collectStatus, unknownSnapshot, statusSources, setBackfillRunning, startedNotes, currentActor, chooseRenderer, isCi, createPlainRenderer, renderPlainLine, renderJsonLine, sleepUnlessAborted } = await load();
        for (const note of startedNotes(session)) ctx.output.err(note);
        const { settings } = session.temporal;
        ctx.output.debug(`Temporal ${settings.address} namespace ${settings.namespace} task queue ${settings.taskQueue}`);
        const sources = statusSources();
        let last: DashboardSnapshot | undefined;
        const poll = async (): Promise<DashboardSnapshot> => {
          try {
            last = await collectStatus(session, sources);
            return last;
          } catch (e) {
            if (!last) throw e;
            return { ...last, connection: 'reconnecting', message: (e as Error).message };
          }
        };
        if (!opts.watch) {
          let snap: DashboardSnapshot;
          let unreachable: Error | undefined;
          try {
            snap = await collectStatus(session, sources);
          } catch (e) {
            if (!(e instanceof EnvironmentError)) throw e;
            // Unknown is not pending: every entity says so and why, and the exit code is 3.
            unreachable = e;
            snap = unknownSnapshot(session, e.message);
          }
          if (ctx.options.json) ctx.output.outJson(snap);
          else ctx.output.out(renderPlainLine(snap, Date.now()));
          if (unreachable) throw unreachable;
          return;
        }
        const mode = chooseRenderer({ isTTY: Boolean(ctx.output.stderr.isTTY), json: ctx.options.json, progress: opts.progress, ci: isCi(ctx.env) });
        const interval = Math.max(1000, opts.interval);
        if (mode === 'ink') {
          const actor = currentActor(ctx.env);
          // Ink is loaded only for the live dashboard: it is slow to import.
          const { renderDashboard } = await import('../ui/render.js');
          const ui = renderDashboard(ctx.output.stderr, {
            poll: () => collectStatus(session, sources),
            intervalMs: interval,
            color: ctx.options.color,
            onTogglePause: async (entity) => {
              const snap = last ?? (await collectStatus(session, sources));
              const paused = snap.entities.find((e) => e.entity === entity)?.backfill?.state === 'paused';
              await setBackfillRunning(session, entity, paused, actor, paused ? 'resumed from migrate status' : 'paused from migrate status');
            },
            onExit: () => undefined,
          });
          await ui.waitUntilExit();
          ctx.output.err('Detached; every backfill and verification keeps running.');
          return;
        }
        const plain = createPlainRenderer(ctx.output.stderr);
        const stop = new AbortController();
        const onSigint = () => stop.abort();
        process.once('SIGINT', onSigint);
        try {
          while (!stop.signal.aborted) {
            const snap = await poll().catch((e: Error) => ({ plan: session.loaded.plan.name, takenAt: Date.now(), connection: 'reconnecting' as const, message: e.message, entities: [] }));
            if (mode === 'json') ctx.output.stdout.write(renderJsonLine(snap) + '\n');
            else plain.update(snap);
            await sleepUnlessAborted(interval, stop.signal);
          }
        } finally {
          process.off('SIGINT', onSigint);
        }
        ctx.output.err('Detached; every backfill and verification keeps running.');
      } finally {
        await session.close();
      }
    });

export default register;
