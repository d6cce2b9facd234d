/** `migrate failures --entity E [--limit N]`: the failure log — what the service refused and why, oldest first. */
import { InvalidArgumentError, type Command } from 'commander';
import type { RegisterCommand } from './index.js';
import { withStateStore } from './withStateStore.js';
import { checkEntity, displayKey, listFailureLog } from '../ops/failureLog.js';

const register: RegisterCommand = (program, context): Command =>
  program
    .command('failures')
    .description('list rows the new service refused (or that could not be mapped), with status, reason and attempts')
    .requiredOption('--entity <name>', 'entity whose failure log to list')
    .option('--limit <n>', 'list at most this many (the total is always counted)', positiveInt, 100)
    .action((opts: { entity: string; limit: number }) =>
      withStateStore(context(), async (store, loaded) => {
        const ctx = context();
        checkEntity(loaded.plan, loaded.file, opts.entity);
        const listing = await listFailureLog(store, loaded.plan, opts.entity, opts.limit);
        if (ctx.options.json) return ctx.output.outJson(listing);
        if (listing.count === 0) return ctx.output.out(`no failures logged for ${opts.entity}`);
        const rows = listing.failures.map((f) => [
          displayKey(f.key),
          f.status === 0 ? 'mapping' : String(f.status),
          String(f.attempts),
          iso(f.firstSeen),
          iso(f.lastSeen),
          oneLine(f.error),
        ]);
        for (const line of columns([['KEY', 'STATUS', 'ATTEMPTS', 'FIRST SEEN', 'LAST SEEN', 'REASON'], ...rows])) ctx.output.out(line);
        const shown = listing.failures.length < listing.count ? ` (showing ${listing.failures.length}; --limit for more)` : '';
        ctx.output.out(`${listing.count} failure${listing.count === 1 ? '' : 's'} logged for ${opts.entity}${shown}`);
        ctx.output.err(`retry them once the cause is fixed: migrate retry --entity ${opts.entity} --all (or --key K); kept ${listing.retention} after last seen`);
      }),
    );

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
  return n;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const oneLine = (s: string) => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
};

/** Left-aligned columns two spaces apart; the last column is not padded. */
function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

export default register;
