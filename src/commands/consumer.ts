/**
 * `migrate consumer rules --entity E [--out F] | ingest [--host H] [--port P] | report --entity E`:
 * what applications using the consumer library (docs/consumer.md) need from the orchestrator, and
 * what they sent back.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { RegisterCommand } from './index.js';
import { withStateStore } from './withStateStore.js';

const wholeNumber = (what: string) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${what} must be a whole number, got "${v}"`);
  return n;
};

const register: RegisterCommand = (program, context): Command => {
  const consumer = program.command('consumer').description('serve consumer-library apps: comparison rules out, reports and acknowledgements in');

  consumer
    .command('rules')
    .description("print the entity's comparison rules for createConsumer({ rules }) (no sources, no secrets)")
    .requiredOption('--entity <name>', 'the entity')
    .option('--out <file>', 'write the rule set to this file instead of stdout')
    .action(async (opts: { entity: string; out?: string }) => {
      const ctx = context();
      const { loadPlanForCommand } = await import('../cli/resolvePlan.js');
      const { consumerRules, writeConsumerRules } = await import('../ops/consumerRules.js');
      const { plan } = await loadPlanForCommand(ctx);
      const rules = consumerRules(plan, opts.entity);
      if (opts.out === undefined) return ctx.output.outJson(rules);
      await writeConsumerRules(path.resolve(ctx.cwd, opts.out), rules);
      ctx.output.err(`wrote the comparison rules of ${opts.entity} to ${opts.out}`);
    });

  consumer
    .command('ingest')
    .description('accept consumer reports over HTTP (POST /v1/consumer-reports) into the state store; nothing else is writable (stops on SIGINT/SIGTERM)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', wholeNumber('--port'), 8014)
    .action((opts: { host: string; port: number }) =>
      withStateStore(context(), async (store, { plan }) => {
        const ctx = context();
        const { ingestUntilSignalled } = await import('../ops/consumerIngest.js');
        const token = ctx.env.MIGRATE_INGEST_TOKEN || undefined;
        await ingestUntilSignalled({ plan, store, host: opts.host, port: opts.port, log: ctx.output.err, ...(token !== undefined ? { token } : {}) });
      }),
    );

  consumer
    .command('report')
    .description('what consumers reported for an entity: acknowledged epoch and in-flight writes per instance, counts per consumer and epoch')
    .requiredOption('--entity <name>', 'the entity')
    .action((opts: { entity: string }) =>
      withStateStore(context(), async (store, { plan }) => {
        const ctx = context();
        const { consumerReportSummary } = await import('../ops/consumerReport.js');
        const s = await consumerReportSummary(store, plan.name, opts.entity);
        if (ctx.options.json) return ctx.output.outJson(s);
        if (s.acks.length === 0 && s.totals.length === 0) {
          return ctx.output.out(`no consumer of ${opts.entity} has reported yet; apps report to \`migrate consumer ingest\` (docs/consumer.md)`);
        }
        for (const a of s.acks) {
          ctx.output.out(`${a.consumer} ${a.instance}: epoch ${a.epoch ?? 'none'}, ${a.inFlightWrites} in-flight writes, ${a.failureLogDepth} logged second writes${a.routingStale ? ', routing source unreachable' : ''} (${a.updatedAt.toISOString()})`);
        }
        for (const t of s.totals) {
          const sh = t.shadow;
          const fields = Object.entries(t.mismatchFields)
            // Most frequent first, then by name, so the line reads the same on every run.
            .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
            .map(([f, n]) => `${f} ${n}`).join(', ');
          ctx.output.out(
            `${t.consumer} epoch ${t.epoch}: reads legacy ${t.reads.legacy} shadow ${t.reads.shadow} new ${t.reads.new}; shadow match ${sh.match} mismatch ${sh.mismatch} (missing ${sh.missing}, extra ${sh.extra}) error ${sh.candidateError} timeout ${sh.timeout}${fields ? `; fields: ${fields}` : ''}; writes legacy ${t.writes.legacy} dual ${t.writes.dual} new ${t.writes.new} second-write failures ${t.writes.secondWriteFailed}`,
          );
        }
      }),
    );

  return consumer;
};

export default register;
