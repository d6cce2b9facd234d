/**
 * `migrate retry --entity E (--key K … | --all) [--dry-run] [--yes]`: re-reads failed rows from the
 * legacy source and writes them to the service again. `--all` writes to production in bulk, so it
 * asks first on a terminal and needs --yes elsewhere; named keys are explicit enough.
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { RegisterCommand } from './index.js';
import type { RetryOutcome } from '../ops/retry.js';
import { UserError } from '../errors.js';

/** What the action needs, imported when it runs: `--help` must not pay for pg, mysql2 and zod. */
const load = async () => ({
  ...(await import('../cli/resolvePlan.js')),
  ...(await import('../resources/planResources.js')),
  ...(await import('../ops/failureLog.js')),
  ...(await import('../ops/retry.js')),
  ...(await import('../flags/index.js')),
});

const collect = (v: string, prev: string[]) => [...prev, v];

const register: RegisterCommand = (program, context): Command =>
  program
    .command('retry')
    .description('re-read failed rows from the legacy source and write them to the service again (audited)')
    .requiredOption('--entity <name>', 'entity whose failures to retry')
    .option('--key <key>', 'a logged key: the plain value, or a JSON array for composite keys (repeatable)', collect, [])
    .option('--all', 'every row in the failure log', false)
    .option('--dry-run', 'list what would be retried; write nothing', false)
    .option('--yes', 'do not ask before retrying --all', false)
    .action(async (opts: { entity: string; key: string[]; all: boolean; dryRun: boolean; yes: boolean }) => {
      const { loadPlanForCommand, openPlanResources, checkEntity, parseKeyArg, retryFailures, currentActor } = await load();
      const ctx = context();
      const loaded = await loadPlanForCommand(ctx);
      checkEntity(loaded.plan, loaded.file, opts.entity);
      if (opts.all === opts.key.length > 0) {
        throw new UserError(opts.all ? 'give either --all or --key, not both' : 'nothing to retry: give --key K (repeatable) or --all', {
          hint: `\`migrate failures --entity ${opts.entity}\` lists the failed keys.`,
        });
      }
      const keyColumns = loaded.plan.entities[opts.entity]!.source.key;
      const keys = opts.key.map((k) => parseKeyArg(k, keyColumns));
      if (opts.all && !opts.dryRun && !opts.yes) await confirm(ctx.output.stderr, `Retry every logged failure of ${opts.entity} against the service?`);
      const res = await openPlanResources(loaded);
      try {
        const outcome = await retryFailures(res, { entity: opts.entity, keys, all: opts.all, dryRun: opts.dryRun, actor: currentActor(ctx.env) });
        if (ctx.options.json) return ctx.output.outJson(outcome);
        for (const line of describe(outcome)) ctx.output.out(line);
      } finally {
        await res.close();
      }
    });

async function confirm(stderr: NodeJS.WriteStream, question: string): Promise<void> {
  if (!process.stdin.isTTY || !stderr.isTTY) {
    throw new UserError('retry --all writes every logged row to the service and needs confirmation', { hint: 'Pass --yes (or --dry-run to see the rows first).' });
  }
  const rl = createInterface({ input: process.stdin, output: stderr });
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new UserError('retry cancelled; nothing was written');
  } finally {
    rl.close();
  }
}

function describe(o: RetryOutcome): string[] {
  if (o.dryRun) {
    return [`would retry ${o.selected} row${o.selected === 1 ? '' : 's'} of ${o.entity}${o.keys.length ? `: ${o.keys.join(', ')}${o.keys.length < o.selected ? ', …' : ''}` : ''}`];
  }
  const lines = [`retried ${o.selected} row${o.selected === 1 ? '' : 's'} of ${o.entity}: ${o.written} written, ${o.stillFailing} still failing, ${o.goneFromSource} gone from the source`];
  if (o.purged > 0) lines.push(`purged ${o.purged} failure${o.purged === 1 ? '' : 's'} past retention`);
  if (o.stillFailing > 0) lines.push(`still failing: ${o.keys.join(', ')}${o.keys.length < o.stillFailing ? ', …' : ''} — see \`migrate failures --entity ${o.entity}\` for the reasons`);
  lines.push(`the failure log of ${o.entity} now holds ${o.remaining}`);
  return lines;
}

export default register;
