/** `migrate audit [--entity E] [--limit N]`: the plan's audit log, newest first (who, when, what, why). */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { RegisterCommand } from './index.js';
import { withStateStore } from './withStateStore.js';
import type { AuditEntry } from '../state/types.js';

const register: RegisterCommand = (program, context): Command =>
  program
    .command('audit')
    .description('list the audit log: flag flips and phase changes, who made them and why, newest first')
    .option('--entity <name>', 'only this entity')
    .option('--limit <n>', 'at most this many entries', positiveInt, 50)
    .action((opts: { entity?: string; limit: number }) =>
      withStateStore(context(), async (store, { plan }) => {
        const ctx = context();
        const entries = await store.listAudit({ plan: plan.name, limit: opts.limit, ...(opts.entity ? { entity: opts.entity } : {}) });
        if (ctx.options.json) return ctx.output.outJson(entries);
        if (entries.length === 0) return ctx.output.out(`no audit entries for plan ${plan.name}${opts.entity ? `, entity ${opts.entity}` : ''}`);
        for (const e of entries) ctx.output.out(describeEntry(e));
      }),
    );

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
  return n;
}

/** One line per entry; flag flips read as `name: off → on`, other details as compact JSON. */
export function describeEntry(e: AuditEntry): string {
  const d = e.detail ?? {};
  let what = e.action;
  if (e.action === 'flag.set' && typeof d.flag === 'string') {
    const prev = d.previous === true ? 'on' : d.previous === false ? 'off' : 'unset';
    what = `flag ${d.flag}: ${prev} → ${d.enabled ? 'on' : 'off'}`;
  } else if (e.action === 'routing.publish' && typeof d.epoch === 'number') {
    // The routes in words, as the provider summarised them: `reporting shadow, billing new 10%; writes legacy`.
    const reads = typeof d.reads === 'object' && d.reads !== null ? Object.entries(d.reads as Record<string, unknown>).map(([c, r]) => `${c} ${String(r)}`) : [];
    if (typeof d.otherReads === 'string') reads.push(`others ${d.otherReads}`);
    const routes = d.custom === true ? 'custom targeting' : `${reads.join(', ')}; writes ${String(d.writes)}`;
    what = `routing epoch ${d.previousEpoch ?? 'none'} → ${d.epoch}: ${routes}`;
  } else if (Object.keys(d).length > 0) {
    what = `${e.action} ${JSON.stringify(d)}`;
  }
  const at = e.at?.toISOString().replace(/\.\d{3}Z$/, 'Z') ?? '';
  return [at, e.actor, e.entity ?? '-', what, e.reason ? `— ${e.reason}` : ''].join('  ').trimEnd();
}

export default register;
