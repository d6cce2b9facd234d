/**
 * `migrate flags list | get <name> | set <name> on|off [--reason] | export --format flagd`.
 * `set` asks nothing (flipping a flag is reversible and is how an operator stops a backfill in a
 * hurry) and --reason is optional: without it the audit log records "no reason given".
 */
import { Command, Option } from 'commander';
import type { RegisterCommand } from './index.js';
import { withStateStore } from './withStateStore.js';
import { NO_REASON } from '../flags/noReason.js';

/** What the actions need, imported when they run: `--help` must not pay for pg and zod. */
const load = () => import('../flags/index.js');

const word = (enabled: boolean, set = true): string => (set ? (enabled ? 'on' : 'off') : 'off (never set)');

const register: RegisterCommand = (program, context): Command => {
  const flags = program.command('flags').description('list, read and flip feature flags (every change is audited)');

  flags
    .command('list')
    .description('every flag with its value, entity and last change')
    .action(() =>
      withStateStore(context(), async (store, { plan }) => {
        const { createStateStoreFlagProvider, listingFor } = await load();
        const ctx = context();
        const rows = listingFor(plan, await createStateStoreFlagProvider(store).listFlags());
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
      withStateStore(context(), async (store, { plan }) => {
        const ctx = context();
        const value = await store.getFlag(name);
        if (ctx.options.json) {
          const entity = (await load()).planFlags(plan).get(name) ?? null;
          return ctx.output.outJson({ name, enabled: value?.enabled ?? null, entity, updatedAt: value?.updatedAt ?? null, updatedBy: value?.updatedBy ?? null });
        }
        ctx.output.out(value === undefined ? 'unset' : word(value.enabled));
      }),
    );

  flags
    .command('set <name> <value>')
    .description('turn a flag on or off; a running backfill follows within one batch')
    .option('--reason <text>', `why, for the audit log (default: "${NO_REASON}")`)
    .action((name: string, raw: string, opts: { reason?: string }) =>
      withStateStore(context(), async (store, { plan }) => {
        const { createStateStoreFlagProvider, currentActor, entityForFlagChange, parseOnOff } = await load();
        const ctx = context();
        const enabled = parseOnOff(raw);
        const provider = createStateStoreFlagProvider(store);
        const entity = entityForFlagChange(name, plan, await provider.listFlags());
        const before = await provider.getFlag(name);
        const actor = currentActor(ctx.env);
        const reason = opts.reason?.trim() || NO_REASON;
        await provider.setFlag(name, enabled, { plan: plan.name, actor, reason, ...(entity ? { entity } : {}) });
        if (ctx.options.json) return ctx.output.outJson({ name, enabled, previous: before ?? null, entity: entity ?? null, actor, reason });
        ctx.output.out(`${name}: ${before === undefined ? 'unset' : word(before)} → ${word(enabled)} (by ${actor}: ${reason})`);
        if (!opts.reason) ctx.output.err('note: no --reason given; the audit log records "no reason given"');
      }),
    );

  flags
    .command('export')
    .description('print every flag as a flag-definition file for another flag system')
    .addOption(new Option('--format <format>', 'output format').choices(['flagd']).default('flagd'))
    .action(() =>
      withStateStore(context(), async (store, { plan }) => {
        const { exportFlagd, listingFor } = await load();
        const rows = listingFor(plan, await store.listFlags());
        context().output.outJson(exportFlagd(rows));
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
