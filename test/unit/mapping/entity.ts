/** Builds validated entities (defaults applied by the real plan schema) for mapping and compare tests. */
import { entitySchema, type Entity } from '../../../src/plan/schema.js';

export function entity(map: Record<string, unknown>, extra: { key?: string[]; targetKey?: string[]; transform?: string } = {}): Entity {
  return entitySchema.parse({
    source: { db: 'legacy', table: 'orders', key: extra.key ?? ['id'] },
    target: {
      service: 'fulfillment',
      ...(extra.targetKey ? { key: extra.targetKey } : {}),
      write: { path: '/v1/orders:batchUpsert', batch: 500 },
      read: { path: '/v1/orders:batchGet' },
    },
    map,
    ...(extra.transform ? { transform: extra.transform } : {}),
    phases: [{ verify: {} }],
  });
}
