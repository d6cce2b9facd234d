/**
 * `migrate flags list | get <name> | set <name> on|off [--reason] | export --format flagd`.
 * `set` asks nothing (flipping a flag is reversible and is how an operator stops a backfill in a
 * hurry) and --reason is optional: without it the audit log records "no reason given".
 */
import { Command, Option } from 'commander';
import type { RegisterCommand } from './index.js';
import { withFlagProvider } from './withStateStore.js';
import { NO_REASON } from '../flags/noReason.js';

/** What the actions need, imported when they run: `--help` must not pay for pg, zod and flagd-core. */
const load = () => import('../ops/flags.js');
const actorOf = async (env: NodeJS.ProcessEnv) => (await import('../flags/actor.js')).currentActor(env);

const word = (enabled: boolean, set = true): string => (set ? (enabled ? 'on' : 'off') : 'off (never set)');

const register: RegisterCommand = (program, context): Command => {
  const flags = program.command('flags').description('list, read and flip feature flags (every change is audited)');

  flags
    .command('list')
    .description('every flag with its value, entity and last change')
    .action(() =>
      withFlagProvider(context(), async (provider, { plan }) => {
        const ctx = context();
        const rows = await (await load()).listFlags(plan, provider);
        if (ctx.options.json) return ctx.output.outJson(rows);
        if (rows.length === 0) return ctx.output.out('no flags');
        const table = rows.map((r) => [r.name, word(r.enabled, r.set), r.entity ?? '-', r.updatedAt?.toISOString() ?? '', r.updatedBy ?? '']);
        for (const line of columns([['FLAG', 'VALUE', 'ENTITY', 'UPDATED', 'BY'], ...table])) ctx.output.out(line);
      }),
    );

  flags
    .command('get <name>')
    .description('print on, off or unset (scriptable)')
    .action((name: string) =>
      withFlagProvider(context(), async (provider, { plan }) => {
        const ctx = context();
        const value = await (await load()).readFlag(plan, provider, name);
        if (ctx.options.json) return ctx.output.outJson(value);
        ctx.output.out(value.enabled === null ? 'unset' : word(value.enabled));
      }),
    );

  flags
    .command('set <name> <value>')
    .description('turn a flag on or off; a running backfill follows within one batch')
    .option('--reason <text>', `why, for the audit log (default: "${NO_REASON}")`)
    .action((name: string, raw: string, opts: { reason?: string }) =>
      withFlagProvider(context(), async (provider, { plan }) => {
        const ctx = context();
        const c = await (await load()).changeFlag(plan, provider, name, raw, await actorOf(ctx.env), opts.reason);
        if (ctx.options.json) return ctx.output.outJson({ name: c.name, enabled: c.enabled, previous: c.previous, entity: c.entity, actor: c.actor, reason: c.reason });
        ctx.output.out(`${name}: ${c.previous === null ? 'unset' : word(c.previous)} → ${word(c.enabled)} (by ${c.actor}: ${c.reason})`);
        if (!c.reasonGiven) ctx.output.err(`note: no --reason given; the audit log records "${NO_REASON}"`);
      }),
    );

  flags
    .command('export')
    .description('print every flag as a flag-definition file for another flag system')
    .addOption(new Option('--format <format>', 'output format').choices(['flagd']).default('flagd'))
    .action(() =>
      withFlagProvider(context(), async (provider, { plan }) => {
        context().output.outJson(await (await load()).exportFlags(plan, provider));
      }),
    );

  return flags;
};

/** Left-aligned columns two spaces apart; the last column is not padded. */
function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

export default register;
