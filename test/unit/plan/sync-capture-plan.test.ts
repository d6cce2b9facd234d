/** A sync phase with `capture: updatedAt` in the plan: what it needs, and what `migrate plan` says about it. */
import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../../src/plan/load.js';
import { describePlan } from '../../../src/plan/describe.js';
import { planWith, thrown } from './helpers.js';

const withSync = (source: string, sync: string) =>
  planWith('    source: { db: legacy, table: orders, key: [id] }', source).replace('      - backfill: { flag: orders.backfill }', `      - backfill: { flag: orders.backfill }\n      - sync: ${sync}`);

describe('sync capture in the plan', () => {
  it('Given capture: updatedAt without source.updatedAt, When loaded, Then the problem names the file, the field and the fix', () => {
    const e = thrown(() => parsePlan(withSync('    source: { db: legacy, table: orders, key: [id] }', '{ capture: updatedAt, flag: orders.sync }'), 'p.yaml', {}));
    expect(e.problems).toEqual([
      expect.objectContaining({
        where: expect.stringContaining('p.yaml'),
        path: 'entities.orders.phases[1].sync.capture',
        message: 'capture: updatedAt reads rows by their last-change column, but source.updatedAt is not set',
        hint: 'name that column in entities.orders.source.updatedAt (e.g. `updatedAt: updated_at`), or use `capture: triggers`',
      }),
    ]);
  });

  it('Given capture: updatedAt with source.updatedAt and no delete endpoint, When loaded and described, Then it is accepted with the default overlap and the summary says hard deletes are not seen', () => {
    const plan = parsePlan(withSync('    source: { db: legacy, table: orders, key: [id], updatedAt: updated_at }', '{ capture: updatedAt, flag: orders.sync }'), 'p.yaml', {});
    const sync = describePlan(plan, undefined, 'p.yaml').entities.find((e) => e.name === 'orders')!.phases.find((p) => p.kind === 'sync')!;
    expect(sync.settings).toMatchObject({ capture: 'updatedAt', overlap: '5s' });
    expect(sync.summary).toBe('capture updatedAt (inserts, updates; hard deletes not seen) · overlap 5s · batchSize 500 · maxLag 30s · flag orders.sync');
  });

  it('Given capture: triggers without a delete endpoint, When loaded, Then it is refused as before (the trigger capture sends deletes)', () => {
    const e = thrown(() => parsePlan(withSync('    source: { db: legacy, table: orders, key: [id] }', '{ capture: triggers, flag: orders.sync }'), 'p.yaml', {}));
    expect(e.problems.map((p) => p.path)).toEqual(['entities.orders.target']);
  });
});
