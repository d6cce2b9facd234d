/**
 * `migrate flags list | get <name> | set <name> on|off [--reason] | show <entity> [--epoch N] |
 * export --format flagd [--entity E] | serve [--host H] [--port P]`.
 * `set` asks nothing (flipping a flag is reversible and is how an operator stops a backfill in a
 * hurry) and --reason is optional: without it the audit log records "no reason given".
 * Routing documents are read here, never written: the cutover publishes them.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { RegisterCommand } from './index.js';
import { withFlagProvider } from './withStateStore.js';
import { NO_REASON } from '../flags/noReason.js';
import type { PublishedRouting } from '../flags/types.js';

/** What the actions need, imported when they run: `--help` must not pay for pg, zod and flagd-core. */
const load = () => import('../ops/flags.js');
const actorOf = async (env: NodeJS.ProcessEnv) => (await import('../flags/actor.js')).currentActor(env);

const word = (enabled: boolean, set = true): string => (set ? (enabled ? 'on' : 'off') : 'off (never set)');

const wholeNumber = (what: string, max = Number.MAX_SAFE_INTEGER) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > max) throw new InvalidArgumentError(`${what} must be a whole number up to ${max}, got "${v}"`);
  return n;
};

const register: RegisterCommand = (program, context): Command => {
  const flags = program.command('flags').description('list, read and flip feature flags; read routing documents (every change is audited)');

  flags
    .command('list')
    .description('every flag with its value, entity and last change, and every routing flag with its epoch')
    .action(() =>
      withFlagProvider(context(), async (provider, { plan }) => {
        const ops = await load();
        const ctx = context();
        const [rows, routing] = await Promise.all([ops.listFlags(plan, provider), ops.listRoutingFlags(plan, provider)]);
        if (ctx.options.json) return ctx.output.outJson([...rows, ...routing]);
        if (rows.length === 0 && routing.length === 0) return ctx.output.out('no flags');
        if (rows.length > 0) {
          const table = rows.map((r) => [r.name, word(r.enabled, r.set), r.entity ?? '-', r.updatedAt?.toISOString() ?? '', r.updatedBy ?? '']);
          for (const line of columns([['FLAG', 'VALUE', 'ENTITY', 'UPDATED', 'BY'], ...table])) ctx.output.out(line);
        }
        if (routing.length > 0) {
          if (rows.length > 0) ctx.output.out('');
          const table = routing.map((r) => [r.name, String(r.epoch), r.defaultVariant, routesText(r.routes), r.publishedAt.toISOString(), r.publishedBy]);
          for (const line of columns([['ROUTING FLAG', 'EPOCH', 'DEFAULT', 'ROUTES', 'PUBLISHED', 'BY'], ...table])) ctx.output.out(line);
          ctx.output.err(`details: migrate flags show ${routing[0]!.entity}`);
        }
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
    .command('show <entity>')
    .description('an entity\'s routing document: epoch, variants, targeting per consumer (also orders.reads / orders.writes)')
    .option('--epoch <n>', 'an earlier epoch instead of the one in force', wholeNumber('--epoch'))
    .action((entity: string, opts: { epoch?: number }) =>
      withFlagProvider(context(), async (provider, { plan }) => {
        const ops = await load();
        const ctx = context();
        const routing = await ops.routingOf(plan, provider, entity, opts.epoch);
        if (ctx.options.json) return ctx.output.outJson(routing);
        for (const line of showLines(routing, ops.routingRows(routing))) ctx.output.out(line);
      }),
    );

  flags
    .command('export')
    .description('print every flag and routing flag as one flagd flag-definition file, or one entity\'s routing document')
    .addOption(new Option('--format <format>', 'output format').choices(['flagd']).default('flagd'))
    .option('--entity <entity>', 'only this entity\'s routing document, exactly as consumers read it')
    .action((opts: { entity?: string }) =>
      withFlagProvider(context(), async (provider, { plan }) => {
        const ops = await load();
        const doc = opts.entity === undefined ? await ops.exportAllFlagd(plan, provider) : (await ops.routingOf(plan, provider, opts.entity)).document;
        context().output.outJson(doc);
      }),
    );

  flags
    .command('serve')
    .description('serve routing documents read-only over HTTP: GET /routing/<entity>, /routing, /flags.json (stops on SIGINT/SIGTERM)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', wholeNumber('--port', 65535), 8013)
    .action((opts: { host: string; port: number }) =>
      withFlagProvider(context(), async (provider, { plan }) => {
        const ctx = context();
        const { serveFlagsUntilSignalled } = await import('../ops/flagsServer.js');
        await serveFlagsUntilSignalled({ plan, flags: provider, host: opts.host, port: opts.port, log: ctx.output.err });
      }),
    );

  return flags;
};

/** `billing new 10%, reporting shadow, * legacy`, or `custom targeting` when the document was not built by Tracer. */
function routesText(routes: Record<string, string> | null): string {
  if (routes === null) return 'custom targeting (migrate flags show)';
  return Object.entries(routes)
    .map(([c, r]) => (c === '*' ? `others ${r}` : `${c} ${r}`))
    .join(', ');
}

function showLines(r: PublishedRouting, rows: { name: string; variants: string[]; defaultVariant: string; routes: Record<string, string> | null }[]): string[] {
  const out = [`${r.entity}: routing epoch ${r.epoch} of plan ${r.plan}, published ${r.publishedAt.toISOString()} by ${r.publishedBy}`];
  for (const row of rows) {
    out.push('', `${row.name}  variants ${row.variants.join(', ')}  default ${row.defaultVariant}`);
    if (row.routes === null) {
      out.push(`  targeting ${JSON.stringify(r.document.flags[row.name]?.targeting ?? null)}`);
      continue;
    }
    const named = Object.entries(row.routes).filter(([c]) => c !== '*');
    const table = named.map(([c, route]) => [`  ${c}`, route]);
    table.push([named.length > 0 ? '  every other consumer' : '  every consumer', row.routes['*'] ?? row.defaultVariant]);
    out.push(...columns(table));
  }
  return out;
}

/** Left-aligned columns two spaces apart; the last column is not padded. */
function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

export default register;
