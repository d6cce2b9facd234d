/** `migrate local stop`: stop the dev server and background workers migrate started for this folder. */
import type { Command } from 'commander';
import type { RegisterCommand } from './index.js';

const WORDS = { stopped: 'stopped', killed: 'did not stop within 15 s of SIGTERM: killed', gone: 'was not running', other: 'pid now belongs to another program: left alone' } as const;

const register: RegisterCommand = (program, context): Command => {
  const local = program.command('local').description('what migrate started on this machine for this folder (local dev server, background workers)');
  local
    .command('stop')
    .description('stop the local Temporal dev server and background workers, by the pid files in .migrate/ (state and workflows are kept)')
    .action(async () => {
      const { stopLocal } = await import('../ops/localStop.js');
      const ctx = context();
      const stopped = await stopLocal(ctx.env, ctx.cwd);
      if (ctx.options.json) return ctx.output.outJson(stopped);
      if (stopped.length === 0) return ctx.output.out('nothing to stop: migrate started no dev server or background worker here');
      for (const s of stopped) ctx.output.out(`${s.what} (pid ${s.pid}): ${WORDS[s.outcome]}`);
      if (stopped.some((s) => s.outcome === 'stopped' || s.outcome === 'killed')) {
        ctx.output.err('Work in progress waits in Temporal; the next `migrate backfill` or `migrate verify` starts the server and a worker again and it resumes.');
      }
    });
  return local;
};

export default register;
