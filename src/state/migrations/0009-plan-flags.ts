/**
 * Flags scoped by plan (docs/plan-file.md): `migrate_plan_flags` keys a flag by plan and name, so
 * two plans sharing one state store can both have `orders.backfill` without one pausing the other.
 *
 * Existing rows of `migrate_flags` are copied to the plans that own them, which the audit log
 * says: every change of a flag was audited (`flag.set`, detail `{ flag }`) under the plan that made
 * it. A flag set by one plan goes to that plan; one set by several plans (they shared it) goes to
 * each with its current value, which is what each read before; one without any audit entry (a hand
 * insert) has no owner and stays in `migrate_flags` only, read by no one (docs/state-store.md).
 * `migrate_flags` itself stays: additive, and builds before this one still read it.
 */
import type { Kysely, Migration } from 'kysely';
import type { Ddl } from '../dialects.js';

export function planFlags(ddl: Ddl): Migration {
  return {
    async up(db) {
      await ddl
        .createTable(db, 'migrate_plan_flags')
        .addColumn('plan', ddl.name, (c) => c.notNull())
        .addColumn('name', ddl.label(191), (c) => c.notNull())
        .addColumn('enabled', 'boolean', (c) => c.notNull())
        .addColumn('updated_at', ddl.time, (c) => ddl.defaultNow(c.notNull()))
        .addColumn('updated_by', ddl.label(255), (c) => c.notNull())
        .addPrimaryKeyConstraint('migrate_plan_flags_pkey', ['plan', 'name'])
        .execute();
      await copyToOwners(db);
    },
  };
}

// Loose on purpose: a migration runs against the schema as it was, not today's `Database`.
type AnyDb = Kysely<any>;

/** Each `migrate_flags` row into `migrate_plan_flags` under every plan whose audit entries set it. */
async function copyToOwners(db: AnyDb): Promise<void> {
  const flags = (await db.selectFrom('migrate_flags').select(['name', 'enabled', 'updated_at', 'updated_by']).execute()) as { name: string; enabled: unknown; updated_at: unknown; updated_by: string }[];
  if (flags.length === 0) return;
  const audits: { plan: string; detail: unknown }[] = await db.selectFrom('migrate_audit').select(['plan', 'detail']).where('action', '=', 'flag.set').execute();
  const owners = new Map<string, Set<string>>();
  for (const a of audits) {
    // jsonb comes back parsed from pg, JSON text from mysql2.
    const detail = typeof a.detail === 'string' ? (JSON.parse(a.detail) as unknown) : a.detail;
    const flag = (detail as { flag?: unknown } | null)?.flag;
    if (typeof flag !== 'string') continue;
    let plans = owners.get(flag);
    if (!plans) owners.set(flag, (plans = new Set()));
    plans.add(a.plan);
  }
  const rows = flags.flatMap((f) => [...(owners.get(f.name) ?? [])].map((plan) => ({ plan, name: f.name, enabled: f.enabled, updated_at: f.updated_at, updated_by: f.updated_by })));
  // A re-run on MySQL (DDL is not transactional there) after a crash between the create and the
  // copy finds some rows already copied.
  const done = new Set((await db.selectFrom('migrate_plan_flags').select(['plan', 'name']).execute()).map((r: { plan: string; name: string }) => `${r.plan}\u0000${r.name}`));
  const fresh = rows.filter((r) => !done.has(`${r.plan}\u0000${r.name}`));
  // In slices: one statement per few hundred rows stays far below either engine's parameter limit.
  for (let i = 0; i < fresh.length; i += 200) await db.insertInto('migrate_plan_flags').values(fresh.slice(i, i + 200)).execute();
}
